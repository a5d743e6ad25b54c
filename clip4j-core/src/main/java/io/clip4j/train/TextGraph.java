package io.clip4j.train;

import io.clip4j.Clip4jException;
import io.clip4j.kernel.Backward;
import io.clip4j.kernel.Ops;
import io.clip4j.model.TextTower;

import java.util.Arrays;

/**
 * The text tower with saved activations, over the same {@link TextTower} parameters. For ids[B,L]:
 * <pre>
 *   pool[b] = TextTower.poolIndex(ids[b])          (argmax for CLIP's legacy configs, else the first eos)
 *   T       = max_b pool[b] + 1                     (causal mask: later positions cannot reach a pooled row,
 *                                                   so running only T positions is exact, and their gradient is 0)
 *   x0[b,t] = tok[ids[b,t]] + pos[t]                [B,T,C] → causal encoder stack → x[B,T,C]
 *   c       = ln_final(x[b, pool[b], :])            [B,C]
 *   feat    = c · Wprojᵀ                            [B,E]
 * </pre>
 */
final class TextGraph {
    final TextTower tower;
    final EncoderGraph encoder;
    final int C, E, V;

    int B, L, T;
    int[] ids = new int[0], pool = new int[0];
    float[] pooled = new float[0], lnOut = new float[0], lnMean = new float[0], lnRstd = new float[0], features = new float[0];
    private float[] dx = new float[0], dln = new float[0], dpooled = new float[0];

    TextGraph(TextTower tower) {
        this.tower = tower;
        var c = tower.config;
        C = c.tower().hiddenSize(); E = tower.projection.out; V = c.vocabSize();
        encoder = new EncoderGraph(tower.encoder, C, c.tower().intermediateSize(), c.tower().numHeads(), true, c.tower().activation());
    }

    /** Text features [B,E] (unnormalised) for ids[B·L] (rows of length L ≤ max positions), saving what backward needs. */
    float[] forward(int[] ids, int B, int L) {
        if (L > tower.config.maxPositions()) throw new Clip4jException("token sequence of length " + L + " exceeds the model's " + tower.config.maxPositions() + " positions");
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
        this.T = T;
        float[] x0 = encoder.begin(B, T);
        float[] tok = tower.tokenEmbedding.data, pos = tower.positionEmbedding.data;
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
        Backward.layerNormForward(lnOut, lnMean, lnRstd, pooled, tower.lnFinal.weight.data, tower.lnFinal.bias.data, B, C, tower.lnFinal.eps);
        Ops.matmul(features, lnOut, tower.projection.weight.data, null, B, C, E);
        return Arrays.copyOf(features, B * E);
    }

    /** Accumulates d loss / d parameter into grads, given dfeat[B,E] = d loss / d features of the last forward. */
    void backward(float[] dfeat, Gradients grads) {
        int N = B * T;
        dln = VisionGraph.zeroed(dln, B * C);
        Backward.matmulBackward(dln, grads.of(tower.projection.weight), null, dfeat, lnOut, tower.projection.weight.data, B, C, E);
        dpooled = VisionGraph.zeroed(dpooled, B * C);
        Backward.layerNormBackward(dpooled, grads.of(tower.lnFinal.weight), grads.of(tower.lnFinal.bias), dln, pooled,
                tower.lnFinal.weight.data, lnMean, lnRstd, B, C);
        dx = VisionGraph.zeroed(dx, N * C);
        Backward.poolRowsBackward(dx, dpooled, pool, B, T, C);
        encoder.backward(dx, grads);
        Backward.embeddingBackward(grads.of(tower.tokenEmbedding), grads.of(tower.positionEmbedding), dx, ids, B, L, T, C);
    }

    /** Floats held by the saved activations (buffer capacities). */
    long savedFloats() {
        return encoder.savedFloats() + pooled.length + lnOut.length + lnMean.length + lnRstd.length + features.length;
    }

    /** Floats saved per caption by {@link #forward} when T positions run (T = 77 at worst for CLIP), for projection E. */
    static long savedFloatsPerItem(io.clip4j.model.TextConfig tc, int E, int T) {
        var t = tc.tower();
        int C = t.hiddenSize();
        return EncoderGraph.savedFloatsPerItem(t.numLayers(), C, t.intermediateSize(), t.numHeads(), T) + 2L * C + 2 + E;
    }
}
