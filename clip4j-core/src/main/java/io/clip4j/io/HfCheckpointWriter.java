package io.clip4j.io;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.model.Family;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.TowerConfig;
import io.clip4j.nn.Param;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a model in the Hugging Face layout of its family: config.json and model.safetensors (fused q/k/v split back
 * into q_proj / k_proj / v_proj).
 * <ul>
 *   <li>CLIP ({@code CLIPModel}): {@code logit_scale} of shape [], position_ids as I64 like the published files;</li>
 *   <li>SigLIP / SigLIP 2 ({@code SiglipModel}, {@code Siglip2Model}): {@code logit_scale} and {@code logit_bias} of
 *       shape [1], no position_ids (not persistent in those models); the MAP head's in_proj stays packed.</li>
 * </ul>
 * Each file is written atomically (temporary file, then rename).
 */
public final class HfCheckpointWriter {
    private HfCheckpointWriter() {}

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /** Writes a model whose logit bias is 0 (CLIP; a SigLIP model should use the overload with its bias). */
    public static void write(Path dir, ModelConfig config, List<Param> params, float logitScale, DType dtype) throws IOException {
        write(dir, config, params, logitScale, 0f, dtype);
    }

    /** Writes params with logit_scale (and, for SigLIP families, logit_bias) in the layout of config's family. */
    public static void write(Path dir, ModelConfig config, List<Param> params, float logitScale, float logitBias, DType dtype) throws IOException {
        Files.createDirectories(dir);
        boolean clip = config.family() == Family.CLIP;
        Map<String, SafeTensors.Entry> entries = new LinkedHashMap<>();
        for (Param p : params) {
            float[] values = p.floats();
            if (p.name.contains(".qkv_proj.")) {
                int part = p.numel() / 3;
                String[] names = {"q_proj", "k_proj", "v_proj"};
                for (int i = 0; i < 3; i++) {
                    float[] v = java.util.Arrays.copyOfRange(values, i * part, (i + 1) * part);
                    long[] shape = p.shape.length == 2 ? new long[]{p.shape[0] / 3, p.shape[1]} : new long[]{p.shape[0] / 3};
                    entries.put(p.name.replace("qkv_proj", names[i]), SafeTensors.Entry.ofFloats(dtype, v, shape));
                }
            } else {
                long[] shape = new long[p.shape.length];
                for (int i = 0; i < shape.length; i++) shape[i] = p.shape[i];
                entries.put(p.name, SafeTensors.Entry.ofFloats(dtype, values, shape));
            }
        }
        if (clip) {
            entries.put("logit_scale", SafeTensors.Entry.ofFloats(dtype, new float[]{logitScale}));
            entries.put("text_model.embeddings.position_ids", SafeTensors.Entry.i64(range(config.text().maxPositions()), 1, config.text().maxPositions()));
            entries.put("vision_model.embeddings.position_ids", SafeTensors.Entry.i64(range(config.vision().numPositions()), 1, config.vision().numPositions()));
        } else {
            entries.put("logit_scale", SafeTensors.Entry.ofFloats(dtype, new float[]{logitScale}, 1));
            entries.put("logit_bias", SafeTensors.Entry.ofFloats(dtype, new float[]{logitBias}, 1));
        }
        SafeTensors.write(dir.resolve("model.safetensors"), entries, Map.of("format", "pt"));
        writeJson(dir.resolve("config.json"), clip ? configJson(config, dtype) : siglipConfigJson(config, dtype));
    }

    private static long[] range(int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) r[i] = i;
        return r;
    }

    /** config.json with every field explicit. */
    public static ObjectNode configJson(ModelConfig c, DType dtype) {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("CLIPModel");
        root.put("model_type", "clip");
        root.put("projection_dim", c.projectionDim());
        root.put("logit_scale_init_value", c.logitScaleInit());
        root.put("torch_dtype", dtype == DType.F16 ? "float16" : dtype == DType.BF16 ? "bfloat16" : "float32");
        ObjectNode t = root.putObject("text_config");
        tower(t, c.text().tower());
        t.put("model_type", "clip_text_model");
        t.put("vocab_size", c.text().vocabSize());
        t.put("max_position_embeddings", c.text().maxPositions());
        t.put("bos_token_id", c.text().bosId());
        t.put("eos_token_id", c.text().eosId());
        t.put("pad_token_id", c.text().padId());
        t.put("projection_dim", c.projectionDim());
        ObjectNode v = root.putObject("vision_config");
        tower(v, c.vision().tower());
        v.put("model_type", "clip_vision_model");
        v.put("image_size", c.vision().imageSize());
        v.put("patch_size", c.vision().patchSize());
        v.put("num_channels", c.vision().numChannels());
        v.put("projection_dim", c.projectionDim());
        return root;
    }

    /**
     * config.json of a {@code SiglipModel} (model_type siglip) or {@code Siglip2Model} (siglip2, NaFlex: the position
     * grid as num_patches instead of image_size), every field explicit.
     */
    public static ObjectNode siglipConfigJson(ModelConfig c, DType dtype) {
        boolean v2 = c.family() == Family.SIGLIP2;
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add(v2 ? "Siglip2Model" : "SiglipModel");
        root.put("model_type", v2 ? "siglip2" : "siglip");
        root.put("torch_dtype", dtype == DType.F16 ? "float16" : dtype == DType.BF16 ? "bfloat16" : "float32");
        ObjectNode t = root.putObject("text_config");
        tower(t, c.text().tower());
        t.put("model_type", v2 ? "siglip2_text_model" : "siglip_text_model");
        t.put("vocab_size", c.text().vocabSize());
        t.put("max_position_embeddings", c.text().maxPositions());
        t.put("bos_token_id", c.text().bosId());
        t.put("eos_token_id", c.text().eosId());
        t.put("pad_token_id", c.text().padId());
        t.put("projection_size", c.projectionDim());
        ObjectNode v = root.putObject("vision_config");
        tower(v, c.vision().tower());
        v.put("model_type", v2 ? "siglip2_vision_model" : "siglip_vision_model");
        if (v2) v.put("num_patches", c.vision().numPatches());
        else v.put("image_size", c.vision().imageSize());
        v.put("patch_size", c.vision().patchSize());
        v.put("num_channels", c.vision().numChannels());
        return root;
    }

    private static void tower(ObjectNode n, TowerConfig t) {
        n.put("hidden_size", t.hiddenSize());
        n.put("intermediate_size", t.intermediateSize());
        n.put("num_hidden_layers", t.numLayers());
        n.put("num_attention_heads", t.numHeads());
        n.put("hidden_act", t.activation().hfName);
        n.put("layer_norm_eps", t.layerNormEps());
    }

    /** Writes JSON atomically (temp file + rename). */
    public static void writeJson(Path file, Object json) throws IOException {
        writeAtomically(file, JSON.writeValueAsBytes(json));
    }

    /**
     * Writes bytes to file atomically: a temporary file beside it (".NAME.….tmp"), made readable by all (0644, as an
     * ordinary file; temporary files are created owner-only), then renamed into place. A crash leaves the old file or
     * the new one, never a mix; the temporary file is removed on failure.
     */
    public static void writeAtomically(Path file, byte[] bytes) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName() + ".", ".tmp");
        try {
            Files.write(tmp, bytes);
            SafeTensors.readableByAll(tmp);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
