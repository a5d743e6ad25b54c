package io.clip4j.train;

import io.clip4j.Clip4jException;
import io.clip4j.kernel.Backward;
import io.clip4j.kernel.Ops;
import io.clip4j.model.Encoder;
import io.clip4j.model.SiglipTextTower;
import io.clip4j.model.TextConfig;
import io.clip4j.model.TextEncoder;
import io.clip4j.model.TextTower;
import io.clip4j.nn.LayerNorm;
import io.clip4j.nn.Linear;
import io.clip4j.nn.Param;

import java.util.Arrays;

/**
 * A text tower with saved activations, over the tower's own parameters (same float[] objects). For ids[B,L]:
 * <pre>
 *   pool[b] = tower.poolIndex(ids[b])               CLIP: argmax for the legacy configs, else the first eos;
 *                                                   SigLIP: L−1, the last position whatever token it holds
 *   T       = CLIP (causal):  max_b pool[b] + 1     (later positions cannot reach a pooled row, so running only T
 *                                                   positions is exact, and their gradient is 0)
 *             SigLIP (no mask): L                   (every position, padding included, reaches the pooled row)
 *   x0[b,t] = tok[ids[b,t]] + pos[t]                [B,T,C] → encoder stack → x[B,T,C]
 *   c       = ln_final(x[b, pool[b], :])            [B,C]
 *   feat    = c · Wᵀ (+ bias)                       [B,E]    CLIP: text_projection (no bias); SigLIP: head (bias)
 * </pre>
 */
final class TextGraph {
    final TextEncoder tower;
    final TextConfig config;
    final Param tokenEmbedding, positionEmbedding;
    final LayerNorm lnFinal;
    final Linear projection;
    final boolean causal;
    final EncoderGraph encoder;
    final int C, E, V;

    int B, L, T;
    int[] ids = new int[0], pool = new int[0];
    float[] pooled = new float[0], lnOut = new float[0], lnMean = new float[0], lnRstd = new float[0], features = new float[0];
    private float[] dx = new float[0], dln = new float[0], dpooled = new float[0];

    /** CLIP's text tower: causal, pooled at the end-of-text token, projection without bias. */
    TextGraph(TextTower t) {
        this(t, t.config, t.tokenEmbedding, t.positionEmbedding, t.encoder, t.lnFinal, t.projection, true);
    }

    /** SigLIP's text tower: no mask, pooled at the last position, head with bias. */
    TextGraph(SiglipTextTower t) {
        this(t, t.config, t.tokenEmbedding, t.positionEmbedding, t.encoder, t.lnFinal, t.head, false);
    }

    private TextGraph(TextEncoder tower, TextConfig c, Param tok, Param pos, Encoder enc, LayerNorm lnFinal, Linear projection, boolean causal) {
        this.tower = tower;
        this.config = c;
        this.tokenEmbedding = tok;
        this.positionEmbedding = pos;
        this.lnFinal = lnFinal;
        this.projection = projection;
        this.causal = causal;
        C = c.tower().hiddenSize(); E = projection.out; V = c.vocabSize();
        encoder = new EncoderGraph(enc, C, c.tower().intermediateSize(), c.tower().numHeads(), causal, c.tower().activation());
    }

    /** Text features [B,E] (unnormalised) for ids[B·L] (rows of length L ≤ max positions), saving what backward needs. */
    float[] forward(int[] ids, int B, int L) {
        if (L > config.maxPositions()) throw new Clip4jException("token sequence of length " + L + " exceeds the model's " + config.maxPositions() + " positions");
        if (ids.length < B * L) throw new IllegalArgumentException("ids hold " + ids.length + " values, " + B + " rows of " + L + " need " + B * L);
        this.B = B;
        this.L = L;
        this.ids = Arrays.copyOf(ids, B * L);
        pool = new int[B];
        int T = 1;
        for (int b = 0; b < B; b++) {
            pool[b] = tower.poolIndex(ids, b * L, L);
            T = Math.max(T, pool[b] + 1);
        }
        if (!causal) T = L;
        this.T = T;
        float[] x0 = encoder.begin(B, T);
        encoder.poolAt(pool);                           // only the pooled rows are read: the last block runs for them alone
        float[] tok = tokenEmbedding.data, pos = positionEmbedding.data;
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) {
            int id = ids[b * L + t];
            if (id < 0 || id >= V) throw new Clip4jException("token id " + id + " is outside the vocabulary of " + V);
            int o = (b * T + t) * C;
            for (int c = 0; c < C; c++) x0[o + c] = tok[id * C + c] + pos[t * C + c];
        }
        encoder.forward();
        pooled = EncoderGraph.grow(pooled, B * C); lnOut = EncoderGraph.grow(lnOut, B * C);
        lnMean = EncoderGraph.grow(lnMean, B); lnRstd = EncoderGraph.grow(lnRstd, B); features = EncoderGraph.grow(features, B * E);
        Backward.poolRows(pooled, encoder.output(), pool, B, T, C);
        Backward.layerNormForward(lnOut, lnMean, lnRstd, pooled, lnFinal.weight.data, lnFinal.bias.data, B, C, lnFinal.eps);
        Ops.matmul(features, lnOut, projection.weight.data, projection.bias == null ? null : projection.bias.data, B, C, E);
        return Arrays.copyOf(features, B * E);
    }

    /** Accumulates d loss / d parameter into grads, given dfeat[B,E] = d loss / d features of the last forward. */
    void backward(float[] dfeat, Gradients grads) {
        int N = B * T;
        dln = VisionGraph.zeroed(dln, B * C);
        Backward.matmulBackward(dln, grads.of(projection.weight), projection.bias == null ? null : grads.of(projection.bias),
                dfeat, lnOut, projection.weight.data, B, C, E);
        dpooled = VisionGraph.zeroed(dpooled, B * C);
        Backward.layerNormBackward(dpooled, grads.of(lnFinal.weight), grads.of(lnFinal.bias), dln, pooled,
                lnFinal.weight.data, lnMean, lnRstd, B, C);
        dx = VisionGraph.zeroed(dx, N * C);
        Backward.poolRowsBackward(dx, dpooled, pool, B, T, C);
        encoder.backward(dx, grads);
        Backward.embeddingBackward(grads.of(tokenEmbedding), grads.of(positionEmbedding), dx, ids, B, L, T, C);
    }

    /** Floats held by the saved activations (buffer capacities). */
    long savedFloats() {
        return encoder.savedFloats() + pooled.length + lnOut.length + lnMean.length + lnRstd.length + features.length;
    }

    /** Floats saved per caption by {@link #forward} when T positions run (T = 77 at worst for CLIP), for projection E. */
    static long savedFloatsPerItem(TextConfig tc, int E, int T) {
        var t = tc.tower();
        int C = t.hiddenSize();
        return EncoderGraph.savedFloatsPerItem(t.numLayers(), C, t.intermediateSize(), t.numHeads(), T) + 2L * C + 2 + E;
    }
}
