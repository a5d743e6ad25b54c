package io.clip4j.model;

import io.clip4j.Clip4jException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A model's architecture, parsed from a published config with the defaults that published files omit
 * (they list only non-default fields), and validated: what clip4j cannot run is rejected naming the field.
 *
 * @param projectionDim E, the shared embedding width
 * @param logitScaleInit ln of the initial temperature (used only when a checkpoint lacks logit_scale)
 */
public record ModelConfig(Family family, int projectionDim, VisionConfig vision, TextConfig text, float logitScaleInit) {

    /** Hugging Face {@code config.json} of a {@code CLIPModel} (model_type "clip"). */
    public static ModelConfig fromHfConfig(Path configJson) {
        JsonFields root = JsonFields.read(configJson);
        String type = root.string("model_type", null);
        if (type == null) throw new Clip4jException(root.where("model_type") + " is missing (expected clip, siglip or siglip2)");
        if (type.equals("siglip") || type.equals("siglip2")) return fromSiglipConfig(root, type.equals("siglip2") ? Family.SIGLIP2 : Family.SIGLIP);
        if (!type.equals("clip")) {
            throw new Clip4jException(root.where("model_type") + " is \"" + type + "\"; supported: clip, siglip, siglip2");
        }
        int projection = root.positiveInt("projection_dim", 512);
        float logitScale = root.anyFloat("logit_scale_init_value", 2.6592f);

        // transformers' CLIPTextConfig / CLIPVisionConfig defaults (ViT-B/32 text and vision)
        JsonFields t = root.object("text_config");
        TowerConfig textTower = tower(t, 512, 2048, 12, 8, 1e-5f, "quick_gelu");
        TextConfig text = new TextConfig(textTower,
                t.positiveInt("vocab_size", 49408), t.positiveInt("max_position_embeddings", 77),
                t.anyInt("bos_token_id", 49406), t.anyInt("eos_token_id", 49407), t.anyInt("pad_token_id", 1));

        JsonFields v = root.object("vision_config");
        TowerConfig visionTower = tower(v, 768, 3072, 12, 12, 1e-5f, "quick_gelu");
        VisionConfig vision = new VisionConfig(visionTower,
                v.positiveInt("image_size", 224), v.positiveInt("patch_size", 32), v.positiveInt("num_channels", 3));
        ModelConfig c = new ModelConfig(Family.CLIP, projection, vision, text, logitScale);
        c.validate(root.file);
        return c;
    }

    /**
     * SigLIP ({@code siglip}: v1 and SigLIP 2 fixed resolution) and SigLIP 2 NaFlex ({@code siglip2}), with
     * transformers' SiglipTextConfig / SiglipVisionConfig / Siglip2VisionConfig defaults. The embedding width is the
     * vision width (the MAP head's output), which the text head's projection_size must equal.
     */
    private static ModelConfig fromSiglipConfig(JsonFields root, Family family) {
        JsonFields t = root.object("text_config");
        TowerConfig textTower = tower(t, 768, 3072, 12, 12, 1e-6f, "gelu_pytorch_tanh");
        TextConfig text = new TextConfig(textTower, t.positiveInt("vocab_size", 32000), t.positiveInt("max_position_embeddings", 64),
                t.anyInt("bos_token_id", 49406), t.anyInt("eos_token_id", 49407), t.anyInt("pad_token_id", 1));
        int projection = t.positiveInt("projection_size", textTower.hiddenSize());
        JsonFields v = root.object("vision_config");
        TowerConfig visionTower = tower(v, 768, 3072, 12, 12, 1e-6f, "gelu_pytorch_tanh");
        int patch = v.positiveInt("patch_size", 16);
        int imageSize;
        if (family == Family.SIGLIP2) {
            int numPatches = v.positiveInt("num_patches", 256);
            int grid = (int) Math.round(Math.sqrt(numPatches));
            if (grid * grid != numPatches) throw new Clip4jException(v.where("num_patches") + " (" + numPatches + ") is not a square number");
            imageSize = grid * patch; // nominal: the position grid's size in pixels
        } else {
            imageSize = v.positiveInt("image_size", 224);
        }
        VisionConfig vision = new VisionConfig(visionTower, imageSize, patch, v.positiveInt("num_channels", 3));
        if (projection != visionTower.hiddenSize()) {
            throw new Clip4jException(t.where("projection_size") + " (" + projection + ") differs from the vision hidden_size "
                    + visionTower.hiddenSize() + ": text and image embeddings could not be compared");
        }
        ModelConfig c = new ModelConfig(family, projection, vision, text, (float) Math.log(10));
        c.validate(root.file);
        return c;
    }

