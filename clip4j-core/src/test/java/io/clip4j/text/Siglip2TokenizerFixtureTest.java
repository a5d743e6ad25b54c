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
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static io.clip4j.text.SiglipTokenizerFixtureTest.ints;
import static io.clip4j.text.SiglipTokenizerFixtureTest.strings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * Every case of fixtures/siglip/tokenization_siglip2.json (Gemma SentencePiece BPE of siglip2_tiny with
 * Siglip2Tokenizer's lower-casing): lowercased text, pieces, ids, rows, and the ids without lower-casing.
 */
class Siglip2TokenizerFixtureTest {
    private static Siglip2Tokenizer tokenizer;
    private static JsonNode fixture;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = Siglip2Tokenizer.load(Fixtures.path("siglip/siglip2_tiny"));
        fixture = read();
    }

    static JsonNode read() throws IOException {
        return new ObjectMapper().readTree(Fixtures.path("siglip/tokenization_siglip2.json").toFile());
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (JsonNode c : read().get("cases")) out.add(Arguments.of(i++ + "_" + c.get("category").asText(), c));
        return out.stream();
    }

    @Test
    void settingsMatchTheFixture() {
        assertEquals(fixture.get("eos_id").asInt(), tokenizer.eotId());
        assertEquals(fixture.get("pad_id").asInt(), tokenizer.padId());
        assertEquals(-1, tokenizer.bosId(), "no <bos>");
        assertEquals(fixture.get("max_length").asInt(), tokenizer.contextLength());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void lowercasedText(String id, JsonNode c) {
        assertEquals(c.get("lowercased_text").asText(), tokenizer.lowercaseText(c.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void pieces(String id, JsonNode c) {
        assertEquals(strings(c.get("pieces")), tokenizer.tokens(c.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ids(String id, JsonNode c) {
        assertArrayEquals(ints(c.get("ids")), tokenizer.encodeWithEos(c.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void idsWithoutLowercase(String id, JsonNode c) {
        assertArrayEquals(ints(c.get("ids_no_lowercase")), tokenizer.withLowercase(false).encodeWithEos(c.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rows(String id, JsonNode c) {
        String text = c.get("text").asText();
        int len = fixture.get("max_length").asInt();
        assertArrayEquals(ints(c.get("input_ids_max_length")), tokenizer.tokenize(List.of(text), len, true)[0], id);
        assertArrayEquals(ints(c.get("input_ids_max_length")), tokenizer.tokenize(text), id + " (default length)");
        assertArrayEquals(ints(c.get("input_ids_max_length_64")), tokenizer.tokenize(List.of(text), 64, true)[0], id);
        int[] ids = ints(c.get("ids"));
        int[] mask = tokenizer.attentionMask(List.of(text), 64, true)[0];
        for (int i = 0; i < 64; i++) assertEquals(i < Math.min(ids.length, 64) ? 1 : 0, mask[i], id + " mask[" + i + "]");
        assertFalse(text.isEmpty() && tokenizer.encode(text).length != 0);
    }
}
