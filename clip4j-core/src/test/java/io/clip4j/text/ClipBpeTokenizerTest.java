package io.clip4j.text;

import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading, the special tokens, truncation, decoding and concurrency of {@link ClipBpeTokenizer}. */
class ClipBpeTokenizerTest {
    private static Path hfDir;
    private static ClipBpeTokenizer tokenizer;

    @BeforeAll
    static void load() throws IOException {
        hfDir = Fixtures.path("models/tiny/hf");
        tokenizer = ClipBpeTokenizer.load(hfDir);
    }

    /** merges.txt: a "#version" first line, LF, CRLF or CR line ends, blank lines and surrounding spaces all read alike. */
    @Test
    void mergesReadWithAnyLineEnding(@TempDir Path dir) throws IOException {
        List<String> expected = List.of("t h", "th e</w>", "a n");
        for (String text : List.of("#version: 0.2\nt h\nth e</w>\na n\n", "#version: 0.2\r\nt h\r\n\r\nth e</w>\r\na n",
                "#version: 0.2\rt h\rth e</w>\r  a n  \r\r", "t h\n\nth e</w>\na   n\n")) {
            Files.writeString(dir.resolve("merges.txt"), text);
            List<String> got = ClipBpeTokenizer.readMerges(dir.resolve("merges.txt")).stream().map(m -> m[0] + " " + m[1]).toList();
            assertEquals(expected, got, text);
        }
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\nt h\nlonely\n");
        var e = assertThrows(IOException.class, () -> ClipBpeTokenizer.readMerges(dir.resolve("merges.txt")));
        assertEquals("bad merge line (need two symbols): 'lonely' in " + dir.resolve("merges.txt"), e.getMessage());
        Files.writeString(dir.resolve("merges.txt"), "a b c\n");
        e = assertThrows(IOException.class, () -> ClipBpeTokenizer.readMerges(dir.resolve("merges.txt")));
        assertEquals("bad merge line: 'a b c' in " + dir.resolve("merges.txt"), e.getMessage());
        // only the first MAX_MERGES lines count, as simple_tokenizer's slice; what follows is not read
        StringBuilder many = new StringBuilder("#version: 0.2\n");
        for (int i = 0; i < ClipBpeTokenizer.MAX_MERGES + 3; i++) many.append("a").append(i).append(" b\n");
        many.append("broken line with too many parts\n");
        Files.writeString(dir.resolve("merges.txt"), many);
        assertEquals(ClipBpeTokenizer.MAX_MERGES, ClipBpeTokenizer.readMerges(dir.resolve("merges.txt")).size());
    }

