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
 * SigLIP's text tower: x = token_embedding[ids] + position_embedding[0..L); blocks without a causal mask;
 * final LayerNorm; the hidden state at the LAST position L−1 (whatever token it holds — often padding, which the
 * model was trained with) → head (Linear with bias) → [B,E]. So texts must be padded to the length the model was
 * trained with (the tokenizer's max length), or the embedding changes.
 */
public final class SiglipTextTower implements TextEncoder {
    public final TextConfig config;
    public final Param tokenEmbedding, positionEmbedding;
    public final Encoder encoder;
    public final LayerNorm lnFinal;
    public final Linear head;

    public SiglipTextTower(ParamSource src, TextConfig c, int projectionSize) {
        this.config = c;
        int C = c.tower().hiddenSize();
        tokenEmbedding = src.matrix("text_model.embeddings.token_embedding.weight", c.vocabSize(), C);
        positionEmbedding = src.param("text_model.embeddings.position_embedding.weight", c.maxPositions(), C);
        encoder = new Encoder(src, "text_model.encoder", c.tower());
        lnFinal = new LayerNorm(src.param("text_model.final_layer_norm.weight", C), src.param("text_model.final_layer_norm.bias", C), c.tower().layerNormEps());
        head = new Linear(src.matrix("text_model.head.weight", projectionSize, C), src.param("text_model.head.bias", projectionSize));
    }

    @Override public int poolIndex(int[] ids, int offset, int L) { return L - 1; }

    private static final int X = 0, TMP = 1, POOLED = 2;

    @Override public void forward(float[] out, int[] ids, int B, int L, Workspace ws, Trace trace) {
        int C = config.tower().hiddenSize(), V = config.vocabSize();
        if (L > config.maxPositions()) throw new Clip4jException("token sequence of length " + L + " exceeds the model's " + config.maxPositions() + " positions");
        float[] x = ws.get(X, B * L * C), tmp = ws.get(TMP, B * L * C);
        float[] pos = positionEmbedding.data;
        for (int b = 0; b < B; b++) for (int t = 0; t < L; t++) {
            int id = ids[b * L + t];
            if (id < 0 || id >= V) throw new Clip4jException("token id " + id + " is outside the vocabulary of " + V);
            int dst = (b * L + t) * C;
            tokenEmbedding.readRow(id, x, dst);
            for (int c = 0; c < C; c++) x[dst + c] += pos[t * C + c];
        }
        Trace.put(trace, "text.embeddings", x, B * L * C, B, L, C);
        float[] last = ws.get(POOLED, 2 * B * C);
        if (trace != null) {
            encoder.forward(x, B, L, C, false, ws, trace, "text.");
            lnFinal.forward(tmp, x, B * L);
            Trace.put(trace, "text.last_hidden_state", tmp, B * L * C, B, L, C);
            for (int b = 0; b < B; b++) System.arraycopy(x, (b * L + L - 1) * C, last, b * C, C);
        } else {
            // only position L−1 is read: the last block runs for it alone
            int[] lastRows = new int[B];
            for (int b = 0; b < B; b++) lastRows[b] = b * L + L - 1;
            encoder.forwardPooled(last, x, B, L, C, null, false, null, lastRows, ws);
        }
        lnFinal.forward(tmp, last, B);
        head.forward(out, tmp, B);
    }

    @Override public List<Param> params() {
        List<Param> out = new ArrayList<>(List.of(tokenEmbedding, positionEmbedding));
        out.addAll(encoder.params());
        out.addAll(List.of(lnFinal.weight, lnFinal.bias, head.weight, head.bias));
        return out;
    }
}
