package io.clip4j.text;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** Strict UTF-8 reading of input files, and strings that are not Unicode text. */
class TextInputTest {
    @TempDir Path tmp;

    @Test void aFileThatIsNotUtf8NamesItselfAndTheFirstBadByte() throws Exception {
        Path ok = Files.write(tmp.resolve("ok.txt"), "caf\u00e9 \uD83D\uDE00\n".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertEquals("caf\u00e9 \uD83D\uDE00\n", TextInput.readUtf8(ok));
        Path latin1 = Files.write(tmp.resolve("l1.txt"), new byte[]{'c', 'a', 'f', (byte) 0xE9, '\n'});
        assertEquals(latin1 + ": not valid UTF-8 (byte 0xE9 at offset 3)",
                assertThrows(Clip4jException.class, () -> TextInput.readUtf8(latin1)).getMessage());
        // an encoded surrogate (CESU-8) and a sequence cut short at the end are not UTF-8 either
        Path cesu = Files.write(tmp.resolve("cesu.txt"), new byte[]{'a', (byte) 0xED, (byte) 0xA0, (byte) 0x80});
        assertEquals(cesu + ": not valid UTF-8 (byte 0xED at offset 1)", assertThrows(Clip4jException.class, () -> TextInput.readUtf8(cesu)).getMessage());
        Path cut = Files.write(tmp.resolve("cut.txt"), new byte[]{'a', 'b', (byte) 0xE2, (byte) 0x82});
        assertEquals(cut + ": not valid UTF-8 (byte 0xE2 at offset 2)", assertThrows(Clip4jException.class, () -> TextInput.readUtf8(cut)).getMessage());
        assertThrows(NoSuchFileException.class, () -> TextInput.readUtf8(tmp.resolve("missing.txt")));
    }

    /** Bytes that are not a file of their own (a tar member) are decoded the same way, named by the caller. */
    @Test void bytesThatAreNotUtf8NameTheirSourceAndTheFirstBadByte() {
        assertEquals("caf\u00e9", TextInput.decodeUtf8("caf\u00e9".getBytes(java.nio.charset.StandardCharsets.UTF_8), "s.tar:0001.txt"));
        assertEquals("", TextInput.decodeUtf8(new byte[0], "s.tar:0001.txt"));
        assertEquals("s.tar:0001.txt: not valid UTF-8 (byte 0xE9 at offset 3)",
                assertThrows(Clip4jException.class, () -> TextInput.decodeUtf8(new byte[]{'c', 'a', 'f', (byte) 0xE9}, "s.tar:0001.txt")).getMessage());
    }

    /** JSON can spell a lone surrogate; Jackson passes it through, and it is refused with where it was. */
    @Test void anUnpairedSurrogateIsNotText() throws Exception {
        String lone = new ObjectMapper().readTree("[\"ab\\ud800c\"]").get(0).asText();
        assertEquals("ab\uD800c", lone);
        assertEquals("q.json: element 0 is not valid Unicode (unpaired surrogate \\uD800 at character 2)",
                assertThrows(Clip4jException.class, () -> TextInput.requireUnicode(lone, "q.json: element 0")).getMessage());
        assertTrue(assertThrows(Clip4jException.class, () -> TextInput.requireUnicode("\uDE00\uD83D", "x")).getMessage().contains("\\uDE00 at character 0"));
        assertTrue(assertThrows(Clip4jException.class, () -> TextInput.requireUnicode("a\uD83D", "x")).getMessage().contains("\\uD83D at character 1"));
        assertEquals("\uD83D\uDE00", TextInput.requireUnicode(new ObjectMapper().readTree("\"\\ud83d\\ude00\"").asText(), "x"));
    }

    /** What the library's tokenizers do with such a string, for callers that pass one directly: U+FFFD, as ftfy does. */
    @Test void theTokenizerReadsALoneSurrogateAsTheReplacementCharacter() throws Exception {
        Tokenizer tok = Tokenizers.load(Fixtures.path("models/tiny/hf"));
        assertArrayEquals(tok.tokenize(java.util.List.of("a \uFFFD b"), 77, true)[0], tok.tokenize(java.util.List.of("a \uD800 b"), 77, true)[0]);
    }
}
