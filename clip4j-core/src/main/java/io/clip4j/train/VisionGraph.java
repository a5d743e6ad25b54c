package io.clip4j.train;

import io.clip4j.kernel.Backward;
import io.clip4j.kernel.Ops;
import io.clip4j.model.VisionTower;

import java.util.Arrays;

/**
 * The image tower with saved activations, over the same {@link VisionTower} parameters (same float[] objects).
 * For pixels[B,3,S,S], G = S/P, K = 3·P·P, T = G² + 1:
 * <pre>
 *   patches = patchify(pixels)                  [B·G², K]
 *   p       = patches · Wpatchᵀ                  [B·G², C]      (the stride-P conv)
 *   e[b,0]  = class + pos[0];  e[b,1+g] = p[b,g] + pos[1+g]     [B,T,C]
 *   x0      = ln_pre(e)                          → encoder stack (no mask) → x[B,T,C]
 *   c       = ln_post(x[:,0,:])                  [B,C]          (class token)
 *   feat    = c · Wprojᵀ                         [B,E]
 * </pre>
 */
final class VisionGraph implements ImageGraph {
    final VisionTower tower;
    final EncoderGraph encoder;
    final int S, P, G, K, C, E, T;

    int B;
    float[] patches = new float[0], patchOut = new float[0], emb = new float[0], preMean = new float[0], preRstd = new float[0];
    float[] pooled = new float[0], postOut = new float[0], postMean = new float[0], postRstd = new float[0], features = new float[0];
    private float[] dx = new float[0], demb = new float[0], dpatch = new float[0], dpost = new float[0], dpooled = new float[0];
    private int[] poolIdx = new int[0];

    VisionGraph(VisionTower tower) {
        this.tower = tower;
        var c = tower.config;
        S = c.imageSize(); P = c.patchSize(); G = c.grid(); K = 3 * P * P; T = c.numPositions();
        C = c.tower().hiddenSize(); E = tower.projection.out;
        encoder = new EncoderGraph(tower.encoder, C, c.tower().intermediateSize(), c.tower().numHeads(), false, c.tower().activation());
    }

    @Override public int floatsPerImage() { return 3 * S * S; }

    /** Image features [B,E] (unnormalised), saving what {@link #backward} needs. */
    @Override public float[] forward(float[] pixels, int B) {
        if (pixels.length < (long) B * 3 * S * S) throw new IllegalArgumentException("pixels hold " + pixels.length + " values, " + B + " images need " + (long) B * 3 * S * S);
        this.B = B;
        int NP = B * G * G, N = B * T;
        patches = EncoderGraph.grow(patches, NP * K); patchOut = EncoderGraph.grow(patchOut, NP * C);
        emb = EncoderGraph.grow(emb, N * C); preMean = EncoderGraph.grow(preMean, N); preRstd = EncoderGraph.grow(preRstd, N);
        pooled = EncoderGraph.grow(pooled, B * C); postOut = EncoderGraph.grow(postOut, B * C);
        postMean = EncoderGraph.grow(postMean, B); postRstd = EncoderGraph.grow(postRstd, B); features = EncoderGraph.grow(features, B * E);
        if (poolIdx.length < B) poolIdx = new int[B];   // all 0: the class token

        Backward.patchify(patches, pixels, B, S, P);
        Ops.matmul(patchOut, patches, tower.patchWeight.data, null, NP, K, C);
        float[] cls = tower.classEmbedding.data, pos = tower.positionEmbedding.data;
        for (int b = 0; b < B; b++) {
            int base = b * T * C;
            for (int c = 0; c < C; c++) emb[base + c] = cls[c] + pos[c];
            for (int i = C, pi = b * G * G * C; i < T * C; i++, pi++) emb[base + i] = patchOut[pi] + pos[i];
        }
        float[] x0 = encoder.begin(B, T);
        encoder.poolAt(poolIdx);                        // only the class token is read: the last block runs for it alone
        Backward.layerNormForward(x0, preMean, preRstd, emb, tower.lnPre.weight.data, tower.lnPre.bias.data, N, C, tower.lnPre.eps);
        encoder.forward();
        Backward.poolRows(pooled, encoder.output(), poolIdx, B, T, C);
        Backward.layerNormForward(postOut, postMean, postRstd, pooled, tower.lnPost.weight.data, tower.lnPost.bias.data, B, C, tower.lnPost.eps);
        Ops.matmul(features, postOut, tower.projection.weight.data, null, B, C, E);
        return Arrays.copyOf(features, B * E);
    }

    /** Accumulates d loss / d parameter into grads, given dfeat[B,E] = d loss / d features of the last forward. */
    @Override public void backward(float[] dfeat, Gradients grads) {
        int NP = B * G * G, N = B * T;
        dpost = zeroed(dpost, B * C);
        Backward.matmulBackward(dpost, grads.of(tower.projection.weight), null, dfeat, postOut, tower.projection.weight.data, B, C, E);
        dpooled = zeroed(dpooled, B * C);
        Backward.layerNormBackward(dpooled, grads.of(tower.lnPost.weight), grads.of(tower.lnPost.bias), dpost, pooled,
                tower.lnPost.weight.data, postMean, postRstd, B, C);
        dx = zeroed(dx, N * C);
        Backward.poolRowsBackward(dx, dpooled, poolIdx, B, T, C);
        encoder.backward(dx, grads);
        demb = zeroed(demb, N * C);
        Backward.layerNormBackward(demb, grads.of(tower.lnPre.weight), grads.of(tower.lnPre.bias), dx, emb,
                tower.lnPre.weight.data, preMean, preRstd, N, C);
        // e[b,0] = class + pos[0]; e[b,1+g] = p[b,g] + pos[1+g]
        float[] gCls = grads.of(tower.classEmbedding), gPos = grads.of(tower.positionEmbedding);
        dpatch = EncoderGraph.grow(dpatch, NP * C);
        for (int b = 0; b < B; b++) {
            int base = b * T * C;
            for (int c = 0; c < C; c++) gCls[c] += demb[base + c];
            for (int i = 0; i < T * C; i++) gPos[i] += demb[base + i];
            System.arraycopy(demb, base + C, dpatch, b * G * G * C, G * G * C);
        }
        Backward.matmulBackward(null, grads.of(tower.patchWeight), null, dpatch, patches, tower.patchWeight.data, NP, K, C);
    }

    /** Floats held by the saved activations (buffer capacities). */
    @Override public long savedFloats() {
        return encoder.savedFloats() + patches.length + patchOut.length + emb.length + preMean.length + preRstd.length
                + pooled.length + postOut.length + postMean.length + postRstd.length + features.length;
    }

    static float[] zeroed(float[] a, int n) {
        float[] r = EncoderGraph.grow(a, n);
        Arrays.fill(r, 0, n, 0f);
        return r;
    }

    /** Floats saved per image by {@link #forward} (the activation memory per batch item) for a vision config and projection E. */
    static long savedFloatsPerItem(io.clip4j.model.VisionConfig v, int E) {
        var t = v.tower();
        int G = v.grid(), K = 3 * v.patchSize() * v.patchSize(), C = t.hiddenSize(), T = v.numPositions();
        return (long) G * G * (K + C) + (long) T * (C + 2)            // patches, patch embeddings, e, ln_pre stats
                + EncoderGraph.savedFloatsPerItem(t.numLayers(), C, t.intermediateSize(), t.numHeads(), T)
                + 2L * C + 2 + E;                                       // pooled, ln_post out + stats, features
    }
}
