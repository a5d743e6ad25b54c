package io.clip4j.model;

import io.clip4j.nn.ParamSource;

import java.util.SplittableRandom;

/**
 * CLIP's initialisation (openai/CLIP model.py initialize_parameters), seeded:
 * token embedding N(0, 0.02²), text positions N(0, 0.01²); vision class/positions/projection N(0, C^-1);
 * attention in-projection std C^-½, out-projection and fc2 std C^-½·(2·layers)^-½, fc1 std (2C)^-½;
 * text projection std C^-½; patch embedding as PyTorch's conv default (uniform ±(3P²)^-½); LayerNorm γ = 1, β = 0;
 * biases 0.
 *
 * <p>SigLIP families (SigLIP, SigLIP 2), after Hugging Face's SiglipPreTrainedModel._init_weights: token and position
 * embeddings N(0, 1/width); patch embedding (conv or NaFlex linear) and the text head lecun-normal (std fan_in^-½);
 * attention q/k/v/out projections, MLP fc1/fc2, the MAP head's probe and packed in_proj Xavier-uniform
 * (±√(6/(fan_in + fan_out)), q, k and v each as its own [C,C] matrix); LayerNorm γ = 1, β = 0; biases 0 (Hugging Face
 * draws the MLP biases from N(0, 1e-12): 0 here).
 */
public final class RandomInit implements ParamSource {
    private final ModelConfig config;
    private final SplittableRandom rng;

    public RandomInit(ModelConfig config, long seed) {
        this.config = config;
        this.rng = new SplittableRandom(seed);
    }

    @Override public float[] take(String name, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] v = new float[n];
        boolean vision = name.startsWith("vision_model.") || name.startsWith("visual_");
        TowerConfig t = vision ? config.vision().tower() : config.text().tower();
        if (config.family() != Family.CLIP) return siglip(name, shape, v, t);
        double width = t.hiddenSize(), layers = t.numLayers();
        double attnStd = Math.pow(width, -0.5), projStd = attnStd * Math.pow(2 * layers, -0.5), fcStd = Math.pow(2 * width, -0.5);
        if (name.endsWith("norm1.weight") || name.endsWith("norm2.weight") || name.endsWith("layernorm.weight")
                || name.endsWith("layrnorm.weight") || name.endsWith("final_layer_norm.weight")) {
            java.util.Arrays.fill(v, 1f);
        } else if (name.endsWith(".bias")) {
            // zeros
        } else if (name.equals("text_model.embeddings.token_embedding.weight")) gauss(v, 0.02);
        else if (name.equals("text_model.embeddings.position_embedding.weight")) gauss(v, 0.01);
        else if (name.equals("vision_model.embeddings.class_embedding") || name.equals("vision_model.embeddings.position_embedding.weight")
                || name.equals("visual_projection.weight")) gauss(v, Math.pow(config.vision().tower().hiddenSize(), -0.5));
        else if (name.equals("vision_model.embeddings.patch_embedding.weight")) {
            double bound = 1.0 / Math.sqrt(3.0 * config.vision().patchSize() * config.vision().patchSize());
            for (int i = 0; i < n; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
        } else if (name.endsWith("qkv_proj.weight")) gauss(v, attnStd);
        else if (name.endsWith("out_proj.weight") || name.endsWith("fc2.weight")) gauss(v, projStd);
        else if (name.endsWith("fc1.weight")) gauss(v, fcStd);
        else if (name.equals("text_projection.weight")) gauss(v, Math.pow(config.text().tower().hiddenSize(), -0.5));
        else throw new IllegalArgumentException("no initialiser for " + name);
        return v;
    }

    private float[] siglip(String name, int[] shape, float[] v, TowerConfig t) {
        int n = v.length;
        if (name.endsWith("norm1.weight") || name.endsWith("norm2.weight") || name.endsWith("layernorm.weight") || name.endsWith("final_layer_norm.weight")) {
            java.util.Arrays.fill(v, 1f);
        } else if (name.endsWith(".bias") || name.endsWith(".in_proj_bias")) {
            // zeros
        } else if (name.endsWith("embeddings.token_embedding.weight") || name.endsWith("embeddings.position_embedding.weight")) {
            gauss(v, Math.pow(t.hiddenSize(), -0.5));
        } else if (name.equals("vision_model.embeddings.patch_embedding.weight") || name.equals("text_model.head.weight")) {
            gauss(v, Math.pow((double) n / shape[0], -0.5));                 // lecun normal: fan_in = numel / out
        } else if (name.endsWith("qkv_proj.weight")) {
            xavier(v, t.hiddenSize(), t.hiddenSize());                      // q, k, v: three [C,C] matrices
        } else if (name.endsWith("out_proj.weight") || name.endsWith("fc1.weight") || name.endsWith("fc2.weight")) {
            xavier(v, shape[1], shape[0]);
        } else if (name.endsWith("head.probe")) {
            xavier(v, shape[2], shape[2]);                                  // [1,1,D]: torch's fans are D and D
        } else if (name.endsWith("head.attention.in_proj_weight")) {
            xavier(v, shape[1], shape[0]);
        } else {
            throw new IllegalArgumentException("no initialiser for " + name);
        }
        return v;
    }

    private void xavier(float[] v, int fanIn, int fanOut) {
        double bound = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < v.length; i++) v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    }

    private void gauss(float[] v, double std) {
        // Box–Muller from the seeded stream: reproducible for a given seed and parameter order
        for (int i = 0; i < v.length; i += 2) {
            double u1 = 1.0 - rng.nextDouble(), u2 = rng.nextDouble();
            double r = Math.sqrt(-2 * Math.log(u1)) * std;
            v[i] = (float) (r * Math.cos(2 * Math.PI * u2));
            if (i + 1 < v.length) v[i + 1] = (float) (r * Math.sin(2 * Math.PI * u2));
        }
    }
}
