package io.clip4j.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The 42 reference strings of fixtures/tokenizer/expected_tokens.json (made with openai/CLIP's
 * simple_tokenizer.py and ftfy 6.3.1): every intermediate stage must match exactly.
 */
class ClipBpeTokenizerFixtureTest {
    private static ClipBpeTokenizer tokenizer;
    private static JsonNode expected;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = ClipBpeTokenizer.load(Fixtures.path("models/tiny/hf"));
        expected = readExpected();
    }

    private static JsonNode readExpected() throws IOException {
        return new ObjectMapper().readTree(Fixtures.path("tokenizer/expected_tokens.json").toFile());
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        for (JsonNode e : readExpected()) out.add(Arguments.of(e.get("id").asText(), e));
        return out.stream();
    }

    private static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void cleaned(String id, JsonNode e) {
        assertEquals(e.get("cleaned").asText(), TextCleaner.clean(e.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void pretokens(String id, JsonNode e) {
        assertEquals(strings(e.get("pretokens")), tokenizer.pretokenize(e.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void bpeTokens(String id, JsonNode e) {
        assertEquals(strings(e.get("bpe_tokens")), tokenizer.bpeTokens(e.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void bpeIds(String id, JsonNode e) {
        int[] ids = tokenizer.encode(e.get("text").asText());
        assertArrayEquals(ints(e.get("bpe_ids")), ids, id);
        assertEquals(e.get("num_bpe_ids").asInt(), ids.length, id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void contextIdsAndEotIndex(String id, JsonNode e) {
        int[] row = tokenizer.tokenize(e.get("text").asText());
        assertArrayEquals(ints(e.get("context_ids")), row, id);
        assertEquals(e.get("eot_index").asInt(), ClipBpeTokenizer.eotIndex(row), id);
        assertEquals(e.get("truncated").asBoolean(), tokenizer.encode(e.get("text").asText()).length + 2 > 77, id);
    }

    /** The whole batch against the independent tensor file context_ids.safetensors (I32 [42, 77]). */
    @Test
    void batchMatchesSafetensors() throws IOException {
        List<String> texts = new ArrayList<>();
        expected.forEach(e -> texts.add(e.get("text").asText()));
        int[][] batch = tokenizer.tokenize(texts);

        ByteBuffer buf = ByteBuffer.wrap(Files.readAllBytes(Fixtures.path("tokenizer/context_ids.safetensors")))
                .order(ByteOrder.LITTLE_ENDIAN);
        int headerLen = (int) buf.getLong(0);
        JsonNode header = new ObjectMapper().readTree(new String(buf.array(), 8, headerLen, StandardCharsets.UTF_8));
        JsonNode t = header.get("context_ids");
        assertEquals("I32", t.get("dtype").asText());
        assertEquals(texts.size(), t.get("shape").get(0).asInt());
        assertEquals(77, t.get("shape").get(1).asInt());
        int base = 8 + headerLen + t.get("data_offsets").get(0).asInt();
        for (int r = 0; r < batch.length; r++) {
            int[] want = new int[77];
            for (int c = 0; c < 77; c++) want[c] = buf.getInt(base + 4 * (r * 77 + c));
            assertArrayEquals(want, batch[r], "row " + r + " (" + expected.get(r).get("id").asText() + ")");
        }
    }

    /** decode(encode(x)) gives the cleaned text back, with a space after every word end. */
    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void decodeRoundTrip(String id, JsonNode e) {
        String text = e.get("text").asText();
        String decoded = tokenizer.decode(tokenizer.encode(text));
        // every piece ends in </w>, which decodes to ' ' — except the special tokens, which come back bare
        StringBuilder want = new StringBuilder();
        for (String piece : tokenizer.pretokenize(text)) {
            want.append(piece);
            if (!piece.equals("<|startoftext|>") && !piece.equals("<|endoftext|>")) want.append(' ');
        }
        assertEquals(want.toString(), decoded, id);
        assertEquals(e.get("cleaned").asText().replace(" ", ""), decoded.replace(" ", ""), id);
    }
}