    /** Vocabulary ids index arrays: negative or far too sparse ids are refused; holes decode as unknown. */
    @Test
    void vocabularyIdsAreChecked() {
        var merges = List.<String[]>of();
        var e = assertThrows(IllegalArgumentException.class, () -> new ClipBpeTokenizer(
                java.util.Map.of("<|startoftext|>", 0, "<|endoftext|>", 1, "a", -2), merges, 77));
        assertEquals("negative token id in vocabulary: -2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new ClipBpeTokenizer(
                java.util.Map.of("<|startoftext|>", 0, "<|endoftext|>", 1, "a", 5_000), merges, 77));
        assertTrue(e.getMessage().startsWith("vocabulary ids are too sparse"), e.getMessage());
        ClipBpeTokenizer t = new ClipBpeTokenizer(java.util.Map.of("<|startoftext|>", 7, "<|endoftext|>", 3, "a</w>", 12), merges, 77);
        assertEquals(7, t.sotId());
        assertEquals(3, t.eotId());
        assertEquals(13, t.vocabSize());
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[]{5}));
    }

    @Test
    void vocabularyShape() {
        assertEquals(49408, tokenizer.vocabSize());
        assertEquals(48894, tokenizer.mergeCount());
        assertEquals(49406, tokenizer.sotId());
        assertEquals(49407, tokenizer.eotId());
        assertEquals(0, tokenizer.padId());
        assertEquals(77, tokenizer.contextLength()); // tokenizer_config.json model_max_length
        assertEquals(320, tokenizer.idOf("a</w>"));
    }

    @Test
    void missingVocabIsNamed(@TempDir Path dir) throws IOException {
        Files.copy(hfDir.resolve("merges.txt"), dir.resolve("merges.txt"));
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> ClipBpeTokenizer.load(dir));
        assertEquals("tokenizer file missing: " + dir.resolve("vocab.json"), e.getMessage());
    }

    @Test
    void missingMergesIsNamed(@TempDir Path dir) throws IOException {
        Files.copy(hfDir.resolve("vocab.json"), dir.resolve("vocab.json"));
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> ClipBpeTokenizer.load(dir));
        assertEquals("tokenizer file missing: " + dir.resolve("merges.txt"), e.getMessage());
    }

    @Test
    void contextLengthFromConfig(@TempDir Path dir) throws IOException {
        Files.copy(hfDir.resolve("vocab.json"), dir.resolve("vocab.json"));
        Files.copy(hfDir.resolve("merges.txt"), dir.resolve("merges.txt"));
        assertEquals(77, ClipBpeTokenizer.load(dir).contextLength()); // no config: CLIP's 77
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 1000000000000000019884624838656}");
        assertEquals(77, ClipBpeTokenizer.load(dir).contextLength()); // Hugging Face's "no limit" placeholder
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"model_max_length\": 64}");
        ClipBpeTokenizer t = ClipBpeTokenizer.load(dir);
        assertEquals(64, t.contextLength());
        assertEquals(64, t.tokenize("a photo of a cat").length);
    }

    @Test
    void specialTokensInText() {
        // the literal strings become the special ids, in place
        assertArrayEquals(new int[]{320, 49406, 49407, 320}, tokenizer.encode("a<|startoftext|><|endoftext|>a"));
        // upper case is lowered first, so it still matches
        assertArrayEquals(new int[]{49407}, tokenizer.encode("<|ENDOFTEXT|>"));
    }

    @Test
    void truncation() {
        String text = "cat ".repeat(100); // 100 ids
        int[] row = tokenizer.tokenize(List.of(text), 10, true)[0];
        assertArrayEquals(new int[]{49406, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 49407}, row);
        assertThrows(IllegalArgumentException.class, () -> tokenizer.tokenize(List.of(text), 77, false));
        // exactly fitting: 8 ids + sot + eot = 10
        assertArrayEquals(new int[]{49406, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 2368, 49407},
                tokenizer.tokenize(List.of("cat ".repeat(8)), 10, false)[0]);
        // empty text: [sot, eot, 0...]
        int[] empty = tokenizer.tokenize("");
        assertEquals(49406, empty[0]);
        assertEquals(49407, empty[1]);
        for (int i = 2; i < 77; i++) assertEquals(0, empty[i]);
        assertEquals(1, ClipBpeTokenizer.eotIndex(empty));
    }

    @Test
    void decode() {
        assertEquals("a photo of a cat ", tokenizer.decode(tokenizer.encode("A photo of a  CAT")));
        assertEquals("<|startoftext|>a photo <|endoftext|>", tokenizer.decode(new int[]{49406, 320, 1125, 49407}));
        // multi-byte characters split across symbols are reassembled; the pieces come back space-separated
        assertEquals("一只猫 café ", tokenizer.decode(tokenizer.encode("一只猫 café")));
        assertThrows(IllegalArgumentException.class, () -> tokenizer.decode(new int[]{49408}));
    }

    @Test
    void decodeReplacesBrokenUtf8() {
        // the byte symbols of the first two bytes of "€" (E2 82 AC) alone are invalid UTF-8 → one U+FFFD
        int e2 = tokenizer.idOf(String.valueOf(ByteLevel.BYTE_TO_CHAR[0xE2]));
        int x82 = tokenizer.idOf(String.valueOf(ByteLevel.BYTE_TO_CHAR[0x82]));
        assertEquals("\uFFFDa ", tokenizer.decode(new int[]{e2, x82, 320}));
    }

    @Test
    void concurrentEncodingAgreesWithSequential() throws Exception {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < 200; i++) texts.add("caption number " + i + " of a dog's ball, très joli ☺ #" + (i * 7919));
        List<int[]> sequential = new ArrayList<>();
        for (String t : texts) sequential.add(tokenizer.encode(t));
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<int[]>> futures = new ArrayList<>();
            for (int rep = 0; rep < 4; rep++) for (String t : texts) futures.add(pool.submit(() -> tokenizer.encode(t)));
            for (int k = 0; k < futures.size(); k++) assertArrayEquals(sequential.get(k % texts.size()), futures.get(k).get());
        } finally {
            pool.shutdown();
        }
    }
}
