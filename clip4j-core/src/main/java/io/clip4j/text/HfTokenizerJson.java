package io.clip4j.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.file.Path;
import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * A Hugging Face "fast" tokenizer file ({@code tokenizer.json}) run with the semantics of the Rust
 * {@code tokenizers} library, for the components SentencePiece-derived tokenizers use:
 * <ul>
 *   <li>added tokens (cut out first, leftmost-longest, with lstrip/rstrip);</li>
 *   <li>normalizers Sequence, Precompiled (the SentencePiece charsmap, applied per grapheme cluster as
 *       tokenizers does), Replace (string or regex), Prepend, Lowercase, Strip, NFC/NFD/NFKC/NFKD;</li>
 *   <li>pre-tokenizers Sequence, Metaspace (replacement, prepend_scheme always/first/never, split),
 *       WhitespaceSplit, Whitespace, Split (string or regex pattern);</li>
 *   <li>models Unigram (Viterbi in double precision, unknown runs fused, optional byte fallback) and BPE
 *       (merge ranks, byte fallback {@code <0xAB>}, fuse_unk, ignore_merges, prefix/suffix);</li>
 *   <li>post-processors TemplateProcessing (single sequence), BertProcessing, RobertaProcessing, Sequence.</li>
 * </ul>
 * Anything else is rejected with a {@link Clip4jException} naming the file and the component.
 * Thread-safe (immutable).
 */
public final class HfTokenizerJson {
    public static final String FILE = "tokenizer.json";

    /** One token: its text (for a fused unknown run, the run's text) and id. */
    public record Token(String value, int id) {}

    private final String source;
    private final AddedTokens added;
    private final UnaryOperator<String> normalizer;   // identity when absent
    private final PreTok preTokenizer;                // null when absent
    private final Model model;
    private final int[] prefixIds, suffixIds;
    private final String modelType;

    private HfTokenizerJson(String source, AddedTokens added, UnaryOperator<String> normalizer, PreTok preTokenizer,
                            Model model, int[] prefixIds, int[] suffixIds, String modelType) {
        this.source = source;
        this.added = added;
        this.normalizer = normalizer;
        this.preTokenizer = preTokenizer;
        this.model = model;
        this.prefixIds = prefixIds;
        this.suffixIds = suffixIds;
        this.modelType = modelType;
    }

    // ================= loading =================

    /**
     * Reads a tokenizer.json.
     *
     * @throws Clip4jException naming the file for malformed JSON or an unsupported component
     */
    public static HfTokenizerJson load(Path file) throws IOException {
        String source = file.toString();
        ObjectMapper mapper = new ObjectMapper();
        JsonNode addedNode = null, normNode = null, preNode = null, postNode = null;
        ModelSpec spec = null;
        try (JsonParser p = new JsonFactory().setCodec(mapper).createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw bad(source, "not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                switch (name) {
                    case "added_tokens" -> addedNode = mapper.readTree(p);
                    case "normalizer" -> normNode = mapper.readTree(p);
                    case "pre_tokenizer" -> preNode = mapper.readTree(p);
                    case "post_processor" -> postNode = mapper.readTree(p);
                    case "model" -> spec = readModel(p, source);
                    default -> p.skipChildren();
                }
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw bad(source, "invalid JSON: " + e.getOriginalMessage());
        }
        if (spec == null) throw bad(source, "no \"model\"");
        return build(source, spec, addedNode, normNode, preNode, postNode);
    }

