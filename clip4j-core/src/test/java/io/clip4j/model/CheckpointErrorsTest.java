package io.clip4j.model;

import io.clip4j.Clip4jException;
import io.clip4j.io.DType;
import io.clip4j.io.HfCheckpointWriter;
import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Wrong configs and mismatched checkpoints give one clear error naming the field or the tensors. */
class CheckpointErrorsTest {
    @TempDir Path tmp;

    private Path configWith(String json) throws IOException {
        Path p = tmp.resolve("config.json");
        Files.writeString(p, json);
        return p;
    }

    private String configError(String json) throws IOException {
        Path p = configWith(json);
        Clip4jException e = assertThrows(Clip4jException.class, () -> ModelConfig.fromHfConfig(p));
        assertTrue(e.getMessage().contains(p.toString()), e.getMessage());
        return e.getMessage();
    }

    @Test void publishedDefaultsFillOmittedFields() throws IOException {
        // the openai/clip-vit-base-patch32 config lists only non-defaults; eos 2 is its legacy value
        ModelConfig c = ModelConfig.fromHfConfig(configWith("""
                {"model_type": "clip", "text_config": {"eos_token_id": 2, "bos_token_id": 0}, "vision_config": {}}"""));
        assertEquals(512, c.projectionDim());
        assertEquals(768, c.vision().tower().hiddenSize());
        assertEquals(32, c.vision().patchSize());
        assertEquals(224, c.vision().imageSize());
        assertEquals(12, c.vision().tower().numHeads());
        assertEquals(512, c.text().tower().hiddenSize());
        assertEquals(8, c.text().tower().numHeads());
        assertEquals(49408, c.text().vocabSize());
        assertEquals(Activation.QUICK_GELU, c.text().tower().activation());
        assertTrue(c.text().poolAtArgmax());
    }

    @Test void invalidFieldsAreNamed() throws IOException {
        assertTrue(configError("{\"model_type\": \"clip\", \"vision_config\": {\"patch_size\": -3}}").contains("vision_config.patch_size"));
        assertTrue(configError("{\"model_type\": \"clip\", \"text_config\": {\"hidden_size\": \"big\"}}").contains("text_config.hidden_size"));
        assertTrue(configError("{\"model_type\": \"clip\", \"text_config\": {\"hidden_act\": \"relu\"}}").contains("text_config.hidden_act"));
        assertTrue(configError("{\"model_type\": \"clip\", \"vision_config\": {\"image_size\": 225}}").contains("patch_size"));
        assertTrue(configError("{\"model_type\": \"clip\", \"vision_config\": {\"hidden_size\": 100}}").contains("not divisible"));
        assertTrue(configError("{\"vision_config\": {}}").contains("model_type"));
        assertTrue(configError("{\"model_type\": \"bert\"}").contains("bert"));
        assertTrue(configError("{\"model_type\": \"clip\", ").contains("not valid JSON"));
        assertTrue(configError("{\"model_type\": \"clip\", \"vision_config\": 7}").contains("vision_config"));
    }

    @Test void openClipConfigErrorsAreNamed() throws IOException {
        Path p = tmp.resolve("open_clip_config.json");
        Files.writeString(p, "{\"model_cfg\": {\"vision_cfg\": {}}}");
        assertTrue(assertThrows(Clip4jException.class, () -> ModelConfig.fromOpenClipConfig(p)).getMessage().contains("model_cfg.embed_dim"));
        Files.writeString(p, "{\"model_cfg\": {\"embed_dim\": 32, \"vision_cfg\": {\"width\": 100}}}");
        assertTrue(assertThrows(Clip4jException.class, () -> ModelConfig.fromOpenClipConfig(p)).getMessage().contains("head_width"));
    }

