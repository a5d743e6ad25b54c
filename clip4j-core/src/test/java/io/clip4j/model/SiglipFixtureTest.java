package io.clip4j.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.image.NaFlexPreprocessor;
import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.clip4j.model.ClipModelFixtureTest.assertClose;
import static io.clip4j.model.ClipModelFixtureTest.flat;
import static org.junit.jupiter.api.Assertions.*;

/**
 * SigLIP (v1) and SigLIP 2 NaFlex against ../shared/fixtures/siglip: every hidden state, attention weights of the
 * first layer, the MAP head, embeddings, logits and sigmoid probabilities, and the preprocessing.
 * Tolerances as the fixtures' README suggests: embeddings 1e-5, hidden states and logits 1e-4, attention 1e-5.
 */
class SiglipFixtureTest {
    static final ObjectMapper JSON = new ObjectMapper();

    static int[][] rows(int[] flat, int L) {
        int[][] r = new int[flat.length / L][L];
        for (int b = 0; b < r.length; b++) System.arraycopy(flat, b * L, r[b], 0, L);
        return r;
    }

    /** Compares the traced text tower against {@code text.*} reference tensors. */
    static void checkText(ClipModel model, SafeTensors exp) {
        Map<String, float[]> got = new HashMap<>();
        int L = (int) exp.info("input_ids").shape()[1];
        float[][] txt = model.encodeTokens(rows(exp.ints("input_ids"), L), (n, d, s) -> got.put(n, d));
        assertClose(exp.floats("text.hidden_states.0"), got.get("text.embeddings"), 1e-4, "text.hidden_states.0");
        int layers = model.config().text().tower().numLayers();
        for (int i = 0; i < layers; i++) assertClose(exp.floats("text.hidden_states." + (i + 1)), got.get("text.block_" + i), 1e-4, "text.hidden_states." + (i + 1));
        assertClose(exp.floats("text.last_hidden_state"), got.get("text.last_hidden_state"), 1e-4, "text.last_hidden_state");
        assertClose(exp.floats("text.attentions.0"), got.get("text.block_0_detail.attn_probs"), 1e-5, "text.attentions.0");
        assertClose(exp.floats("text_embeds_raw"), flat(txt), 1e-5, "text_embeds_raw");
        assertClose(exp.floats("text_embeds"), flat(Vectors.normalizeRows(txt)), 1e-5, "text_embeds");
    }

    static void checkLogits(ClipModel model, SafeTensors exp, String prefix, float[][] img, float[][] txt) {
        float[][] logits = model.logits(img, txt);
        assertClose(exp.floats(prefix + "logits_per_image"), flat(logits), 1e-4, prefix + "logits_per_image");
        float[] probs = flat(logits);
        for (int i = 0; i < probs.length; i++) probs[i] = (float) (1 / (1 + Math.exp(-probs[i])));
        assertClose(exp.floats(prefix + "probs_per_image"), probs, 1e-5, prefix + "probs_per_image");
    }

    @Test void siglipEveryLayerEmbeddingsAndLogits() {
        try (ClipModel model = ClipModel.load(Fixtures.path("siglip/siglip_tiny"));
             SafeTensors exp = SafeTensors.open(Fixtures.path("siglip/expected_siglip.safetensors"))) {
            assertEquals(Family.SIGLIP, model.family());
            Map<String, float[]> got = new HashMap<>();
            int B = (int) exp.info("pixel_values").shape()[0];
            float[][] img = model.encodePixels(exp.floats("pixel_values"), B, (n, d, s) -> got.put(n, d));
            assertClose(exp.floats("vision.hidden_states.0"), got.get("vision.embeddings"), 1e-4, "vision.hidden_states.0");
            for (int i = 0; i < model.config().vision().tower().numLayers(); i++) {
                assertClose(exp.floats("vision.hidden_states." + (i + 1)), got.get("vision.block_" + i), 1e-4, "vision.hidden_states." + (i + 1));
            }
            assertClose(exp.floats("vision.last_hidden_state"), got.get("vision.last_hidden_state"), 1e-4, "vision.last_hidden_state");
            assertClose(exp.floats("vision.attentions.0"), got.get("vision.block_0_detail.attn_probs"), 1e-5, "vision.attentions.0");
            assertClose(exp.floats("vision.head_attention"), got.get("vision.head_attention"), 1e-5, "vision.head_attention");
            assertClose(exp.floats("image_embeds_raw"), flat(img), 1e-5, "image_embeds_raw");
            assertClose(exp.floats("image_embeds"), flat(Vectors.normalizeRows(img)), 1e-5, "image_embeds");
            checkText(model, exp);
            int L = (int) exp.info("input_ids").shape()[1];
            checkLogits(model, exp, "", img, model.encodeTokens(rows(exp.ints("input_ids"), L)));
        }
    }

