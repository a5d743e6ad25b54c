package io.clip4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The settings of a Hugging Face model directory that the SigLIP tokenizers use, from
 * {@code tokenizer_config.json} (optional) and {@code config.json} (optional): tokenizer class, lower-casing,
 * special tokens and their strip flags, BOS/EOS flags and the row length.
 */
final class HfTokenizerConfig {
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";
    static final String MODEL_CONFIG = "config.json";

    final String tokenizerClass;          // "" when absent
    final Boolean doLowerCase;            // null when absent
    final double modelMaxLength;          // NaN when absent
    final int maxPositionEmbeddings;      // config.json text_config.max_position_embeddings, or -1
    final String bosToken, eosToken, unkToken, padToken;   // null when absent
    final Boolean addBosToken, addEosToken;                // null when absent
    final List<AddedTokens.Token> addedTokensDecoder;      // null when absent
    final List<String> additionalSpecialTokens;

    private HfTokenizerConfig(JsonNode tc, JsonNode mc) {
        tokenizerClass = tc.path("tokenizer_class").asText("");
        doLowerCase = tc.path("do_lower_case").isBoolean() ? tc.get("do_lower_case").asBoolean() : null;
        modelMaxLength = tc.path("model_max_length").isNumber() ? tc.get("model_max_length").asDouble() : Double.NaN;
        bosToken = tokenText(tc.get("bos_token"));
        eosToken = tokenText(tc.get("eos_token"));
        unkToken = tokenText(tc.get("unk_token"));
        padToken = tokenText(tc.get("pad_token"));
        addBosToken = tc.path("add_bos_token").isBoolean() ? tc.get("add_bos_token").asBoolean() : null;
        addEosToken = tc.path("add_eos_token").isBoolean() ? tc.get("add_eos_token").asBoolean() : null;
        JsonNode dec = tc.get("added_tokens_decoder");
        if (dec != null && dec.isObject()) {
            List<AddedTokens.Token> list = new ArrayList<>();
            var it = dec.fields();
            while (it.hasNext()) {
                var e = it.next();
                JsonNode t = e.getValue();
                int id;
                try {
                    id = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    continue;
                }
                String content = t.path("content").asText(null);
                if (content == null) continue;
                list.add(new AddedTokens.Token(content, id, t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                        t.path("special").asBoolean(false), t.path("normalized").asBoolean(false)));
            }
            addedTokensDecoder = list;
        } else {
            addedTokensDecoder = null;
        }
        List<String> extra = new ArrayList<>();
        for (JsonNode t : tc.path("additional_special_tokens")) {
            String s = tokenText(t);
            if (s != null) extra.add(s);
        }
        additionalSpecialTokens = extra;
        JsonNode text = mc.path("text_config");
        maxPositionEmbeddings = text.path("max_position_embeddings").isInt() ? text.get("max_position_embeddings").asInt()
                : mc.path("max_position_embeddings").isInt() && mc.path("model_type").asText("").contains("text")
                ? mc.get("max_position_embeddings").asInt() : -1;
    }

    /** A special token given as a string or as an AddedToken object {"content": ...}. */
    private static String tokenText(JsonNode n) {
        if (n == null || n.isNull()) return null;
        if (n.isTextual()) return n.asText();
        if (n.isObject() && n.path("content").isTextual()) return n.get("content").asText();
        return null;
    }

    /** Reads the two optional files of a model directory. */
    static HfTokenizerConfig read(Path dir) throws IOException {
        return new HfTokenizerConfig(readJson(dir.resolve(TOKENIZER_CONFIG)), readJson(dir.resolve(MODEL_CONFIG)));
    }

    /** Defaults only (no files). */
    static HfTokenizerConfig empty() {
        ObjectMapper m = new ObjectMapper();
        return new HfTokenizerConfig(m.createObjectNode(), m.createObjectNode());
    }

    private static JsonNode readJson(Path p) throws IOException {
        if (!Files.isRegularFile(p)) return new ObjectMapper().createObjectNode();
        try {
            JsonNode n = new ObjectMapper().readTree(p.toFile());
            return n != null && n.isObject() ? n : new ObjectMapper().createObjectNode();
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new Clip4jException("invalid JSON in " + p + ": " + e.getOriginalMessage());
        }
    }

    /**
     * The default row length: tokenizer_config's model_max_length when it is a real limit (Hugging Face writes
     * a huge placeholder when there is none), else {@code fallback}; never more than the text model's
     * max_position_embeddings when config.json gives it.
     */
    int contextLength(int fallback) {
        int ctx = fallback;
        if (modelMaxLength >= 2 && modelMaxLength <= 1_000_000) ctx = (int) modelMaxLength;
        if (maxPositionEmbeddings >= 2) ctx = Math.min(ctx, maxPositionEmbeddings);
        return ctx;
    }
}
