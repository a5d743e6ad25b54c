package io.clip4j.train;

import io.clip4j.Clip4jException;
import io.clip4j.kernel.Backward;
import io.clip4j.kernel.Ops;
import io.clip4j.model.SiglipVisionTower;

/**
 * SigLIP's image tower (fixed resolution) with saved activations, over a {@link SiglipVisionTower}'s parameters
 * (same float[] objects). For pixels[B,3,S,S], G = S/P, K = 3·P·P, T = G² tokens (no class token, no pre-LayerNorm):
 * <pre>
 *   patches = patchify(pixels)                          [B·T, K]
 *   e       = patches · Wpatchᵀ + bpatch + pos          [B,T,C]     (the stride-P conv with bias; pos[T,C] per item)
 *   x       = encoder stack, no mask (e)                [B,T,C]
 *   h       = post_layernorm(x)                         [B·T, C]    every token; saved: h, mean/rstd[B·T]
 *   feat    = MAP head(h)                               [B,C]       ({@link MapHeadGraph}; E = C)
 * </pre>
 */
final class SiglipVisionGraph implements ImageGraph {
    final SiglipVisionTower tower;
    final EncoderGraph encoder;
    final MapHeadGraph head;
    final int S, P, G, K, C, T;

    int B;
    float[] patches = new float[0], post = new float[0], postMean = new float[0], postRstd = new float[0];
    private float[] dx = new float[0], dpost = new float[0];

    SiglipVisionGraph(SiglipVisionTower tower) {
        if (tower.naflex) throw new Clip4jException("the SigLIP training graph takes fixed-resolution image towers, not NaFlex ones");
        this.tower = tower;
        var c = tower.config;
        S = c.imageSize(); P = c.patchSize(); G = c.grid(); K = 3 * P * P; T = c.numPatches();
        C = c.tower().hiddenSize();
        encoder = new EncoderGraph(tower.encoder, C, c.tower().intermediateSize(), c.tower().numHeads(), false, c.tower().activation());
        head = new MapHeadGraph(tower.head, C, c.tower().intermediateSize());
    }

    @Override public int floatsPerImage() { return 3 * S * S; }

    /** Image features [B,C] (unnormalised), saving what {@link #backward} needs. */
    @Override public float[] forward(float[] pixels, int B) {
        if (pixels.length < (long) B * 3 * S * S) throw new IllegalArgumentException("pixels hold " + pixels.length + " values, " + B + " images need " + (long) B * 3 * S * S);
        this.B = B;
        int N = B * T;
        patches = EncoderGraph.grow(patches, N * K);
        post = EncoderGraph.grow(post, N * C); postMean = EncoderGraph.grow(postMean, N); postRstd = EncoderGraph.grow(postRstd, N);

        Backward.patchify(patches, pixels, B, S, P);
        float[] e = encoder.begin(B, T);
        Ops.matmul(e, patches, tower.patchWeight.data, tower.patchBias.data, N, K, C);
        float[] pos = tower.positionEmbedding.data;
        for (int b = 0; b < B; b++) for (int i = 0, base = b * T * C; i < T * C; i++) e[base + i] += pos[i];
        encoder.forward();
        Backward.layerNormForward(post, postMean, postRstd, encoder.output(), tower.postLayerNorm.weight.data,
                tower.postLayerNorm.bias.data, N, C, tower.postLayerNorm.eps);
        return head.forward(post, B, T, null);
    }

    /** Accumulates d loss / d parameter into grads, given dfeat[B,C] = d loss / d features of the last forward. */
    @Override public void backward(float[] dfeat, Gradients grads) {
        int N = B * T;
        dpost = VisionGraph.zeroed(dpost, N * C);
        head.backward(dfeat, dpost, grads);
        dx = VisionGraph.zeroed(dx, N * C);
        Backward.layerNormBackward(dx, grads.of(tower.postLayerNorm.weight), grads.of(tower.postLayerNorm.bias), dpost,
                encoder.output(), tower.postLayerNorm.weight.data, postMean, postRstd, N, C);
        encoder.backward(dx, grads);                                           // dx is now d loss / d e
        float[] gPos = grads.of(tower.positionEmbedding);
        for (int b = 0; b < B; b++) for (int i = 0, base = b * T * C; i < T * C; i++) gPos[i] += dx[base + i];
        Backward.matmulBackward(null, grads.of(tower.patchWeight), grads.of(tower.patchBias), dx, patches, tower.patchWeight.data, N, K, C);
    }

    /** Floats held by the saved activations (buffer capacities). */
    @Override public long savedFloats() {
        return encoder.savedFloats() + head.savedFloats() + patches.length + post.length + postMean.length + postRstd.length;
    }
}
