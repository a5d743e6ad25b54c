package io.clip4j.text;

import io.clip4j.Clip4jException;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link Tokenizers#load} picks by the files present; SigLIP rows, special tokens in text, errors. */
class TokenizersTest {

    @Test
    void picksByFiles() throws IOException {
        Tokenizer clip = Tokenizers.load(Fixtures.path("models/tiny/hf"));
        assertInstanceOf(ClipBpeTokenizer.class, clip);
        assertEquals(77, clip.contextLength());

        Tokenizer v1 = Tokenizers.load(Fixtures.path("siglip/siglip_tiny"));
        assertInstanceOf(SiglipTokenizer.class, v1);
        assertEquals(16, v1.contextLength());
        assertEquals(1, v1.padId());
        assertEquals(1, v1.eotId());

        Tokenizer v2 = Tokenizers.load(Fixtures.path("siglip/siglip2_tiny"));
        assertInstanceOf(Siglip2Tokenizer.class, v2);
        assertEquals(16, v2.contextLength());
        assertEquals(0, v2.padId());
        assertEquals(1, v2.eotId());
    }

    @Test
    void sentencePieceFileAloneUsesDefaults(@TempDir Path dir) throws IOException {
        Files.copy(Fixtures.path("siglip/siglip_tiny/spiece.model"), dir.resolve("spiece.model"));
        Tokenizer t = Tokenizers.load(dir);
        assertInstanceOf(SiglipTokenizer.class, t);
        assertEquals(64, t.contextLength());
        assertArrayEquals(new int[]{3, 14, 7, 3, 143}, t.encode("A photo of a cat."));

        Path d2 = Files.createDirectory(dir.resolve("v2"));
        Files.copy(Fixtures.path("siglip/siglip2_tiny/tokenizer.model"), d2.resolve("tokenizer.model"));
        Tokenizer t2 = Tokenizers.load(d2);
        assertInstanceOf(Siglip2Tokenizer.class, t2);
        assertEquals(64, t2.contextLength());
        assertArrayEquals(new int[]{931, 292, 274, 261, 456}, t2.encode("A photo of a cat"));
    }

    @Test
    void missingFilesNameTheDirectoryAndTheExpectedFiles(@TempDir Path dir) throws IOException {
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> Tokenizers.load(dir));
        for (String s : List.of(dir.toString(), "vocab.json", "merges.txt", "spiece.model", "tokenizer.model", "tokenizer.json")) {
            assertTrue(e.getMessage().contains(s), e.getMessage());
        }
        Files.writeString(dir.resolve("vocab.json"), "{}"); // half a CLIP tokenizer is not one
        assertThrows(FileNotFoundException.class, () -> Tokenizers.load(dir));
        Path none = dir.resolve("nope");
        e = assertThrows(FileNotFoundException.class, () -> Tokenizers.load(none));
        assertTrue(e.getMessage().contains(none.toString()), e.getMessage());
        e = assertThrows(FileNotFoundException.class, () -> SiglipTokenizer.load(dir));
        assertTrue(e.getMessage().contains("spiece.model"), e.getMessage());
        e = assertThrows(FileNotFoundException.class, () -> Siglip2Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("tokenizer.model"), e.getMessage());
    }

    @Test
    void brokenModelFileIsAClip4jExceptionNamingIt(@TempDir Path dir) throws IOException {
        Files.write(dir.resolve("spiece.model"), new byte[]{0x0A, 0x7F, 0x01});
        Clip4jException e = assertThrows(Clip4jException.class, () -> Tokenizers.load(dir));
        assertTrue(e.getMessage().contains(dir.resolve("spiece.model").toString()), e.getMessage());
    }

    @Test
    void siglipRowsTruncateOrReject() throws IOException {
        SiglipTokenizer t = SiglipTokenizer.load(Fixtures.path("siglip/siglip_tiny"));
        String longText = "the ".repeat(20);
        assertThrows(IllegalArgumentException.class, () -> t.tokenize(List.of(longText), 16, false));
        int[] row = t.tokenize(List.of(longText), 16, true)[0];
        assertEquals(16, row.length);
        assertEquals(1, row[15]);
        // exactly full: 15 ids + </s>
        int[] ids = t.encode("the the the the the the the"); // 14 ids
        assertEquals(14, ids.length);
        int[] r = t.tokenize(List.of("the the the the the the the"), 15, false)[0];
        assertEquals(1, r[14]);
        assertThrows(IllegalArgumentException.class, () -> t.tokenize(List.of("x"), 1, true));

        Siglip2Tokenizer t2 = Siglip2Tokenizer.load(Fixtures.path("siglip/siglip2_tiny"));
        assertThrows(IllegalArgumentException.class, () -> t2.tokenize(List.of(longText), 16, false));
        assertEquals(1, t2.tokenize(List.of(longText), 16, true)[0][15]);
    }

    @Test
    void siglipSpecialTokensInText() throws IOException {
        SiglipTokenizer t = SiglipTokenizer.load(Fixtures.path("siglip/siglip_tiny"));
        // the upper-case spelling is lower-cased into the special token before the split
        assertEquals(t.tokens("a cat </s> a dog"), t.tokens("A CAT </S> A DOG"));
        assertEquals(List.of("</s>", "a", "▁do", "g"), t.tokens("</s> a dog"));
        assertEquals(List.of("▁a", "▁cat", "<unk>"), t.tokens("a cat <unk>"));
        // ids already ending with </s>: no second one
        assertArrayEquals(new int[]{3, 143, 1}, t.encodeWithEos("a cat </s>"));
        int[] row = t.tokenize(List.of("a cat </s>"), 8, true)[0];
        assertArrayEquals(new int[]{3, 143, 1, 1, 1, 1, 1, 1}, row);
        assertArrayEquals(new int[]{1, 1, 1, 0, 0, 0, 0, 0}, t.attentionMask(List.of("a cat </s>"), 8, true)[0]);
    }

    @Test
    void siglip2SpecialTokensInText() throws IOException {
        Siglip2Tokenizer t = Siglip2Tokenizer.load(Fixtures.path("siglip/siglip2_tiny"));
        assertArrayEquals(new int[]{931, 1, 930, 2, 1}, t.encodeWithEos("a<eos>▁<bos>"));
        // added tokens are matched before lower-casing, exactly
        assertTrue(t.encode("<EOS>").length > 1);
        // <eos> is always appended, even after a literal one
        assertArrayEquals(new int[]{1, 1, 0, 0}, t.tokenize(List.of("<eos>"), 4, true)[0]);
        assertArrayEquals(new int[]{1, 0, 0, 0}, t.tokenize(List.of(""), 4, true)[0]);
    }
}