    @ParameterizedTest(name = "max_num_patches {0}")
    @ValueSource(ints = {16, 64})
    void siglip2NaflexEveryLayerEmbeddingsAndLogits(int mnp) throws IOException {
        Path dir = Fixtures.path("siglip/siglip2_tiny");
        JsonNode meta = JSON.readTree(Fixtures.path("siglip/expected_siglip2.json").toFile());
        try (ClipModel model = ClipModel.load(dir, ClipModel.Options.defaults().withMaxNumPatches(mnp));
             SafeTensors exp = SafeTensors.open(Fixtures.path("siglip/expected_siglip2.safetensors"));
             SafeTensors pre = SafeTensors.open(Fixtures.path("siglip/preprocess_siglip2.safetensors"))) {
            assertEquals(Family.SIGLIP2, model.family());
            String p = "mnp" + mnp + ".";
            int N = meta.get("images").size(), K = 3 * 8 * 8;
            int[] shapes = exp.ints(p + "spatial_shapes");
            float[] values = new float[N * mnp * K];
            int[][] grids = new int[N][];
            for (int i = 0; i < N; i++) {
                System.arraycopy(pre.floats(i + ".p8_mnp" + mnp + ".pixel_values"), 0, values, i * mnp * K, mnp * K);
                grids[i] = new int[]{shapes[2 * i], shapes[2 * i + 1]};
            }
            Map<String, float[]> got = new HashMap<>();
            float[][] img = model.encode(new ImageBatch(values, N, mnp, grids), (n, d, s) -> got.put(n, d));
            assertClose(exp.floats(p + "resized_position_embeddings"), got.get("vision.resized_position_embeddings"), 1e-5, p + "resized_position_embeddings");
            assertClose(exp.floats(p + "vision.hidden_states.0"), got.get("vision.embeddings"), 1e-4, p + "vision.hidden_states.0");
            for (int i = 0; i < model.config().vision().tower().numLayers(); i++) {
                assertClose(exp.floats(p + "vision.hidden_states." + (i + 1)), got.get("vision.block_" + i), 1e-4, p + "vision.hidden_states." + (i + 1));
            }
            assertClose(exp.floats(p + "vision.last_hidden_state"), got.get("vision.last_hidden_state"), 1e-4, p + "vision.last_hidden_state");
            assertClose(exp.floats(p + "vision.attentions.0"), got.get("vision.block_0_detail.attn_probs"), 1e-5, p + "vision.attentions.0");
            assertClose(exp.floats(p + "vision.head_attention"), got.get("vision.head_attention"), 1e-5, p + "vision.head_attention");
            assertClose(exp.floats(p + "image_embeds_raw"), flat(img), 1e-5, p + "image_embeds_raw");
            checkText(model, exp);
            int L = (int) exp.info("input_ids").shape()[1];
            checkLogits(model, exp, p, img, model.encodeTokens(rows(exp.ints("input_ids"), L)));
        }
    }

