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

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Every case of fixtures/siglip/tokenization_siglip.json (HF slow SiglipTokenizer on siglip_tiny/spiece.model):
 * tokens, ids, rows at max_length and 64, attention mask.
 */
class SiglipTokenizerFixtureTest {
    private static SiglipTokenizer tokenizer;
    private static JsonNode fixture;

    @BeforeAll
    static void load() throws IOException {
        tokenizer = SiglipTokenizer.load(Fixtures.path("siglip/siglip_tiny"));
        fixture = read();
    }

    static JsonNode read() throws IOException {
        return new ObjectMapper().readTree(Fixtures.path("siglip/tokenization_siglip.json").toFile());
    }

    static Stream<Arguments> cases() throws IOException {
        List<Arguments> out = new ArrayList<>();
        int i = 0;
        for (JsonNode c : read().get("cases")) out.add(Arguments.of(i++ + "_" + c.get("category").asText(), c));
        return out.stream();
    }

    static List<String> strings(JsonNode arr) {
        List<String> out = new ArrayList<>();
        arr.forEach(n -> out.add(n.asText()));
        return out;
    }

    static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    @Test
    void settingsMatchTheFixture() {
        assertEquals(fixture.get("eos_id").asInt(), tokenizer.eotId());
        assertEquals(fixture.get("pad_id").asInt(), tokenizer.padId());
        assertEquals(fixture.get("unk_id").asInt(), tokenizer.unkId());
        // tokenizer_config model_max_length 16 = text max_position_embeddings
        assertEquals(fixture.get("max_length").asInt(), tokenizer.contextLength());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void tokens(String id, JsonNode c) {
        assertEquals(strings(c.get("tokens")), tokenizer.tokens(c.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void ids(String id, JsonNode c) {
        assertArrayEquals(ints(c.get("ids")), tokenizer.encodeWithEos(c.get("text").asText()), id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rowAtMaxLength(String id, JsonNode c) {
        int len = fixture.get("max_length").asInt();
        String text = c.get("text").asText();
        assertArrayEquals(ints(c.get("input_ids_max_length")), tokenizer.tokenize(List.of(text), len, true)[0], id);
        assertArrayEquals(ints(c.get("input_ids_max_length")), tokenizer.tokenize(text), id + " (default length)");
        assertArrayEquals(ints(c.get("attention_mask_max_length")), tokenizer.attentionMask(List.of(text), len, true)[0], id);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void rowAt64(String id, JsonNode c) {
        String text = c.get("text").asText();
        assertArrayEquals(ints(c.get("input_ids_max_length_64")), tokenizer.tokenize(List.of(text), 64, true)[0], id);
        assertArrayEquals(ints(c.get("input_ids_max_length_64")), tokenizer.withContextLength(64).tokenize(text), id);
    }
}