    /** Whether a tokenizer.json holds a byte-level BPE (GPT-2 / CLIP style: a ByteLevel pre-tokenizer). */
    static boolean isByteLevel(Path file) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        try (JsonParser p = new JsonFactory().setCodec(mapper).createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) return false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("pre_tokenizer")) return containsType(mapper.readTree(p), "ByteLevel");
                p.skipChildren();
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw bad(file.toString(), "invalid JSON: " + e.getOriginalMessage());
        }
        return false;
    }

    /** A byte-level BPE's vocab and merges (for {@link ClipBpeTokenizer}). */
    static ClipBpeTokenizer clipTokenizer(Path file, int contextLength) throws IOException {
        ModelSpec spec = null;
        ObjectMapper mapper = new ObjectMapper();
        try (JsonParser p = new JsonFactory().setCodec(mapper).createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw bad(file.toString(), "not a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (name.equals("model")) spec = readModel(p, file.toString());
                else p.skipChildren();
            }
        }
        if (spec == null || !"BPE".equals(spec.type)) throw bad(file.toString(), "not a BPE model");
        HashMap<String, Integer> vocab = new HashMap<>();
        for (int i = 0; i < spec.tokens.size(); i++) if (spec.tokens.get(i) != null) vocab.put(spec.tokens.get(i), i);
        List<String[]> merges = spec.merges;
        if (merges.size() > ClipBpeTokenizer.MAX_MERGES) merges = merges.subList(0, ClipBpeTokenizer.MAX_MERGES);
        try {
            return new ClipBpeTokenizer(vocab, merges, contextLength);
        } catch (IllegalArgumentException e) {
            throw bad(file.toString(), e.getMessage());
        }
    }

    private static boolean containsType(JsonNode n, String type) {
        if (n == null || n.isNull()) return false;
        if (type.equals(n.path("type").asText())) return true;
        for (JsonNode c : n) if (containsType(c, type)) return true;
        return false;
    }

    private static Clip4jException bad(String source, String why) {
        return new Clip4jException("cannot use tokenizer file " + source + ": " + why);
    }

    /** The model section, read with the streaming parser (vocabularies can have 256k entries). */
    private static final class ModelSpec {
        String type;
        // Unigram: vocab [[piece, score], ...]; BPE: vocab {piece: id}
        final List<String> tokens = new ArrayList<>();
        double[] scores = new double[0];
        final List<String[]> merges = new ArrayList<>();
        Integer unkId;
        String unkToken;
        boolean byteFallback, fuseUnk, ignoreMerges;
        String continuingSubwordPrefix, endOfWordSuffix;
        double dropout;
    }

    private static ModelSpec readModel(JsonParser p, String source) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) throw bad(source, "\"model\" is not an object");
        ModelSpec m = new ModelSpec();
        JsonToken vocabToken = null;
        List<String> objTokens = null;
        List<Integer> objIds = null;
        List<String> listTokens = null;
        double[] listScores = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String name = p.currentName();
            JsonToken v = p.nextToken();
            switch (name) {
                case "type" -> m.type = p.getValueAsString();
                case "unk_id" -> m.unkId = v == JsonToken.VALUE_NULL ? null : p.getIntValue();
                case "unk_token" -> m.unkToken = v == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                case "byte_fallback" -> m.byteFallback = v == JsonToken.VALUE_TRUE;
                case "fuse_unk" -> m.fuseUnk = v == JsonToken.VALUE_TRUE;
                case "ignore_merges" -> m.ignoreMerges = v == JsonToken.VALUE_TRUE;
                case "continuing_subword_prefix" -> m.continuingSubwordPrefix = v == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                case "end_of_word_suffix" -> m.endOfWordSuffix = v == JsonToken.VALUE_NULL ? null : p.getValueAsString();
                case "dropout" -> m.dropout = v == JsonToken.VALUE_NULL ? 0 : p.getDoubleValue();
                case "vocab" -> {
                    vocabToken = v;
                    if (v == JsonToken.START_OBJECT) { // BPE / WordPiece: {token: id}
                        objTokens = new ArrayList<>();
                        objIds = new ArrayList<>();
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String tok = p.currentName();
                            if (!p.nextToken().isNumeric()) throw bad(source, "vocab entry \"" + tok + "\" has no integer id");
                            objTokens.add(tok);
                            objIds.add(p.getIntValue());
                        }
                    } else if (v == JsonToken.START_ARRAY) { // Unigram: [[piece, score], ...]
                        listTokens = new ArrayList<>();
                        listScores = new double[1024];
                        while (p.nextToken() == JsonToken.START_ARRAY) {
                            if (p.nextToken() != JsonToken.VALUE_STRING) throw bad(source, "unigram vocab entry " + listTokens.size() + " has no piece string");
                            String tok = p.getText();
                            if (!p.nextToken().isNumeric()) throw bad(source, "unigram vocab entry " + listTokens.size() + " has no score");
                            double score = p.getDoubleValue();
                            if (p.nextToken() != JsonToken.END_ARRAY) throw bad(source, "unigram vocab entry " + listTokens.size() + " is not [piece, score]");
                            if (listTokens.size() == listScores.length) listScores = Arrays.copyOf(listScores, listScores.length * 2);
                            listScores[listTokens.size()] = score;
                            listTokens.add(tok);
                        }
                    } else {
                        throw bad(source, "\"vocab\" is neither an object nor an array");
                    }
                }
                case "merges" -> {
                    if (v != JsonToken.START_ARRAY) throw bad(source, "\"merges\" is not an array");
                    while ((v = p.nextToken()) != JsonToken.END_ARRAY) {
                        if (v == JsonToken.VALUE_STRING) {
                            String[] parts = p.getText().split(" ", -1);
                            if (parts.length != 2) throw bad(source, "merge \"" + p.getText() + "\" is not two tokens separated by a space");
                            m.merges.add(parts);
                        } else if (v == JsonToken.START_ARRAY) {
                            String a = p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                            String b = p.nextToken() == JsonToken.VALUE_STRING ? p.getText() : null;
                            if (a == null || b == null || p.nextToken() != JsonToken.END_ARRAY) throw bad(source, "merge " + m.merges.size() + " is not [left, right]");
                            m.merges.add(new String[]{a, b});
                        } else {
                            throw bad(source, "merge " + m.merges.size() + " is neither a string nor a pair");
                        }
                    }
                }
                default -> p.skipChildren();
            }
        }
        if (m.type == null) {
            // older files omit "type": infer it from the vocab's shape
            m.type = vocabToken == JsonToken.START_ARRAY ? "Unigram" : "BPE";
        }
        if (listTokens != null) {
            m.tokens.addAll(listTokens);
            m.scores = Arrays.copyOf(listScores, listTokens.size());
        } else if (objTokens != null) {
            int max = -1;
            for (int id : objIds) {
                if (id < 0) throw bad(source, "negative token id " + id);
                max = Math.max(max, id);
            }
            if (max > 4L * objIds.size() + 1024) throw bad(source, "vocabulary ids are too sparse (max id " + max + ")");
            for (int i = 0; i <= max; i++) m.tokens.add(null);
            for (int i = 0; i < objTokens.size(); i++) m.tokens.set(objIds.get(i), objTokens.get(i));
        }
        return m;
    }

    private static HfTokenizerJson build(String source, ModelSpec spec, JsonNode addedNode, JsonNode normNode,
                                         JsonNode preNode, JsonNode postNode) {
        Model model = switch (spec.type) {
            case "Unigram" -> new UnigramModel(spec, source);
            case "BPE" -> new BpeModel(spec, source);
            default -> throw bad(source, "unsupported model type " + spec.type + " (Unigram and BPE are supported)");
        };
        List<AddedTokens.Token> addedList = new ArrayList<>();
        if (addedNode != null && addedNode.isArray()) {
            for (JsonNode t : addedNode) {
                String content = t.path("content").asText(null);
                if (content == null || !t.path("id").isInt()) throw bad(source, "added token without content or id: " + t);
                addedList.add(new AddedTokens.Token(content, t.path("id").asInt(), t.path("lstrip").asBoolean(false),
                        t.path("rstrip").asBoolean(false), t.path("special").asBoolean(false), t.path("normalized").asBoolean(false)));
            }
        }
        AddedTokens added = new AddedTokens(addedList);
        UnaryOperator<String> norm = normNode == null || normNode.isNull() ? s -> s : normalizer(normNode, source);
        PreTok pre = preNode == null || preNode.isNull() ? null : preTokenizer(preNode, source);
        List<Integer> prefix = new ArrayList<>(), suffix = new ArrayList<>();
        if (postNode != null && !postNode.isNull()) postProcessor(postNode, source, prefix, suffix, added, model);
        return new HfTokenizerJson(source, added, norm, pre, model,
                prefix.stream().mapToInt(Integer::intValue).toArray(), suffix.stream().mapToInt(Integer::intValue).toArray(), spec.type);
    }

    // ================= normalizers =================

    private static UnaryOperator<String> normalizer(JsonNode n, String source) {
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence": {
                List<UnaryOperator<String>> steps = new ArrayList<>();
                for (JsonNode c : n.path("normalizers")) steps.add(normalizer(c, source));
                return s -> {
                    for (UnaryOperator<String> f : steps) s = f.apply(s);
                    return s;
                };
            }
            case "Precompiled": {
                String b64 = n.path("precompiled_charsmap").asText("");
                if (b64.isEmpty()) return s -> s;
                CharsMap map;
                try {
                    map = CharsMap.parse(Base64.getDecoder().decode(b64));
                } catch (IllegalArgumentException e) {
                    throw bad(source, "Precompiled normalizer: " + e.getMessage());
                }
                return s -> precompiled(map, s);
            }
            case "Replace": {
                String content = n.path("content").asText("");
                JsonNode pat = n.path("pattern");
                if (pat.has("String")) {
                    String target = pat.get("String").asText();
                    if (target.isEmpty()) return s -> s;
                    return s -> s.replace(target, content);
                }
                if (pat.has("Regex")) {
                    Pattern re = compile(pat.get("Regex").asText(), source);
                    String repl = Matcher.quoteReplacement(content);
                    return s -> re.matcher(s).replaceAll(repl);
                }
                throw bad(source, "Replace normalizer without a String or Regex pattern");
            }
            case "Prepend": {
                String prepend = n.path("prepend").asText("");
                return s -> s.isEmpty() ? s : prepend + s;
            }
            case "Lowercase":
                return SiglipText::lowerPerChar;
            case "Strip": {
                boolean left = n.path("strip_left").asBoolean(false), right = n.path("strip_right").asBoolean(false);
                return s -> {
                    if (left) s = SiglipText.unicodeLstrip(s);
                    if (right) s = SiglipText.unicodeRstrip(s);
                    return s;
                };
            }
            case "NFC": return s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFC);
            case "NFD": return s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD);
            case "NFKC": return s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKC);
            case "NFKD": return s -> java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFKD);
            default:
                throw bad(source, "unsupported normalizer " + (type.isEmpty() ? n.toString() : type));
        }
    }

    private static Pattern compile(String regex, String source) {
        try {
            return Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw bad(source, "unsupported regex " + regex + ": " + e.getDescription());
        }
    }

    /**
     * tokenizers' Precompiled normalizer: for each extended grapheme cluster, if it is shorter than 6 UTF-8
     * bytes and some rule's source is a prefix of it, the whole cluster becomes the first (shortest) such
     * rule's replacement; otherwise each character is replaced by its first matching rule or kept.
     * (Not sentencepiece's longest match over the running text; both agree on ordinary text.)
     */
    static String precompiled(CharsMap map, String s) {
        StringBuilder out = new StringBuilder(s.length() + 8);
        BreakIterator it = BreakIterator.getCharacterInstance(Locale.ROOT);
        it.setText(s);
        int start = it.first();
        for (int end = it.next(); end != BreakIterator.DONE; start = end, end = it.next()) {
            String g = s.substring(start, end);
            byte[] gb = Utf8Bytes.encode(g);
            if (gb.length < 6) {
                byte[] r = map.firstMatchReplacement(gb, 0, gb.length);
                if (r != null) { out.append(Utf8Bytes.decode(r)); continue; }
            }
            for (int i = 0; i < g.length(); ) {
                int cp = g.codePointAt(i);
                String c = Character.toString(cp);
                byte[] cb = Utf8Bytes.encode(c);
                byte[] r = map.firstMatchReplacement(cb, 0, cb.length);
                out.append(r != null ? Utf8Bytes.decode(r) : c);
                i += Character.charCount(cp);
            }
        }
        return out.toString();
    }

    // ================= pre-tokenizers =================

    /** A pre-token: its text and whether it starts at the very beginning of the input (offset 0). */
    private record Piece(String text, boolean atStart) {}

    private interface PreTok {
        List<Piece> split(List<Piece> in);
    }

    private enum Behavior { REMOVED, ISOLATED, MERGED_WITH_PREVIOUS, MERGED_WITH_NEXT, CONTIGUOUS }

    private static PreTok preTokenizer(JsonNode n, String source) {
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence": {
                List<PreTok> steps = new ArrayList<>();
                for (JsonNode c : n.path("pretokenizers")) steps.add(preTokenizer(c, source));
                return in -> {
                    for (PreTok t : steps) in = t.split(in);
                    return in;
                };
            }
            case "Metaspace": {
                String replacement = n.path("replacement").asText("\u2581");
                if (replacement.codePointCount(0, replacement.length()) != 1) throw bad(source, "Metaspace replacement must be one character");
                String scheme;
                if (n.has("prepend_scheme")) scheme = n.get("prepend_scheme").asText("always");
                else scheme = n.path("add_prefix_space").asBoolean(true) ? "always" : "never";
                if (!scheme.equals("always") && !scheme.equals("first") && !scheme.equals("never")) throw bad(source, "unknown Metaspace prepend_scheme " + scheme);
                boolean split = n.path("split").asBoolean(true);
                String finalScheme = scheme;
                return in -> {
                    List<Piece> out = new ArrayList<>();
                    for (Piece p : in) {
                        String s = p.text().replace(" ", replacement);
                        // prepend only to a non-empty string that does not already start with the replacement
                        boolean prepend = !s.isEmpty() && !s.startsWith(replacement)
                                && (finalScheme.equals("always") || (finalScheme.equals("first") && p.atStart()));
                        if (prepend) s = replacement + s;
                        if (split) splitString(s, replacement, Behavior.MERGED_WITH_NEXT, p.atStart(), out);
                        else if (!s.isEmpty()) out.add(new Piece(s, p.atStart()));
                    }
                    return out;
                };
            }
            case "WhitespaceSplit":
                return in -> {
                    List<Piece> out = new ArrayList<>();
                    for (Piece p : in) {
                        String s = p.text();
                        int i = 0;
                        while (i < s.length()) {
                            while (i < s.length() && SiglipText.isUnicodeWhitespace(s.charAt(i))) i++;
                            int j = i;
                            while (j < s.length() && !SiglipText.isUnicodeWhitespace(s.charAt(j))) j++;
                            if (j > i) out.add(new Piece(s.substring(i, j), p.atStart() && i == 0));
                            i = j;
                        }
                    }
                    return out;
                };
            case "Whitespace": {
                Pattern re = Pattern.compile("\\w+|[^\\w\\s]+", Pattern.UNICODE_CHARACTER_CLASS);
                return in -> {
                    List<Piece> out = new ArrayList<>();
                    for (Piece p : in) {
                        Matcher m = re.matcher(p.text());
                        while (m.find()) out.add(new Piece(m.group(), p.atStart() && m.start() == 0));
                    }
                    return out;
                };
            }
            case "Split": {
                JsonNode pat = n.path("pattern");
                Pattern re;
                if (pat.has("String")) re = Pattern.compile(Pattern.quote(pat.get("String").asText()));
                else if (pat.has("Regex")) re = compile(pat.get("Regex").asText(), source);
                else throw bad(source, "Split pre-tokenizer without a String or Regex pattern");
                Behavior behavior = switch (n.path("behavior").asText("Removed")) {
                    case "Removed" -> Behavior.REMOVED;
                    case "Isolated" -> Behavior.ISOLATED;
                    case "MergedWithPrevious" -> Behavior.MERGED_WITH_PREVIOUS;
                    case "MergedWithNext" -> Behavior.MERGED_WITH_NEXT;
                    case "Contiguous" -> Behavior.CONTIGUOUS;
                    default -> throw bad(source, "unknown Split behavior " + n.path("behavior").asText());
                };
                if (n.path("invert").asBoolean(false)) throw bad(source, "Split with invert=true is not supported");
                return in -> {
                    List<Piece> out = new ArrayList<>();
                    for (Piece p : in) splitRegex(p.text(), re, behavior, p.atStart(), out);
                    return out;
                };
            }
            default:
                throw bad(source, "unsupported pre_tokenizer " + (type.isEmpty() ? n.toString() : type));
        }
    }

    private static void splitString(String s, String delimiter, Behavior behavior, boolean atStart, List<Piece> out) {
        splitRegex(s, Pattern.compile(Pattern.quote(delimiter)), behavior, atStart, out);
    }

    /** tokenizers' NormalizedString::split: matches are delimiters, combined with their neighbours per behaviour. */
    private static void splitRegex(String s, Pattern re, Behavior behavior, boolean atStart, List<Piece> out) {
        // (start, end, isMatch) spans covering s
        List<int[]> spans = new ArrayList<>();
        Matcher m = re.matcher(s);
        int last = 0;
        while (m.find()) {
            if (m.end() == m.start()) continue; // empty matches split nothing
            if (m.start() > last) spans.add(new int[]{last, m.start(), 0});
            spans.add(new int[]{m.start(), m.end(), 1});
            last = m.end();
        }
        if (last < s.length()) spans.add(new int[]{last, s.length(), 0});
        List<int[]> parts = new ArrayList<>();
        switch (behavior) {
            case REMOVED -> { for (int[] sp : spans) if (sp[2] == 0) parts.add(sp); }
            case ISOLATED -> parts.addAll(spans);
            case CONTIGUOUS -> {
                for (int[] sp : spans) {
                    int[] prev = parts.isEmpty() ? null : parts.get(parts.size() - 1);
                    if (prev != null && prev[2] == 1 && sp[2] == 1) prev[1] = sp[1];
                    else parts.add(sp.clone());
                }
            }
            case MERGED_WITH_PREVIOUS -> {
                for (int[] sp : spans) {
                    int[] prev = parts.isEmpty() ? null : parts.get(parts.size() - 1);
                    if (sp[2] == 1 && prev != null && prev[2] == 0) { prev[1] = sp[1]; prev[2] = 2; }
                    else parts.add(sp.clone());
                }
            }
            case MERGED_WITH_NEXT -> {
                int[] pending = null;
                for (int[] sp : spans) {
                    if (sp[2] == 1) {
                        if (pending != null) parts.add(pending);
                        pending = sp.clone();
                    } else if (pending != null) {
                        pending[1] = sp[1];
                        parts.add(pending);
                        pending = null;
                    } else {
                        parts.add(sp.clone());
                    }
                }
                if (pending != null) parts.add(pending);
            }
        }
        for (int[] pt : parts) {
            if (pt[1] > pt[0]) out.add(new Piece(s.substring(pt[0], pt[1]), atStart && pt[0] == 0));
        }
    }

    // ================= post-processors =================

    private static void postProcessor(JsonNode n, String source, List<Integer> prefix, List<Integer> suffix,
                                      AddedTokens added, Model model) {
        String type = n.path("type").asText();
        switch (type) {
            case "Sequence" -> {
                for (JsonNode c : n.path("processors")) postProcessor(c, source, prefix, suffix, added, model);
            }
            case "TemplateProcessing" -> {
                boolean seenSequence = false;
                for (JsonNode item : n.path("single")) {
                    if (item.has("Sequence")) { seenSequence = true; continue; }
                    if (item.has("SpecialToken")) {
                        String name = item.get("SpecialToken").path("id").asText();
                        JsonNode st = n.path("special_tokens").path(name);
                        List<Integer> ids = new ArrayList<>();
                        if (st.has("ids")) for (JsonNode id : st.get("ids")) ids.add(id.asInt());
                        else {
                            int id = idOf(name, added, model);
                            if (id < 0) throw bad(source, "TemplateProcessing special token " + name + " has no id");
                            ids.add(id);
                        }
                        (seenSequence ? suffix : prefix).addAll(ids);
                    }
                }
            }
            case "BertProcessing", "RobertaProcessing" -> {
                JsonNode cls = n.path("cls"), sep = n.path("sep");
                if (cls.size() == 2) prefix.add(cls.get(1).asInt());
                if (sep.size() == 2) suffix.add(sep.get(1).asInt());
            }
            case "ByteLevel" -> { }
            default -> throw bad(source, "unsupported post_processor " + type);
        }
    }

    private static int idOf(String token, AddedTokens added, Model model) {
        AddedTokens.Token t = added.get(token);
        return t != null ? t.id() : model.tokenToId(token);
    }

    // ================= models =================

    private interface Model {
        /** Tokenizes one pre-token. */
        List<Token> tokenize(String word);
        int tokenToId(String token);
        String idToToken(int id);
    }

    /** tokenizers' Unigram: Viterbi (encode_optimized) with f64 scores. */
    private static final class UnigramModel implements Model {
        private static final double UNK_PENALTY = 10.0;
        private final String[] tokens;
        private final double[] scores;
        private final HashMap<String, Integer> ids = new HashMap<>();
        private final ByteTrie trie;
        private final int unkId;
        private final boolean byteFallback;
        private final double minScore;

        UnigramModel(ModelSpec spec, String source) {
            int n = spec.tokens.size();
            if (n == 0) throw bad(source, "empty Unigram vocabulary");
            tokens = spec.tokens.toArray(new String[0]);
            scores = spec.scores;
            List<byte[]> keys = new ArrayList<>(n);
            int[] values = new int[n];
            double min = Double.POSITIVE_INFINITY;
            // a token listed twice keeps its last id (tokenizers fills its map in order)
            for (int i = 0; i < n; i++) ids.put(tokens[i], i);
            for (int i = 0; i < n; i++) {
                keys.add(Utf8Bytes.encode(tokens[i]));
                values[i] = ids.get(tokens[i]);
                min = Math.min(min, scores[i]);
            }
            trie = ByteTrie.build(keys, values);
            minScore = min;
            if (spec.unkId == null) throw bad(source, "Unigram model without unk_id");
            if (spec.unkId < 0 || spec.unkId >= n) throw bad(source, "Unigram unk_id " + spec.unkId + " is out of range");
            unkId = spec.unkId;
            byteFallback = spec.byteFallback;
        }

        @Override
        public List<Token> tokenize(String word) {
            byte[] s = Utf8Bytes.encode(word);
            int size = s.length;
            List<Token> out = new ArrayList<>();
            if (size == 0) return out;
            double unkScore = minScore - UNK_PENALTY;
            double[] best = new double[size + 1];
            int[] startsAt = new int[size + 1];
            int[] bestId = new int[size + 1];
            Arrays.fill(startsAt, -1);
            for (int start = 0; start < size; ) {
                double tillHere = best[start];
                boolean hasSingle = false;
                int mblen = Math.max(1, Math.min(Utf8Bytes.oneCharLen(s[start]), size - start));
                int node = 0;
                for (int pos = start; pos < size; ) {
                    node = trie.child(node, s[pos]);
                    if (node < 0) break;
                    pos++;
                    int id = trie.value(node);
                    if (id < 0) continue;
                    double cand = scores[id] + tillHere;
                    if (startsAt[pos] == -1 || cand > best[pos]) { best[pos] = cand; startsAt[pos] = start; bestId[pos] = id; }
                    if (!hasSingle && pos - start == mblen) hasSingle = true;
                }
                if (!hasSingle) {
                    int pos = start + mblen;
                    double cand = unkScore + tillHere;
                    if (startsAt[pos] == -1 || cand > best[pos]) { best[pos] = cand; startsAt[pos] = start; bestId[pos] = unkId; }
                }
                start += mblen;
            }
            // backtrack, fusing consecutive unknown nodes
            List<String> rev = new ArrayList<>();
            StringBuilder unk = null;
            for (int end = size; end > 0; ) {
                int st = startsAt[end];
                String piece = Utf8Bytes.decode(s, st, end - st);
                if (bestId[end] == unkId) {
                    if (unk == null) unk = new StringBuilder();
                    unk.insert(0, piece);
                } else {
                    if (unk != null) { rev.add(unk.toString()); unk = null; }
                    rev.add(piece);
                }
                end = st;
            }
            if (unk != null) rev.add(unk.toString());
            for (int i = rev.size() - 1; i >= 0; i--) {
                String piece = rev.get(i);
                Integer id = ids.get(piece);
                if (id != null) { out.add(new Token(piece, id)); continue; }
                if (byteFallback) {
                    byte[] bytes = Utf8Bytes.encode(piece);
                    List<Token> bt = new ArrayList<>(bytes.length);
                    for (byte b : bytes) {
                        String bp = SentencePieceModel.bytePiece(b);
                        Integer bid = ids.get(bp);
                        if (bid == null) { bt = null; break; }
                        bt.add(new Token(bp, bid));
                    }
                    if (bt != null) { out.addAll(bt); continue; }
                }
                out.add(new Token(piece, unkId));
            }
            return out;
        }

        @Override public int tokenToId(String token) { Integer id = ids.get(token); return id == null ? -1 : id; }
        @Override public String idToToken(int id) { return id >= 0 && id < tokens.length ? tokens[id] : null; }
    }

    /** tokenizers' BPE: lowest merge rank first (ties: leftmost), byte fallback, fuse_unk. */
    private static final class BpeModel implements Model {
        private final String[] tokens;
        private final HashMap<String, Integer> ids = new HashMap<>();
        private final LongIntMap mergeRank = new LongIntMap();
        private final LongIntMap mergeResult = new LongIntMap();
        private final Integer unkId;
        private final boolean byteFallback, fuseUnk, ignoreMerges;
        private final String prefix, suffix;

        BpeModel(ModelSpec spec, String source) {
            tokens = spec.tokens.toArray(new String[0]);
            for (int i = 0; i < tokens.length; i++) if (tokens[i] != null) ids.put(tokens[i], i);
            if (spec.dropout > 0) throw bad(source, "BPE dropout is not supported");
            prefix = spec.continuingSubwordPrefix;
            suffix = spec.endOfWordSuffix;
            int plen = prefix == null ? 0 : prefix.length();
            for (int r = 0; r < spec.merges.size(); r++) {
                String[] m = spec.merges.get(r);
                Integer a = ids.get(m[0]), b = ids.get(m[1]);
                if (a == null || b == null) throw bad(source, "merge " + r + " (" + m[0] + " " + m[1] + ") uses a token missing from the vocab");
                String merged = m[0] + (plen > 0 && m[1].startsWith(prefix) ? m[1].substring(plen) : m[1]);
                Integer c = ids.get(merged);
                if (c == null) throw bad(source, "merge " + r + " gives " + merged + ", which is missing from the vocab");
                long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
                if (!mergeRank.containsKey(key)) {
                    mergeRank.put(key, r);
                    mergeResult.put(key, c);
                }
            }
            if (spec.unkToken != null) {
                unkId = ids.get(spec.unkToken);
                if (unkId == null) throw bad(source, "BPE unk_token " + spec.unkToken + " is not in the vocab");
            } else {
                unkId = null;
            }
            byteFallback = spec.byteFallback;
            fuseUnk = spec.fuseUnk;
            ignoreMerges = spec.ignoreMerges;
        }

        @Override
        public List<Token> tokenize(String word) {
            List<Token> out = new ArrayList<>();
            if (word.isEmpty()) return out;
            if (ignoreMerges) {
                Integer id = ids.get(word);
                if (id != null) { out.add(new Token(word, id)); return out; }
            }
            // initial symbols: one per character (with prefix/suffix), byte pieces or unknown as needed
            List<Integer> sym = new ArrayList<>();
            int unkPending = -1;
            for (int i = 0; i < word.length(); ) {
                int cp = word.codePointAt(i);
                int next = i + Character.charCount(cp);
                String s = word.substring(i, next);
                if (i > 0 && prefix != null) s = prefix + s;
                if (next == word.length() && suffix != null) s = s + suffix;
                Integer id = ids.get(s);
                if (id != null) {
                    if (unkPending >= 0) { sym.add(unkPending); unkPending = -1; }
                    sym.add(id);
                } else {
                    List<Integer> bytes = null;
                    if (byteFallback) {
                        bytes = new ArrayList<>();
                        for (byte b : Utf8Bytes.encode(s)) {
                            Integer bid = ids.get(SentencePieceModel.bytePiece(b));
                            if (bid == null) { bytes = null; break; }
                            bytes.add(bid);
                        }
                    }
                    if (bytes != null) {
                        if (unkPending >= 0) { sym.add(unkPending); unkPending = -1; }
                        sym.addAll(bytes);
                    } else if (unkId != null) {
                        if (unkPending >= 0 && !fuseUnk) { sym.add(unkPending); }
                        if (unkPending < 0 || !fuseUnk) unkPending = unkId;
                    }
                    // no unk token: the character is dropped, as tokenizers does
                }
                i = next;
            }
            if (unkPending >= 0) sym.add(unkPending);
            int n = sym.size();
            int[] id = new int[n], prev = new int[n], nxt = new int[n];
            boolean[] dead = new boolean[n];
            for (int i = 0; i < n; i++) { id[i] = sym.get(i); prev[i] = i - 1; nxt[i] = i + 1 < n ? i + 1 : -1; }
            // queue entries {rank, pos, newId}: lowest rank, then lowest position
            java.util.PriorityQueue<long[]> q = new java.util.PriorityQueue<>((x, y) -> x[0] != y[0] ? Long.compare(x[0], y[0]) : Long.compare(x[1], y[1]));
            for (int i = 0; i + 1 < n; i++) push(q, i, id[i], id[i + 1]);
            while (!q.isEmpty()) {
                long[] top = q.poll();
                int pos = (int) top[1];
                if (dead[pos] || nxt[pos] < 0) continue;
                int right = nxt[pos];
                long key = ((long) id[pos] << 32) | (id[right] & 0xFFFFFFFFL);
                if (!mergeResult.containsKey(key) || mergeResult.get(key) != (int) top[2]) continue; // expired
                id[pos] = (int) top[2];
                dead[right] = true;
                nxt[pos] = nxt[right];
                if (nxt[right] >= 0) prev[nxt[right]] = pos;
                if (prev[pos] >= 0) push(q, prev[pos], id[prev[pos]], id[pos]);
                if (nxt[pos] >= 0) push(q, pos, id[pos], id[nxt[pos]]);
            }
            for (int i = 0; i >= 0 && n > 0; i = nxt[i]) out.add(new Token(tokens[id[i]], id[i]));
            return out;
        }

        private void push(java.util.PriorityQueue<long[]> q, int pos, int a, int b) {
            long key = ((long) a << 32) | (b & 0xFFFFFFFFL);
            if (mergeRank.containsKey(key)) q.add(new long[]{mergeRank.get(key), pos, mergeResult.get(key)});
        }

        @Override public int tokenToId(String token) { Integer i = ids.get(token); return i == null ? -1 : i; }
        @Override public String idToToken(int i) { return i >= 0 && i < tokens.length ? tokens[i] : null; }
    }

    /** A small open-addressing long → int map (BPE merge tables have hundreds of thousands of entries). */
    private static final class LongIntMap {
        private long[] keys = new long[1024];
        private int[] vals = new int[1024];
        private boolean[] used = new boolean[1024];
        private int size;

        private int slot(long k) {
            long h = k * 0x9E3779B97F4A7C15L;
            return (int) (h >>> 40) & (keys.length - 1);
        }

        boolean containsKey(long k) {
            for (int i = slot(k); used[i]; i = (i + 1) & (keys.length - 1)) if (keys[i] == k) return true;
            return false;
        }

        int get(long k) {
            for (int i = slot(k); used[i]; i = (i + 1) & (keys.length - 1)) if (keys[i] == k) return vals[i];
            return -1;
        }

        void put(long k, int v) {
            if ((size + 1) * 2 > keys.length) grow();
            int i = slot(k);
            while (used[i] && keys[i] != k) i = (i + 1) & (keys.length - 1);
            if (!used[i]) { used[i] = true; keys[i] = k; size++; }
            vals[i] = v;
        }

        private void grow() {
            long[] ok = keys; int[] ov = vals; boolean[] ou = used;
            keys = new long[ok.length * 2]; vals = new int[ok.length * 2]; used = new boolean[ok.length * 2];
            size = 0;
            for (int i = 0; i < ok.length; i++) if (ou[i]) put(ok[i], ov[i]);
        }
    }

    // ================= encoding =================

    /** The file this tokenizer was read from. */
    public String source() { return source; }

    /** "Unigram" or "BPE". */
    public String modelType() { return modelType; }

    /** The normalizer applied to a text segment. */
    public String normalize(String text) { return normalizer.apply(text); }

    /**
     * One text segment (no added tokens in it) through normalizer, pre-tokenizer and model.
     * {@code atStart}: the segment starts the input (Metaspace's prepend_scheme "first").
     */
    public List<Token> encodeSegment(String text, boolean atStart) {
        String norm = normalizer.apply(text);
        List<Piece> pieces = List.of(new Piece(norm, atStart));
        if (preTokenizer != null) pieces = preTokenizer.split(pieces);
        List<Token> out = new ArrayList<>();
        for (Piece p : pieces) out.addAll(model.tokenize(p.text()));
        return out;
    }

    /**
     * {@code tokenizer.encode(text, add_special_tokens)}: added tokens cut out, each other segment
     * encoded, then the post-processor's special tokens around the result.
     */
    public List<Token> encode(String text, boolean addSpecialTokens) {
        List<Token> out = new ArrayList<>();
        if (addSpecialTokens) for (int id : prefixIds) out.add(new Token(idToToken(id), id));
        for (AddedTokens.Segment seg : added.split(text, false)) {
            if (seg.isToken()) out.add(new Token(seg.token().content(), seg.token().id()));
            else out.addAll(encodeSegment(seg.text(), seg.offset() == 0));
        }
        if (addSpecialTokens) for (int id : suffixIds) out.add(new Token(idToToken(id), id));
        return out;
    }

    /** The ids of {@link #encode}. */
    public int[] encodeIds(String text, boolean addSpecialTokens) {
        return encode(text, addSpecialTokens).stream().mapToInt(Token::id).toArray();
    }

    /** The id of a token (added tokens first), or -1. */
    public int tokenToId(String token) { return idOf(token, added, model); }

    /** The token of an id (added tokens first), or null. */
    public String idToToken(int id) {
        for (AddedTokens.Token t : added.all()) if (t.id() == id) return t.content();
        return model.idToToken(id);
    }

    /** Special-token ids the post-processor puts before / after a single sequence. */
    public int[] prefixIds() { return prefixIds.clone(); }
    public int[] suffixIds() { return suffixIds.clone(); }

    AddedTokens addedTokens() { return added; }
}