    /** OpenCLIP {@code open_clip_config.json}: {@code {"model_cfg": {embed_dim, quick_gelu, vision_cfg, text_cfg}}}. */
    public static ModelConfig fromOpenClipConfig(Path configJson) {
        JsonFields root = JsonFields.read(configJson);
        if (!root.has("model_cfg")) throw new Clip4jException(root.where("model_cfg") + " is missing");
        JsonFields m = root.object("model_cfg");
        if (!m.has("embed_dim")) throw new Clip4jException(m.where("embed_dim") + " is missing");
        int embed = m.positiveInt("embed_dim", 512);
        Activation act = m.bool("quick_gelu", false) ? Activation.QUICK_GELU : Activation.GELU;

        JsonFields vc = m.object("vision_cfg");
        int vWidth = vc.positiveInt("width", 768);
        int headWidth = vc.positiveInt("head_width", 64);
        float mlpRatio = vc.positiveFloat("mlp_ratio", 4.0f);
        if (vWidth % headWidth != 0) throw new Clip4jException(vc.where("width") + " (" + vWidth + ") is not a multiple of head_width " + headWidth);
        TowerConfig vTower = new TowerConfig(vWidth, Math.round(vWidth * mlpRatio), vc.positiveInt("layers", 12), vWidth / headWidth, 1e-5f, act);
        VisionConfig vision = new VisionConfig(vTower, vc.positiveInt("image_size", 224), vc.positiveInt("patch_size", 16), 3);

        JsonFields tc = m.object("text_cfg");
        int tWidth = tc.positiveInt("width", 512);
        float tMlpRatio = tc.positiveFloat("mlp_ratio", 4.0f);
        TowerConfig tTower = new TowerConfig(tWidth, Math.round(tWidth * tMlpRatio), tc.positiveInt("layers", 12), tc.positiveInt("heads", 8), 1e-5f, act);
        TextConfig text = new TextConfig(tTower, tc.positiveInt("vocab_size", 49408), tc.positiveInt("context_length", 77), 49406, 49407, 0);
        ModelConfig c = new ModelConfig(Family.CLIP, embed, vision, text, (float) Math.log(1 / 0.07));
        c.validate(root.file);
        return c;
    }

    private static TowerConfig tower(JsonFields f, int hidden, int inter, int layers, int heads, float eps, String act) {
        return new TowerConfig(f.positiveInt("hidden_size", hidden), f.positiveInt("intermediate_size", inter),
                f.positiveInt("num_hidden_layers", layers), f.positiveInt("num_attention_heads", heads),
                f.positiveFloat("layer_norm_eps", eps), Activation.fromHf(f.string("hidden_act", act), f.where("hidden_act")));
    }

    /** Cross-field checks: what the kernels need to hold. */
    void validate(String file) {
        check(vision.tower().hiddenSize() % vision.tower().numHeads() == 0, file, "vision hidden size " + vision.tower().hiddenSize()
                + " is not divisible by its " + vision.tower().numHeads() + " attention heads");
        check(text.tower().hiddenSize() % text.tower().numHeads() == 0, file, "text hidden size " + text.tower().hiddenSize()
                + " is not divisible by its " + text.tower().numHeads() + " attention heads");
        check(vision.imageSize() % vision.patchSize() == 0, file, "vision image_size " + vision.imageSize() + " is not a multiple of patch_size " + vision.patchSize());
        check(vision.numChannels() == 3, file, "vision num_channels must be 3 (got " + vision.numChannels() + ")");
        check(text.maxPositions() >= 2, file, "text max_position_embeddings must be at least 2");
        check(family != Family.CLIP || text.eosId() < text.vocabSize() || text.poolAtArgmax(), file, "text eos_token_id " + text.eosId() + " is outside the vocabulary of " + text.vocabSize());
    }

    private static void check(boolean ok, String file, String what) {
        if (!ok) throw new Clip4jException(file + ": " + what);
    }

    /** True when dir holds a model config clip4j recognises. */
    public static boolean isModelDir(Path dir) {
        return Files.isRegularFile(dir.resolve("config.json")) || Files.isRegularFile(dir.resolve("open_clip_config.json"));
    }
}
