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
 * ln_pre; blocks (no mask); ln_post on the class token → [B,C]; · Wprojᵀ → [B,E].
 * The patch embedding is the conv weight [C,3,P,P] read as a [C, 3·P·P] matrix: a stride-P conv over
 * non-overlapping patches is that matmul with each patch flattened in (channel, row, column) order.
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

    // workspace slots (blocks use 4..7)
    private static final int X = 0, PATCHES = 1, TMP = 2, POOLED = 3;

    @Override public void forward(float[] out, ImageBatch batch, Workspace ws, Trace trace) {
        if (batch.isPatches()) throw new IllegalArgumentException("CLIP's image tower takes pixels, not NaFlex patches");
        forward(out, batch.values(), batch.batch(), ws, trace);
    }

    /** out[B,E] = projected image features (unnormalised) for pixels[B,3,S,S]. */
    public void forward(float[] out, float[] pixels, int B, Workspace ws, Trace trace) {
        int S = config.imageSize(), P = config.patchSize(), G = config.grid(), C = config.tower().hiddenSize();
        int T = config.numPositions(), K = 3 * P * P, N = B * T;
        float[] patches = ws.get(PATCHES, B * G * G * K), x = ws.get(X, N * C), tmp = ws.get(TMP, N * C);
        // patches[b, gy·G+gx, (ch·P + py)·P + px] = pixels[b, ch, gy·P + py, gx·P + px]
        for (int b = 0; b < B; b++) for (int gy = 0; gy < G; gy++) for (int gx = 0; gx < G; gx++) {
            int row = ((b * G + gy) * G + gx) * K;
            for (int ch = 0; ch < 3; ch++) for (int py = 0; py < P; py++) {
                System.arraycopy(pixels, ((b * 3 + ch) * S + gy * P + py) * S + gx * P, patches, row + (ch * P + py) * P, P);
            }
        }
        Linear.matmul(tmp, patches, patchWeight, null, B * G * G, K, C, null);
        Trace.put(trace, "vision.patch_embeds", tmp, B * G * G * C, B, G * G, C);
        // x[b,0] = class + pos[0];  x[b,1+g] = patch_g + pos[1+g]
        float[] pos = positionEmbedding.data, cls = classEmbedding.data;
        for (int b = 0; b < B; b++) {
            int base = b * T * C;
            for (int c = 0; c < C; c++) x[base + c] = cls[c];
            System.arraycopy(tmp, b * G * G * C, x, base + C, G * G * C);
            if (trace != null && b == B - 1) Trace.put(trace, "vision.with_class_token", x, N * C, B, T, C);
        }
        for (int b = 0; b < B; b++) for (int i = 0, base = b * T * C; i < T * C; i++) x[base + i] += pos[i];
        Trace.put(trace, "vision.embeddings", x, N * C, B, T, C);
        lnPre.forward(tmp, x, N);
        System.arraycopy(tmp, 0, x, 0, N * C);
        Trace.put(trace, "vision.ln_pre", x, N * C, B, T, C);
        encoder.forward(x, B, T, C, false, ws, trace, "vision.");
        float[] cls0 = ws.get(POOLED, 2 * B * C);
        for (int b = 0; b < B; b++) System.arraycopy(x, b * T * C, cls0, b * C, C);
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
