package io.clip4j.text;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;

import java.io.BufferedReader;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI CLIP's byte-level BPE tokenizer ({@code simple_tokenizer.SimpleTokenizer} + {@code clip.tokenize}),
 * bit-exact, reading the Hugging Face files {@code vocab.json} and {@code merges.txt}.
 *
 * <p>{@link #encode}: clean the text ({@link TextCleaner}: ftfy, HTML unescaping, whitespace, lower case),
 * split it into pieces ({@link PreTokenizer}), write each piece's UTF-8 bytes as byte-level characters
 * ({@link ByteLevel}), run BPE on it ({@link BytePairEncoder}) and look the symbols up in the vocabulary.
 * A piece that is exactly {@code <|startoftext|>} or {@code <|endoftext|>} maps straight to its special id,
 * so those strings written in the text become the special tokens.
 *
 * <p>Thread-safe; the BPE cache is shared.
 */
public final class ClipBpeTokenizer implements Tokenizer {
    public static final String VOCAB_FILE = "vocab.json";
    public static final String MERGES_FILE = "merges.txt";
    public static final String CONFIG_FILE = "tokenizer_config.json";
    public static final int DEFAULT_CONTEXT_LENGTH = 77;
    private static final int CACHE_ENTRIES = 65_536;

    private final Map<String, Integer> vocab;
    private final String[] decoder;
    private final BytePairEncoder bpe;
    private final int sotId, eotId;
    private final int contextLength;

    /**
     * @param vocab         symbol → id (vocab.json), must contain {@code <|startoftext|>} and {@code <|endoftext|>}
     * @param merges        BPE merges in rank order, each {left, right}
     * @param contextLength default row length for {@link #tokenize(List)}
     */
    public ClipBpeTokenizer(Map<String, Integer> vocab, List<String[]> merges, int contextLength) {
        this(new HashMap<>(vocab), merges, contextLength, true);
    }

    /** vocab is owned by the new tokenizer (not copied); the flag only tells this constructor apart. */
    private ClipBpeTokenizer(HashMap<String, Integer> vocab, List<String[]> merges, int contextLength, boolean owned) {
        if (contextLength < 2) throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
        this.vocab = vocab;
        Integer sot = vocab.get(PreTokenizer.SOT), eot = vocab.get(PreTokenizer.EOT);
        if (sot == null || eot == null) {
            throw new IllegalArgumentException("vocabulary lacks " + (sot == null ? PreTokenizer.SOT : PreTokenizer.EOT));
        }
        this.sotId = sot;
        this.eotId = eot;
        int maxId = 0;
        for (int id : vocab.values()) {
            if (id < 0) throw new IllegalArgumentException("negative token id in vocabulary: " + id);
            maxId = Math.max(maxId, id);
        }
        // ids index arrays; a CLIP vocabulary is dense (0..size-1)
        if (maxId > 4L * vocab.size() + 1024) throw new IllegalArgumentException("vocabulary ids are too sparse: max id " + maxId + " for " + vocab.size() + " entries");
        this.decoder = new String[maxId + 1];
        for (var e : vocab.entrySet()) decoder[e.getValue()] = e.getKey();
        this.bpe = new BytePairEncoder(vocab, merges, CACHE_ENTRIES);
        this.contextLength = contextLength;
    }

    /**
     * Loads {@code vocab.json} and {@code merges.txt} from a model directory (Hugging Face layout), and the
     * context length from {@code tokenizer_config.json}'s {@code model_max_length} when that file exists and
     * the value is a real limit (Hugging Face writes a huge placeholder when there is none); else 77.
     *
     * @throws FileNotFoundException "tokenizer file missing: DIR/vocab.json" (or merges.txt) if absent
     */
    public static ClipBpeTokenizer load(Path modelDir) throws IOException {
        Path vocabPath = modelDir.resolve(VOCAB_FILE);
        Path mergesPath = modelDir.resolve(MERGES_FILE);
        requireFile(vocabPath);
        requireFile(mergesPath);
        int ctx = DEFAULT_CONTEXT_LENGTH;
        Path config = modelDir.resolve(CONFIG_FILE);
        if (Files.isRegularFile(config)) {
            double max = readModelMaxLength(config);
            if (max >= 2 && max <= 1_000_000) ctx = (int) max;
        }
        return new ClipBpeTokenizer(readVocab(vocabPath), readMerges(mergesPath), ctx, true);
    }

    /** The top-level "model_max_length" number of tokenizer_config.json, or NaN. */
    private static double readModelMaxLength(Path config) throws IOException {
        try (JsonParser p = new JsonFactory().createParser(config.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT) return Double.NaN;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken v = p.nextToken();
                if (name.equals("model_max_length") && v.isNumeric()) return p.getDoubleValue();
                p.skipChildren();
            }
        }
        return Double.NaN;
    }

    private static void requireFile(Path p) throws FileNotFoundException {
        if (!Files.isRegularFile(p)) throw new FileNotFoundException("tokenizer file missing: " + p);
    }

    /** vocab.json: one JSON object of symbol → id. */
    static HashMap<String, Integer> readVocab(Path path) throws IOException {
        return VocabJson.read(path);
    }

    /**
     * At most this many merges are used: 49152 - 256 - 2, the slice {@code merges[1:49152-256-2+1]} that both
     * simple_tokenizer.py and Hugging Face's CLIPTokenizer take (256 byte symbols, 256 with "&lt;/w&gt;",
     * these merges and 2 special tokens make the 49,408-entry vocabulary).
     */
    public static final int MAX_MERGES = 49152 - 256 - 2;

    /**
     * merges.txt: a "#version" header line, then one merge per line, "left right" (split on whitespace as
     * Python's str.split() does); blank lines are ignored, and lines after the first {@link #MAX_MERGES}.
     */
    static List<String[]> readMerges(Path path) throws IOException {
        List<String[]> merges = new ArrayList<>(50_000);
        try (BufferedReader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
            boolean first = true;
            for (String line; (line = r.readLine()) != null; ) {
                if (first && line.startsWith("#version")) { first = false; continue; }
                first = false;
                String t = line.strip();
                if (t.isEmpty()) continue;
                int sp = indexOfWhitespace(t);
                if (sp < 0) throw new IOException("bad merge line (need two symbols): '" + line + "' in " + path);
                String left = t.substring(0, sp);
                String right = t.substring(sp + 1).strip();
                if (right.isEmpty() || indexOfWhitespace(right) >= 0) throw new IOException("bad merge line: '" + line + "' in " + path);
                merges.add(new String[]{left, right});
                if (merges.size() == MAX_MERGES) break;
            }
        }
        return merges;
    }

    private static int indexOfWhitespace(String s) {
        for (int i = 0; i < s.length(); i++) if (Character.isWhitespace(s.charAt(i))) return i;
        return -1;
    }

    // ---- the pipeline, step by step (public for tests and debugging) ----

    /** The cleaned text and its pieces: {@code regex.findall(pat, whitespace_clean(basic_clean(text)).lower())}. */
    public List<String> pretokenize(String text) {
        return PreTokenizer.split(TextCleaner.clean(text));
    }

    /** The BPE symbols of the whole text, as byte-level strings (e.g. "art", "station&lt;/w&gt;"). */
    public List<String> bpeTokens(String text) {
        List<String> out = new ArrayList<>();
        for (String piece : pretokenize(text)) {
            if (piece.equals(PreTokenizer.SOT) || piece.equals(PreTokenizer.EOT)) out.add(piece);
            else out.addAll(bpe.symbolsOf(ByteLevel.encode(piece)));
        }
        return out;
    }

    /** {@code SimpleTokenizer.encode(text)}: ids without start/end tokens, not truncated. */
    @Override
    public int[] encode(String text) {
        List<String> pieces = pretokenize(text);
        int[] out = new int[Math.max(16, pieces.size() * 2)];
        int n = 0;
        for (String piece : pieces) {
            int[] ids;
            if (piece.equals(PreTokenizer.SOT)) ids = new int[]{sotId};
            else if (piece.equals(PreTokenizer.EOT)) ids = new int[]{eotId};
            else ids = bpe.encodePiece(ByteLevel.encode(piece));
            if (n + ids.length > out.length) out = Arrays.copyOf(out, Math.max(out.length * 2, n + ids.length));
            System.arraycopy(ids, 0, out, n, ids.length);
            n += ids.length;
        }
        return Arrays.copyOf(out, n);
    }

    /**
     * {@code SimpleTokenizer.decode(ids)}: the symbols' bytes decoded as UTF-8 (invalid sequences become
     * U+FFFD), with every "&lt;/w&gt;" turned into a space. Special tokens come out as their literal text.
     *
     * @throws IllegalArgumentException for an id that is not in the vocabulary
     */
    public String decode(int[] ids) {
        StringBuilder symbols = new StringBuilder(ids.length * 6);
        for (int id : ids) {
            if (id < 0 || id >= decoder.length || decoder[id] == null) throw new IllegalArgumentException("unknown token id " + id);
            symbols.append(decoder[id]);
        }
        byte[] bytes = new byte[symbols.length()];
        for (int i = 0; i < bytes.length; i++) {
            int b = ByteLevel.byteOf(symbols.charAt(i));
            if (b < 0) throw new IllegalArgumentException("vocabulary symbol has a non-byte character: U+" + Integer.toHexString(symbols.charAt(i)));
            bytes[i] = (byte) b;
        }
        return Utf8.decodeReplace(bytes).replace(BytePairEncoder.END_OF_WORD, " ");
    }

    /**
     * {@code clip.tokenize(texts, context_length, truncate)}: each row is {@code [sot] + encode(text) + [eot]}
     * padded with 0; a longer row is cut to contextLength and its last id replaced by eot if truncate,
     * otherwise it is an error.
     */
    @Override
    public int[][] tokenize(List<String> texts, int contextLength, boolean truncate) {
        if (contextLength < 2) throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
        int[][] rows = new int[texts.size()][];
        for (int t = 0; t < rows.length; t++) {
            int[] ids = encode(texts.get(t));
            int[] row = new int[contextLength]; // zeros = padding
            int total = ids.length + 2;
            if (total > contextLength && !truncate) {
                throw new IllegalArgumentException("Input " + texts.get(t) + " is too long for context length " + contextLength);
            }
            row[0] = sotId;
            int keep = Math.min(ids.length, contextLength - 2);
            System.arraycopy(ids, 0, row, 1, keep);
            // the end token follows the ids; when truncated it overwrites the last kept id (slot contextLength-1)
            row[Math.min(ids.length + 1, contextLength - 1)] = eotId;
            rows[t] = row;
        }
        return rows;
    }

    /**
     * Where CLIP pools a tokenized row: {@code argmax} of the ids, i.e. the first position holding the
     * largest id (the end token, or an earlier {@code <|endoftext|>} written in the text).
     */
    public static int eotIndex(int[] row) {
        int best = 0;
        for (int i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
        return best;
    }

    @Override public int contextLength() { return contextLength; }
    /** clip.tokenize pads with 0 (not the Hugging Face pad token). */
    @Override public int padId() { return 0; }
    @Override public int eotId() { return eotId; }
    public int sotId() { return sotId; }
    public int vocabSize() { return decoder.length; }
    /** The id of a vocabulary symbol, or -1. */
    public int idOf(String symbol) { return vocab.getOrDefault(symbol, -1); }
    int mergeCount() { return bpe.mergeCount(); }
}
