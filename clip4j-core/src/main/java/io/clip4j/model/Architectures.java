package io.clip4j.model;

import io.clip4j.Clip4jException;

import java.util.LinkedHashMap;
import java.util.Map;

/** Named CLIP architectures for {@code clip4j init}: the published ViT shapes and small ones for training and tests. */
public final class Architectures {
    private Architectures() {}

    private static ModelConfig clip(int embed, int imageSize, int patch, int vWidth, int vLayers, int tWidth, int tLayers, int tHeads, Activation act) {
        TowerConfig v = new TowerConfig(vWidth, 4 * vWidth, vLayers, vWidth / 64, 1e-5f, act);
        TowerConfig t = new TowerConfig(tWidth, 4 * tWidth, tLayers, tHeads, 1e-5f, act);
        return new ModelConfig(Family.CLIP, embed, new VisionConfig(v, imageSize, patch, 3),
                new TextConfig(t, 49408, 77, 49406, 49407, 1), 2.6592f);
    }

    /** name → config; vision heads are width/64 as in OpenAI's ViTs. */
    public static final Map<String, ModelConfig> ALL = new LinkedHashMap<>();
    static {
        ALL.put("vit-b-32", clip(512, 224, 32, 768, 12, 512, 12, 8, Activation.QUICK_GELU));
        ALL.put("vit-b-16", clip(512, 224, 16, 768, 12, 512, 12, 8, Activation.QUICK_GELU));
        ALL.put("vit-l-14", clip(768, 224, 14, 1024, 24, 768, 12, 12, Activation.QUICK_GELU));
        // the small CLIP of the emoji training recipe: 64 px images, 8 px patches, 192 × 4 vision, 128 × 4 × 4 heads text
        ALL.put("tiny", new ModelConfig(Family.CLIP, 64,
                new VisionConfig(new TowerConfig(192, 768, 4, 3, 1e-5f, Activation.QUICK_GELU), 64, 8, 3),
                new TextConfig(new TowerConfig(128, 512, 4, 4, 1e-5f, Activation.QUICK_GELU), 49408, 77, 49406, 49407, 1), 2.6592f));
    }

    public static ModelConfig byName(String name) {
        ModelConfig c = ALL.get(name.toLowerCase(java.util.Locale.ROOT));
        if (c == null) throw new Clip4jException("unknown architecture \"" + name + "\" (known: " + String.join(", ", ALL.keySet()) + ")");
        return c;
    }

    /** The same architecture with another vocabulary size (a tokenizer learned for the data). */
    public static ModelConfig withVocab(ModelConfig c, int vocabSize, int bos, int eos, int pad) {
        TextConfig t = c.text();
        return new ModelConfig(c.family(), c.projectionDim(), c.vision(),
                new TextConfig(t.tower(), vocabSize, t.maxPositions(), bos, eos, pad), c.logitScaleInit());
    }
}