    /** Copies the tiny HF model with its tensors edited by the given function. */
    private Path tinyWith(java.util.function.Consumer<Map<String, SafeTensors.Entry>> edit) throws IOException {
        Path src = Fixtures.path("models/tiny/hf");
        Path dir = Files.createDirectories(tmp.resolve("m"));
        Files.copy(src.resolve("config.json"), dir.resolve("config.json"));
        Map<String, SafeTensors.Entry> entries = new LinkedHashMap<>();
        try (SafeTensors st = SafeTensors.open(src.resolve("model.safetensors"))) {
            for (String n : st.names()) {
                var info = st.info(n);
                entries.put(n, info.dtype() == DType.I64 ? SafeTensors.Entry.i64(java.util.Arrays.stream(st.ints(n)).asLongStream().toArray(), info.shape())
                        : SafeTensors.Entry.f32(st.floats(n), info.shape()));
            }
        }
        edit.accept(entries);
        SafeTensors.write(dir.resolve("model.safetensors"), entries, null);
        return dir;
    }

    @Test void missingUnexpectedAndMisshapenTensorsAreAllListed() throws IOException {
        Path dir = tinyWith(m -> {
            m.remove("text_model.encoder.layers.1.mlp.fc1.bias");
            m.remove("vision_model.post_layernorm.weight");
            m.put("vision_model.extra_head.weight", SafeTensors.Entry.f32(new float[]{1, 2}, 2));
            m.put("visual_projection.weight", SafeTensors.Entry.f32(new float[128 * 32], 128, 32));
        });
        String msg = assertThrows(Clip4jException.class, () -> ClipModel.loadWeights(dir)).getMessage();
        assertTrue(msg.contains(dir.toString()), msg);
        assertTrue(msg.contains("missing tensors: ") && msg.contains("text_model.encoder.layers.1.mlp.fc1.bias") && msg.contains("vision_model.post_layernorm.weight"), msg);
        assertTrue(msg.contains("unexpected tensors: vision_model.extra_head.weight"), msg);
        assertTrue(msg.contains("visual_projection.weight is [128, 32], expected [32, 128]"), msg);
    }

    @Test void missingFilesAreNamed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        assertTrue(assertThrows(Clip4jException.class, () -> ClipModel.loadWeights(dir)).getMessage().contains("not a model directory"));
        Files.copy(Fixtures.path("models/tiny/hf/config.json"), dir.resolve("config.json"));
        assertTrue(assertThrows(Clip4jException.class, () -> ClipModel.loadWeights(dir)).getMessage().contains("missing model.safetensors"));
        assertTrue(assertThrows(Clip4jException.class, () -> ClipModel.loadWeights(tmp.resolve("nope"))).getMessage().contains("not found"));
    }

    @Test void writtenCheckpointsLoadBackToTheSameModel() throws IOException {
        try (ClipModel a = ClipModel.loadWeights(Fixtures.path("models/tiny/open_clip"));
             SafeTensors exp = SafeTensors.open(Fixtures.path("models/tiny/expected.safetensors"))) {
            Path out = tmp.resolve("written");
            HfCheckpointWriter.write(out, a.config(), a.params(), a.logitScale(), DType.F32);
            try (ClipModel b = ClipModel.loadWeights(out)) {
                float[] px = exp.floats("pixel_values");
                // equal up to float rounding: the order of vector lane reductions may differ between JIT tiers
                assertArrayEquals(a.encodePixels(px, 16)[5], b.encodePixels(px, 16)[5], 1e-6f);
                assertEquals(a.logitScale(), b.logitScale());
                assertEquals(a.config(), b.config());
            }
        }
    }

    @Test void randomInitIsSeededAndLoadable() throws IOException {
        ModelConfig c = Architectures.byName("tiny");
        ClipModel a = new ClipModel(c, new RandomInit(c, 7), c.logitScaleInit());
        ClipModel b = new ClipModel(c, new RandomInit(c, 7), c.logitScaleInit());
        ClipModel other = new ClipModel(c, new RandomInit(c, 8), c.logitScaleInit());
        assertArrayEquals(a.params().get(1).data, b.params().get(1).data);
        assertFalse(java.util.Arrays.equals(a.params().get(1).data, other.params().get(1).data));
        Path out = tmp.resolve("init");
        HfCheckpointWriter.write(out, c, a.params(), a.logitScale(), DType.F16);
        try (ClipModel loaded = ClipModel.loadWeights(out)) {
            assertEquals(c, loaded.config());
            float[] w = a.params().get(1).data, lw = loaded.params().get(1).floats();
            for (int i = 0; i < w.length; i++) assertEquals(Float.float16ToFloat(Float.floatToFloat16(w[i])), lw[i]);
        }
    }
}
