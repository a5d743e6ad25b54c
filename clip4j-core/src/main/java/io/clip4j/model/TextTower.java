package io.clip4j.model;

import io.clip4j.Clip4jException;
import io.clip4j.nn.LayerNorm;
import io.clip4j.nn.Linear;
import io.clip4j.nn.Param;
import io.clip4j.nn.ParamSource;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIP's text tower. For ids[B,L]: x[B,T,C] = token_embedding[ids] + position_embedding[0..T); causal blocks;
 * final LayerNorm at each item's pooling position (end of text); · Wprojᵀ → [B,E].
 *
 * <p>Early stop, per item: with the causal mask, position t sees only positions ≤ t, so an item's pooled state is
 * exact when the tower runs only its first (pooling position + 1) tokens. The kept tokens of all items are packed
 * one after another without padding ({@link Encoder#forwardPacked}), so a batch costs the sum of its caption
 * lengths rather than batch × 77 (or batch × its longest caption): a 12-token caption costs about 14/77 of a full
 * pass, whatever else is in its batch. Only the pooled row is read, so the last block runs for it alone
 * ({@link Encoder#forwardPooled}). (With a trace, all L positions of every item run, through every block.)
 */
public final class TextTower implements TextEncoder {
    public final TextConfig config;
    public final Param tokenEmbedding, positionEmbedding;
    public final Encoder encoder;
    public final LayerNorm lnFinal;
    public final Linear projection;

    public TextTower(ParamSource src, TextConfig c, int projectionDim) {
        this.config = c;
        int C = c.tower().hiddenSize();
        tokenEmbedding = src.matrix("text_model.embeddings.token_embedding.weight", c.vocabSize(), C);
        positionEmbedding = src.param("text_model.embeddings.position_embedding.weight", c.maxPositions(), C);
        encoder = new Encoder(src, "text_model.encoder", c.tower());
        lnFinal = new LayerNorm(src.param("text_model.final_layer_norm.weight", C), src.param("text_model.final_layer_norm.bias", C), c.tower().layerNormEps());
        projection = new Linear(src.matrix("text_projection.weight", projectionDim, C), null);
    }

    /** The pooling position of one row of ids: argmax (first largest id) for legacy configs, else the first eos. */
    @Override public int poolIndex(int[] ids, int offset, int L) {
        int best = 0;
        if (config.poolAtArgmax()) {
            for (int t = 1; t < L; t++) if (ids[offset + t] > ids[offset + best]) best = t;
            return best;
        }
        for (int t = 0; t < L; t++) if (ids[offset + t] == config.eosId()) return t;
        return L - 1;
    }

    private static final int X = 0, TMP = 1, POOLED = 2;

    /** out[B,E] = projected text features (unnormalised) for ids[B,L] (L ≤ max positions). */
    @Override public void forward(float[] out, int[] ids, int B, int L, Workspace ws, Trace trace) {
        int C = config.tower().hiddenSize(), V = config.vocabSize();
        if (L > config.maxPositions()) throw new Clip4jException("token sequence of length " + L + " exceeds the model's " + config.maxPositions() + " positions");
        // item b keeps its first pool[b] + 1 tokens; the items are packed one after another: rows [offsets[b], offsets[b+1])
        int[] pool = new int[B], offsets = new int[B + 1];
        for (int b = 0; b < B; b++) {
            pool[b] = poolIndex(ids, b * L, L);
            offsets[b + 1] = offsets[b] + (trace != null ? L : pool[b] + 1);
        }
        int N = offsets[B];
        float[] x = ws.get(X, N * C), tmp = ws.get(TMP, N * C);
        float[] pos = positionEmbedding.data;
        for (int b = 0; b < B; b++)
            for (int t = 0, r = offsets[b]; r < offsets[b + 1]; t++, r++) {
                int id = ids[b * L + t];
                if (id < 0 || id >= V) throw new Clip4jException("token id " + id + " is outside the vocabulary of " + V);
                tokenEmbedding.readRow(id, x, r * C);
            }
        Trace.put(trace, "text.token_embeds", x, N * C, B, L, C);
        for (int b = 0; b < B; b++) for (int i = 0, base = offsets[b] * C, n = (offsets[b + 1] - offsets[b]) * C; i < n; i++) x[base + i] += pos[i];
        Trace.put(trace, "text.embeddings", x, N * C, B, L, C);
        // the pooled state of item b is its last kept row; LayerNorm is per row, so normalising only those rows gives
        // the same values
        float[] pooledIn = ws.get(POOLED, 2 * B * C);
        int[] poolRow = new int[B];
        for (int b = 0; b < B; b++) poolRow[b] = offsets[b] + pool[b];
        if (trace != null) {
            encoder.forward(x, B, L, C, true, ws, trace, "text.");
            lnFinal.forward(tmp, x, N);
            Trace.put(trace, "text.ln_final", tmp, N * C, B, L, C);
            for (int b = 0; b < B; b++) System.arraycopy(x, poolRow[b] * C, pooledIn, b * C, C);
        } else {
            encoder.forwardPooled(pooledIn, x, B, 0, C, offsets, true, null, poolRow, ws);   // last block: pooled rows only
        }
        lnFinal.forward(tmp, pooledIn, B);
        Trace.put(trace, "text.pooled", tmp, B * C, B, C);
        projection.forward(out, tmp, B);
        Trace.put(trace, "text.proj", out, B * projection.out, B, projection.out);
    }

    @Override public List<Param> params() {
        List<Param> out = new ArrayList<>(List.of(tokenEmbedding, positionEmbedding));
        out.addAll(encoder.params());
        out.addAll(List.of(lnFinal.weight, lnFinal.bias, projection.weight));
        return out;
    }
}
