package io.clip4j.text;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A byte-level BPE vocabulary learned by {@link BpeTrainer}, in OpenAI CLIP's layout (see there), with the
 * training statistics. {@link #write} produces a Hugging Face CLIP tokenizer directory that
 * {@link ClipBpeTokenizer#load} reads.
 *
 * @param vocab                 the symbols in id order: 512 byte symbols, one per merge, the 2 special tokens
 * @param merges                the merges in rank order, each {left, right}
 * @param targetVocabSize       the size that was asked for
 * @param captions              captions trained on
 * @param wordOccurrences       words (pre-tokenizer pieces) trained on
 * @param distinctWords         distinct words
 * @param corpusTokens          tokens of the training words under the learned merges (Σ occurrences × symbols)
 * @param skippedDuplicatePairs pairs not merged because their joined string already was a symbol
 * @param lastMergeFrequency    the frequency of the last merge (0 with no merges)
 */
public record BpeVocabulary(List<String> vocab, List<String[]> merges, int targetVocabSize, long captions, long wordOccurrences,
                            int distinctWords, long corpusTokens, int skippedDuplicatePairs, long lastMergeFrequency) {
    public static final String SPECIAL_TOKENS_MAP_FILE = "special_tokens_map.json";
    /** The first line of merges.txt, as in CLIP's files. */
    public static final String MERGES_HEADER = "#version: 0.2";

    public int vocabSize() { return vocab.size(); }

    public int mergeCount() { return merges.size(); }

    /** False when training stopped before the asked-for size (pairs ran out, or below the min frequency). */
    public boolean targetReached() { return vocab.size() == targetVocabSize; }

    /** Symbol → id, as vocab.json holds it. */
    public Map<String, Integer> vocabMap() {
        Map<String, Integer> m = new HashMap<>(vocab.size() * 2);
        for (int i = 0; i < vocab.size(); i++) m.put(vocab.get(i), i);
        return m;
    }

    /** The tokenizer of this vocabulary (same as loading the written files with that context length). */
    public ClipBpeTokenizer tokenizer(int contextLength) {
        return new ClipBpeTokenizer(vocabMap(), merges, contextLength);
    }

    /** Writes the tokenizer files with {@code model_max_length} 77 (CLIP's context length). */
    public void write(Path dir) throws IOException {
        write(dir, ClipBpeTokenizer.DEFAULT_CONTEXT_LENGTH);
    }

    /**
     * Writes {@code vocab.json} (one JSON object, symbol → id, in id order), {@code merges.txt} ("#version: 0.2"
     * then one "left right" line per merge in rank order), {@code tokenizer_config.json} and
     * {@code special_tokens_map.json} (Hugging Face CLIPTokenizer settings) into dir, creating it. Each file is
     * written to a temporary file in dir and renamed over the target (mode rw-r--r-- where the file system
     * has POSIX permissions).
     */
    public void write(Path dir, int contextLength) throws IOException {
        if (contextLength < 2) throw new IllegalArgumentException("context length must be at least 2, got " + contextLength);
        Files.createDirectories(dir);
        writeAtomically(dir.resolve(ClipBpeTokenizer.MERGES_FILE), mergesBytes());
        writeAtomically(dir.resolve(ClipBpeTokenizer.VOCAB_FILE), vocabJsonBytes());
        ObjectMapper json = new ObjectMapper();
        writeAtomically(dir.resolve(ClipBpeTokenizer.CONFIG_FILE), json.writeValueAsBytes(tokenizerConfig(json, contextLength)));
        writeAtomically(dir.resolve(SPECIAL_TOKENS_MAP_FILE), json.writeValueAsBytes(specialTokensMap(json)));
    }

    /** vocab.json's bytes: compact, symbols in id order, UTF-8 (non-ASCII characters unescaped). */
    public byte[] vocabJsonBytes() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(vocab.size() * 16);
        try (JsonGenerator g = new JsonFactory().createGenerator(bytes, JsonEncoding.UTF8)) {
            g.writeStartObject();
            for (int i = 0; i < vocab.size(); i++) g.writeNumberField(vocab.get(i), i);
            g.writeEndObject();
        }
        return bytes.toByteArray();
    }

    /** merges.txt's bytes. */
    public byte[] mergesBytes() {
        StringBuilder sb = new StringBuilder(merges.size() * 12 + 16).append(MERGES_HEADER).append('\n');
        for (String[] m : merges) sb.append(m[0]).append(' ').append(m[1]).append('\n');
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private ObjectNode tokenizerConfig(ObjectMapper json, int contextLength) {
        ObjectNode c = json.createObjectNode();
        c.set("unk_token", addedToken(json, PreTokenizer.EOT, true));
        c.set("bos_token", addedToken(json, PreTokenizer.SOT, true));
        c.set("eos_token", addedToken(json, PreTokenizer.EOT, true));
        c.put("pad_token", PreTokenizer.EOT);
        c.put("add_prefix_space", false);
        c.put("errors", "replace");
        c.put("do_lower_case", true);
        c.put("name_or_path", "clip4j-bpe-" + vocab.size());
        c.put("model_max_length", contextLength);
        c.put("tokenizer_class", "CLIPTokenizer");
        return c;
    }

    private ObjectNode specialTokensMap(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.set("bos_token", addedToken(json, PreTokenizer.SOT, false));
        c.set("eos_token", addedToken(json, PreTokenizer.EOT, false));
        c.set("unk_token", addedToken(json, PreTokenizer.EOT, false));
        c.put("pad_token", PreTokenizer.EOT);
        return c;
    }

    private static ObjectNode addedToken(ObjectMapper json, String content, boolean typed) {
        ObjectNode t = json.createObjectNode();
        t.put("content", content);
        t.put("single_word", false);
        t.put("lstrip", false);
        t.put("rstrip", false);
        t.put("normalized", true);
        if (typed) t.put("__type", "AddedToken");
        return t;
    }

    private static void writeAtomically(Path file, byte[] content) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, content);
            try { // createTempFile makes the file owner-only; tokenizer files are ordinary readable files
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-r--r--"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: keep its defaults
            }
            try {
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