    @Test void siglipPreprocessingIsBitExact() throws IOException {
        JsonNode meta = JSON.readTree(Fixtures.path("siglip/preprocess_siglip.json").toFile());
        try (ClipModel model = ClipModel.load(Fixtures.path("siglip/siglip_tiny"));
             SafeTensors pre = SafeTensors.open(Fixtures.path("siglip/preprocess_siglip.safetensors"))) {
            String tag = meta.get("config_resample_tag").asText();
            for (int i = 0; i < meta.get("images").size(); i++) {
                Path img = Fixtures.path("siglip/images/" + meta.get("images").get(i).asText());
                assertArrayEquals(pre.floats(i + "." + tag + ".pixel_values"), model.preprocess(img).values(), 0f, img.toString());
            }
        }
    }

    @Test void naflexPreprocessingPatchesMasksAndShapes() throws IOException {
        JsonNode meta = JSON.readTree(Fixtures.path("siglip/preprocess_siglip2.json").toFile());
        Path config = Fixtures.path("siglip/siglip2_tiny/preprocessor_config.json");
        try (SafeTensors pre = SafeTensors.open(Fixtures.path("siglip/preprocess_siglip2.safetensors"))) {
            for (int mnp : new int[]{16, 64}) {
                NaFlexPreprocessor p = NaFlexPreprocessor.fromHfFile(config, mnp);
                for (int i = 0; i < meta.get("images").size(); i++) {
                    String key = i + ".p8_mnp" + mnp + ".";
                    Path img = Fixtures.path("siglip/images/" + meta.get("images").get(i).asText());
                    NaFlexPreprocessor.Patches got = p.apply(img);
                    int[] shape = pre.ints(key + "spatial_shapes");
                    assertArrayEquals(shape, new int[]{got.gridH(), got.gridW()}, key + "spatial_shapes");
                    int[] mask = pre.ints(key + "pixel_attention_mask");
                    assertEquals(Arrays.stream(mask).sum(), got.validPatches(), key + "mask");
                    for (int t = 0; t < mask.length; t++) assertEquals(t < got.validPatches() ? 1 : 0, mask[t]);
                    assertArrayEquals(pre.floats(key + "pixel_values"), got.values(), 0f, key + "pixel_values");
                }
            }
        }
    }

    @Test void naflexTargetSizeTable() throws IOException {
        JsonNode cases = JSON.readTree(Fixtures.path("siglip/naflex_target_sizes.json").toFile()).get("cases");
        for (JsonNode c : cases) {
            int[] t = NaFlexPreprocessor.targetSize(c.get("height").asInt(), c.get("width").asInt(), c.get("patch_size").asInt(), c.get("max_num_patches").asInt());
            assertArrayEquals(new int[]{c.get("target_height").asInt(), c.get("target_width").asInt()}, t, c.toString());
        }
        assertTrue(cases.size() > 10);
    }

    /** The contract users rely on: the same calls work for CLIP and SigLIP; only the path differs. */
    @ParameterizedTest
    @ValueSource(strings = {"models/tiny/hf", "siglip/siglip_tiny", "siglip/siglip2_tiny"})
    void sameCodePathForEveryFamily(String modelDir) {
        try (ClipModel model = ClipModel.load(Fixtures.path(modelDir))) {
            List<Path> images = List.of(Fixtures.path("siglip/images/cat_chelsea.png"), Fixtures.path("siglip/images/coffee.png"));
            float[][] img = model.embedImages(images);
            float[][] txt = model.embedTexts(List.of("a photo of a cat", "a cup of coffee"));
            assertEquals(2, img.length);
            assertEquals(model.embedDim(), txt[1].length);
            for (float[] r : img) assertEquals(1.0, Math.sqrt(Vectors.dot(r, r)), 1e-5);
            float[][] logits = model.logits(img, txt);
            assertEquals(Vectors.dot(img[0], txt[1]) * Math.exp(model.logitScale()) + model.logitBias(), logits[0][1], 1e-4);
        }
    }
}
