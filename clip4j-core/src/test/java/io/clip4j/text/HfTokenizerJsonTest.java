package io.clip4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.Clip4jException;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.clip4j.text.SiglipTokenizerFixtureTest.ints;
import static io.clip4j.text.SiglipTokenizerFixtureTest.strings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * tokenizer.json: files built here, as transformers' slow→fast converters would write them, from the fixture
 * SentencePiece models, must give the fixture ids through {@link Tokenizers#load} when the directory ships
 * only tokenizer.json (+ the configs).
 */
class HfTokenizerJsonTest {
    private static final ObjectMapper M = new ObjectMapper();

    // ---- building tokenizer.json files from the fixture models ----

    private static ObjectNode addedToken(int id, String content) {
        ObjectNode t = M.createObjectNode();
        t.put("id", id).put("content", content).put("single_word", false).put("lstrip", false)
                .put("rstrip", false).put("normalized", false).put("special", true);
        return t;
    }

    private static ObjectNode eosTemplate(String eos, int eosId) {
        ObjectNode post = M.createObjectNode().put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        single.addObject().putObject("SpecialToken").put("id", eos).put("type_id", 0);
        ObjectNode st = post.putObject("special_tokens").putObject(eos);
        st.put("id", eos);
        st.putArray("ids").add(eosId);
        st.putArray("tokens").add(eos);
        return post;
    }

    /** SpmConverter-style Unigram file: Precompiled + Strip(right) + Replace(" {2,}", "▁"), Metaspace. */
    static ObjectNode unigramJson(SentencePieceModel m, String prependScheme) {
        ObjectNode root = M.createObjectNode().put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < m.size(); i++) {
            if (m.type(i) == SentencePieceModel.PieceType.CONTROL || m.type(i) == SentencePieceModel.PieceType.UNKNOWN) added.add(addedToken(i, m.piece(i)));
        }
        ObjectNode norm = root.putObject("normalizer").put("type", "Sequence");
        ArrayNode ns = norm.putArray("normalizers");
        ns.addObject().put("type", "Precompiled").put("precompiled_charsmap",
                Base64.getEncoder().encodeToString(m.normalizerSpec().precompiledCharsmap()));
        ns.addObject().put("type", "Strip").put("strip_left", false).put("strip_right", true);
        ObjectNode rep = ns.addObject().put("type", "Replace");
        rep.putObject("pattern").put("Regex", " {2,}");
        rep.put("content", "\u2581");
        root.putObject("pre_tokenizer").put("type", "Metaspace").put("replacement", "\u2581")
                .put("prepend_scheme", prependScheme).put("split", true);
        root.set("post_processor", eosTemplate("</s>", 1));
        ObjectNode model = root.putObject("model").put("type", "Unigram").put("unk_id", m.unkId());
        ArrayNode vocab = model.putArray("vocab");
        for (int i = 0; i < m.size(); i++) vocab.addArray().add(m.piece(i)).add((double) m.score(i));
        model.put("byte_fallback", m.byteFallback());
        return root;
    }

    /** GemmaConverter-style BPE file: Replace(" " → "▁"), no pre-tokenizer, merges from the piece scores. */
    static ObjectNode bpeJson(SentencePieceModel m) {
        ObjectNode root = M.createObjectNode().put("version", "1.0");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < m.size(); i++) {
            SentencePieceModel.PieceType t = m.type(i);
            if (t == SentencePieceModel.PieceType.CONTROL || t == SentencePieceModel.PieceType.UNKNOWN
                    || t == SentencePieceModel.PieceType.USER_DEFINED) added.add(addedToken(i, m.piece(i)));
        }
        ObjectNode rep = root.putObject("normalizer").put("type", "Replace");
        rep.putObject("pattern").put("String", " ");
        rep.put("content", "\u2581");
        root.putNull("pre_tokenizer");
        root.set("post_processor", eosTemplate("<eos>", m.eosId()));
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", m.unkPiece());
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", true).put("byte_fallback", true).put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        Map<String, Integer> ids = new HashMap<>();
        for (int i = 0; i < m.size(); i++) { vocab.put(m.piece(i), i); ids.putIfAbsent(m.piece(i), i); }
        // SentencePieceExtractor.extract: every split of a piece into two pieces, grouped by piece (ordered by
        // the parts' ids), then stably sorted by the piece's score, highest first
        record Merge(String l, String r, float score) {}
        List<Merge> merges = new ArrayList<>();
        for (int i = 0; i < m.size(); i++) {
            String p = m.piece(i);
            List<Merge> local = new ArrayList<>();
            for (int k = p.offsetByCodePoints(0, 1); k < p.length(); k = p.offsetByCodePoints(k, 1)) {
                String l = p.substring(0, k), r = p.substring(k);
                if (ids.containsKey(l) && ids.containsKey(r)) local.add(new Merge(l, r, m.score(i)));
            }
            local.sort(Comparator.comparingInt((Merge x) -> ids.get(x.l)).thenComparingInt(x -> ids.get(x.r)));
            merges.addAll(local);
        }
        merges.sort((a, b) -> Float.compare(b.score, a.score));
        ArrayNode ms = model.putArray("merges");
        for (Merge x : merges) ms.addArray().add(x.l).add(x.r);
        return root;
    }

    private static Path writeDir(Path dir, ObjectNode json, String fixtureDir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), M.writeValueAsString(json), StandardCharsets.UTF_8);
        if (fixtureDir != null) {
            for (String f : List.of("tokenizer_config.json", "config.json")) {
                Files.copy(Fixtures.path(fixtureDir + "/" + f), dir.resolve(f));
            }
        }
        return dir;
    }

    // ---- SigLIP v1 through tokenizer.json ----

    @Test
    void unigramJsonGivesTheFixtureIdsAndTokens(@TempDir Path dir) throws IOException {
        SentencePieceModel m = SentencePieceModel.load(Fixtures.path("siglip/siglip_tiny/spiece.model"));
        Tokenizer t = Tokenizers.load(writeDir(dir, unigramJson(m, "first"), "siglip/siglip_tiny"));
        SiglipTokenizer tok = assertInstanceOf(SiglipTokenizer.class, t);
        SiglipTokenizer ref = SiglipTokenizer.load(Fixtures.path("siglip/siglip_tiny"));
        JsonNode fx = SiglipTokenizerFixtureTest.read();
        int len = fx.get("max_length").asInt();
        assertEquals(len, tok.contextLength());
        for (JsonNode c : fx.get("cases")) {
            String text = c.get("text").asText(), id = c.get("category").asText() + ": " + text;
            assertEquals(strings(c.get("tokens")), tok.tokens(text), id);
            assertArrayEquals(ints(c.get("ids")), tok.encodeWithEos(text), id);
            assertArrayEquals(ints(c.get("input_ids_max_length")), tok.tokenize(text), id);
            assertArrayEquals(ints(c.get("input_ids_max_length_64")), tok.tokenize(List.of(text), 64, true)[0], id);
            assertArrayEquals(ref.encode(text), tok.encode(text), id);
        }
    }

    @Test
    void unigramJsonWithoutConfigUsesSiglipRules(@TempDir Path dir) throws IOException {
        SentencePieceModel m = SentencePieceModel.load(Fixtures.path("siglip/siglip_tiny/spiece.model"));
        Tokenizer t = Tokenizers.load(writeDir(dir, unigramJson(m, "always"), null));
        assertInstanceOf(SiglipTokenizer.class, t);
        assertEquals(SiglipTokenizer.DEFAULT_CONTEXT_LENGTH, t.contextLength());
        JsonNode fx = SiglipTokenizerFixtureTest.read();
        for (JsonNode c : fx.get("cases")) {
            if (c.get("category").asText().equals("special_token_in_text")) continue; // "always" prepends ▁ after </s>
            assertArrayEquals(ints(c.get("input_ids_max_length_64")), t.tokenize(List.of(c.get("text").asText()), 64, true)[0], c.get("text").asText());
        }
    }

    // ---- SigLIP 2 through tokenizer.json ----

    @Test
    void bpeJsonGivesTheFixtureIdsAndPieces(@TempDir Path dir) throws IOException {
        SentencePieceModel m = SentencePieceModel.load(Fixtures.path("siglip/siglip2_tiny/tokenizer.model"));
        Tokenizer t = Tokenizers.load(writeDir(dir, bpeJson(m), "siglip/siglip2_tiny"));
        Siglip2Tokenizer tok = assertInstanceOf(Siglip2Tokenizer.class, t);
        JsonNode fx = Siglip2TokenizerFixtureTest.read();
        assertEquals(fx.get("max_length").asInt(), tok.contextLength());
        for (JsonNode c : fx.get("cases")) {
            String text = c.get("text").asText(), id = c.get("category").asText() + ": " + text;
            assertEquals(strings(c.get("pieces")), tok.tokens(text), id);
            assertArrayEquals(ints(c.get("ids")), tok.encodeWithEos(text), id);
            assertArrayEquals(ints(c.get("ids_no_lowercase")), tok.withLowercase(false).encodeWithEos(text), id);
            assertArrayEquals(ints(c.get("input_ids_max_length")), tok.tokenize(text), id);
            assertArrayEquals(ints(c.get("input_ids_max_length_64")), tok.tokenize(List.of(text), 64, true)[0], id);
        }
    }

    @Test
    void rawJsonPipelineAddsTheTemplateTokens(@TempDir Path dir) throws IOException {
        SentencePieceModel m = SentencePieceModel.load(Fixtures.path("siglip/siglip2_tiny/tokenizer.model"));
        Path f = writeDir(dir, bpeJson(m), null).resolve("tokenizer.json");
        HfTokenizerJson j = HfTokenizerJson.load(f);
        assertEquals("BPE", j.modelType());
        assertArrayEquals(new int[]{1}, j.suffixIds());
        assertArrayEquals(new int[0], j.prefixIds());
        // no lower-casing in the plain pipeline: what HF 4.x GemmaTokenizerFast gives
        JsonNode c = Siglip2TokenizerFixtureTest.read().get("cases").get(3); // "HELLO WORLD"
        assertEquals("HELLO WORLD", c.get("text").asText());
        assertArrayEquals(ints(c.get("ids_no_lowercase")), j.encodeIds(c.get("text").asText(), true));
        // added tokens are cut out before the model
        assertArrayEquals(new int[]{931, 1, 2, 1}, j.encodeIds("a<eos><bos>", true));
    }

    // ---- CLIP through tokenizer.json ----

    @Test
    void byteLevelBpeJsonBecomesTheClipTokenizer(@TempDir Path dir) throws IOException {
        Path hf = Fixtures.path("models/tiny/hf");
        ObjectNode root = M.createObjectNode();
        root.putArray("added_tokens");
        root.putObject("pre_tokenizer").put("type", "ByteLevel").put("add_prefix_space", false);
        ObjectNode model = root.putObject("model").put("type", "BPE");
        model.put("end_of_word_suffix", "</w>");
        model.set("vocab", M.readTree(hf.resolve("vocab.json").toFile()));
        ArrayNode merges = model.putArray("merges");
        for (String line : Files.readAllLines(hf.resolve("merges.txt"))) {
            if (line.startsWith("#version") || line.isBlank()) continue;
            merges.add(line.trim());
        }
        Files.writeString(dir.resolve("tokenizer.json"), M.writeValueAsString(root));
        Tokenizer t = Tokenizers.load(dir);
        assertInstanceOf(ClipBpeTokenizer.class, t);
        ClipBpeTokenizer ref = ClipBpeTokenizer.load(hf);
        for (String s : List.of("a photo of a cat", "Hello, World!", "naïve café 123")) {
            assertArrayEquals(ref.encode(s), t.encode(s), s);
        }
    }

    // ---- errors ----

    @Test
    void unsupportedComponentsAreNamed(@TempDir Path dir) throws IOException {
        ObjectNode root = M.createObjectNode();
        root.putObject("normalizer").put("type", "BertNormalizer");
        root.putObject("model").put("type", "Unigram").put("unk_id", 0).putArray("vocab").addArray().add("<unk>").add(0.0);
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, M.writeValueAsString(root));
        Clip4jException e = assertThrows(Clip4jException.class, () -> HfTokenizerJson.load(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("BertNormalizer"), e.getMessage());

        ObjectNode wp = M.createObjectNode();
        wp.putObject("model").put("type", "WordPiece").putObject("vocab").put("a", 0);
        Files.writeString(f, M.writeValueAsString(wp));
        e = assertThrows(Clip4jException.class, () -> HfTokenizerJson.load(f));
        assertTrue(e.getMessage().contains("WordPiece"), e.getMessage());

        Files.writeString(f, "{\"model\": {\"type\": \"BPE\", \"vocab\": {\"a\": 0}, \"merges\": [\"a");
        e = assertThrows(Clip4jException.class, () -> HfTokenizerJson.load(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
    }
}
