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
