package io.clip4j.model;

import io.clip4j.kernel.Ops;
import io.clip4j.nn.LayerNorm;
import io.clip4j.nn.Linear;
import io.clip4j.nn.Param;
import io.clip4j.nn.ParamSource;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIP's image tower (ViT). For B images pixels[B,3,S,S] (normalised, CHW):
 * patches[B·G², 3·P·P] → ·Wpatchᵀ → [B,G²,C]; prepend the class embedding → x[B,T=G²+1,C]; + position embedding;
 * ln_pre; blocks (no mask); ln_post on the class token → [B,C]; · Wprojᵀ → [B,E]. Only the class token is read, so
 * the last block runs for it alone ({@link Encoder#forwardPooled}; with a trace, for every token).
 * The patch embedding is a matmul over flattened patches ({@link PatchEmbedding}).
 */
public final class VisionTower implements ImageEncoder {
    public final VisionConfig config;
    public final Param patchWeight, classEmbedding, positionEmbedding;
    public final LayerNorm lnPre, lnPost;
    public final Encoder encoder;
    public final Linear projection;

    public VisionTower(ParamSource src, VisionConfig c, int projectionDim) {
        this.config = c;
        int C = c.tower().hiddenSize(), P = c.patchSize();
        float eps = c.tower().layerNormEps();
        patchWeight = src.matrix("vision_model.embeddings.patch_embedding.weight", C, 3, P, P);
        classEmbedding = src.param("vision_model.embeddings.class_embedding", C);
        positionEmbedding = src.param("vision_model.embeddings.position_embedding.weight", c.numPositions(), C);
        lnPre = new LayerNorm(src.param("vision_model.pre_layrnorm.weight", C), src.param("vision_model.pre_layrnorm.bias", C), eps);
        encoder = new Encoder(src, "vision_model.encoder", c.tower());
        lnPost = new LayerNorm(src.param("vision_model.post_layernorm.weight", C), src.param("vision_model.post_layernorm.bias", C), eps);
        projection = new Linear(src.matrix("visual_projection.weight", projectionDim, C), null);
    }

    // workspace slots (blocks use 4..6)
    private static final int X = 0, PATCHES = 1, TMP = 2, POOLED = 3;

    @Override public void forward(float[] out, ImageBatch batch, Workspace ws, Trace trace) {
        if (batch.isPatches()) throw new IllegalArgumentException("CLIP's image tower takes pixels, not NaFlex patches");
        forwardPixels(out, batch, ws, trace);
    }

    /** out[B,E] = projected image features (unnormalised) for pixels[B,3,S,S]. */
    public void forward(float[] out, float[] pixels, int B, Workspace ws, Trace trace) {
        forward(out, ImageBatch.pixels(pixels, B), ws, trace);
    }

    private void forwardPixels(float[] out, ImageBatch batch, Workspace ws, Trace trace) {
        int S = config.imageSize(), P = config.patchSize(), G = config.grid(), C = config.tower().hiddenSize();
        int B = batch.batch(), T = config.numPositions(), N = B * T;
        float[] x = ws.get(X, N * C);
        // x[b, 1+g] = patch g of image b · Wpatchᵀ
        PatchEmbedding.embed(x, T, 1, batch, S, P, patchWeight, null, C, ws, PATCHES, TMP);
        if (trace != null) {
            float[] patchEmbeds = new float[B * G * G * C];
            for (int b = 0; b < B; b++) System.arraycopy(x, (b * T + 1) * C, patchEmbeds, b * G * G * C, G * G * C);
            trace.record("vision.patch_embeds", patchEmbeds, B, G * G, C);
        }
        // x[b,0] = class;  then x[b,t] += pos[t]
        float[] pos = positionEmbedding.data, cls = classEmbedding.data;
        for (int b = 0; b < B; b++) System.arraycopy(cls, 0, x, b * T * C, C);
        Trace.put(trace, "vision.with_class_token", x, N * C, B, T, C);
        Ops.addBroadcast(x, pos, B, T * C);
        Trace.put(trace, "vision.embeddings", x, N * C, B, T, C);
        float[] tmp = ws.get(TMP, N * C);
        lnPre.forward(tmp, x, N);
        System.arraycopy(tmp, 0, x, 0, N * C);
        Trace.put(trace, "vision.ln_pre", x, N * C, B, T, C);
        float[] cls0 = ws.get(POOLED, 2 * B * C);
        if (trace != null) {
            encoder.forward(x, B, T, C, false, ws, trace, "vision.");
            for (int b = 0; b < B; b++) System.arraycopy(x, b * T * C, cls0, b * C, C);
        } else {
            // only the class token is read: the last block runs for it alone
            int[] classRows = new int[B];
            for (int b = 0; b < B; b++) classRows[b] = b * T;
            encoder.forwardPooled(cls0, x, B, T, C, null, false, null, classRows, ws);
        }
        lnPost.forward(tmp, cls0, B);
        Trace.put(trace, "vision.ln_post", tmp, B * C, B, C);
        projection.forward(out, tmp, B);
        Trace.put(trace, "vision.proj", out, B * projection.out, B, projection.out);
    }

    @Override public List<Param> params() {
        List<Param> out = new ArrayList<>(List.of(classEmbedding, patchWeight, positionEmbedding, lnPre.weight, lnPre.bias));
        out.addAll(encoder.params());
        out.addAll(List.of(lnPost.weight, lnPost.bias, projection.weight));
        return out;
    }
}
