package io.clip4j.model;

import io.clip4j.kernel.Ops;
import io.clip4j.nn.LayerNorm;
import io.clip4j.nn.Linear;
import io.clip4j.nn.MapHead;
import io.clip4j.nn.Param;
import io.clip4j.nn.ParamSource;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;

import java.util.ArrayList;
import java.util.List;

/**
 * SigLIP's image tower. No class token, no pre-LayerNorm; patch embedding with bias; blocks without a causal mask;
 * post-LayerNorm over every token; the MAP head pools them into the embedding [B,D].
 * <ul>
 * <li>Fixed resolution (SigLIP, SigLIP 2 fixed-res): pixels[B,3,S,S] → patches (channel, row, column) · conv
 *     weight [D,3,P,P] read as [D,3PP] + bias; + position_embedding[0..G²).</li>
 * <li>NaFlex (SigLIP 2): patches[B,M,PP3] (row, column, channel) · Linear [D,PP3] + bias; the G×G position grid is
 *     resized to each image's h×w patch grid ({@link PositionResize}) for rows 0..hw, padding rows get resized row 0;
 *     keys past the hw real patches are masked in every block and in the head.</li>
 * </ul>
 */
public final class SiglipVisionTower implements ImageEncoder {
    public final VisionConfig config;
    public final boolean naflex;
    public final Param patchWeight, patchBias, positionEmbedding;
    public final Encoder encoder;
    public final LayerNorm postLayerNorm;
    public final MapHead head;

    public SiglipVisionTower(ParamSource src, VisionConfig c, boolean naflex) {
        this.config = c;
        this.naflex = naflex;
        int D = c.tower().hiddenSize(), P = c.patchSize();
        float eps = c.tower().layerNormEps();
        patchWeight = naflex ? src.matrix("vision_model.embeddings.patch_embedding.weight", D, P * P * 3)
                : src.matrix("vision_model.embeddings.patch_embedding.weight", D, 3, P, P);
        patchBias = src.param("vision_model.embeddings.patch_embedding.bias", D);
        positionEmbedding = src.param("vision_model.embeddings.position_embedding.weight", c.numPatches(), D);
        encoder = new Encoder(src, "vision_model.encoder", c.tower());
        postLayerNorm = new LayerNorm(src.param("vision_model.post_layernorm.weight", D), src.param("vision_model.post_layernorm.bias", D), eps);
        head = new MapHead(src, "vision_model.head.", D, c.tower().intermediateSize(), c.tower().numHeads(), eps, c.tower().activation());
    }

    private static final int X = 0, PATCHES = 1, TMP = 2;

    @Override public void forward(float[] out, ImageBatch batch, Workspace ws, Trace trace) {
        int B = batch.batch(), D = config.tower().hiddenSize(), P = config.patchSize(), K = 3 * P * P;
        int T;
        int[] valid = null;
        float[] x;
        if (naflex) {
            if (!batch.isPatches()) throw new IllegalArgumentException("a NaFlex image tower takes patches with their grid shapes");
            T = batch.maxPatches();
            x = ws.get(X, B * T * D);
            Linear.matmul(x, batch.values(), patchWeight, patchBias.data, B * T, K, D, null);
            valid = new int[B];
            int G = config.grid();
            float[] posAll = trace != null ? new float[B * T * D] : null;
            for (int b = 0; b < B; b++) {
                int h = batch.gridShapes()[b][0], w = batch.gridShapes()[b][1];
                if (h * w > T || h < 1 || w < 1) throw new IllegalArgumentException("patch grid " + h + "x" + w + " does not fit " + T + " patches");
                valid[b] = h * w;
                float[] pos = PositionResize.resize(positionEmbedding.data, G, D, h, w);
                for (int t = 0; t < T; t++) {
                    int src = (t < h * w ? t : 0) * D, dst = (b * T + t) * D;
                    for (int d = 0; d < D; d++) x[dst + d] += pos[src + d];
                    if (posAll != null) System.arraycopy(pos, src, posAll, dst, D);
                }
            }
            if (trace != null) trace.record("vision.resized_position_embeddings", posAll, B, T, D);
        } else {
            if (batch.isPatches()) throw new IllegalArgumentException("this image tower takes pixels, not NaFlex patches");
            int S = config.imageSize(), G = config.grid();
            T = G * G;
            x = ws.get(X, B * T * D);
            // x[b, g] = patch g of image b · Wpatchᵀ + bias
            PatchEmbedding.embed(x, T, 0, batch, S, P, patchWeight, patchBias.data, D, ws, PATCHES, TMP);
            float[] pos = positionEmbedding.data;
            for (int b = 0; b < B; b++) for (int i = 0, base = b * T * D; i < T * D; i++) x[base + i] += pos[i];
        }
        Trace.put(trace, "vision.embeddings", x, B * T * D, B, T, D);
        encoder.forward(x, B, T, D, false, valid, ws, trace, "vision.");
        float[] tmp = ws.get(TMP, B * T * D);
        postLayerNorm.forward(tmp, x, B * T);
        Trace.put(trace, "vision.last_hidden_state", tmp, B * T * D, B, T, D);
        head.forward(out, tmp, B, T, valid, trace, "vision.");
        Trace.put(trace, "vision.pooled", out, B * D, B, D);
    }

    @Override public List<Param> params() {
        List<Param> out = new ArrayList<>(List.of(patchWeight, patchBias, positionEmbedding));
        out.addAll(encoder.params());
        out.addAll(List.of(postLayerNorm.weight, postLayerNorm.bias, head.probe, head.inProjWeight, head.inProjBias,
                head.outProj.weight, head.outProj.bias, head.layerNorm.weight, head.layerNorm.bias,
                head.fc1.weight, head.fc1.bias, head.fc2.weight, head.fc2.bias));
        return out;
    }
}
