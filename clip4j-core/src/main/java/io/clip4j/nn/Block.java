package io.clip4j.nn;

import io.clip4j.kernel.Ops;
import io.clip4j.model.Activation;

/**
 * A pre-LN transformer block over x[B,T,C]:
 * x += out_proj(attention(qkv_proj(ln1(x))));  x += fc2(act(fc1(ln2(x)))).
 * qkv_proj is the fused [3C, C] projection (rows: q, k, v); attention scales q·kᵀ by head_dim^-½.
 */
public final class Block {
    public final LayerNorm ln1, ln2;
    public final Linear qkv, outProj, fc1, fc2;
    public final int heads;
    public final Activation activation;

    public Block(LayerNorm ln1, Linear qkv, Linear outProj, LayerNorm ln2, Linear fc1, Linear fc2, int heads, Activation activation) {
        this.ln1 = ln1;
        this.qkv = qkv;
        this.outProj = outProj;
        this.ln2 = ln2;
        this.fc1 = fc1;
        this.fc2 = fc2;
        this.heads = heads;
        this.activation = activation;
    }

    // workspace slots used by a block (the tower keeps slots 0..3 for itself); the MLP's hidden activations reuse the
    // q, k, v buffer, which is dead by then (this saves N·3C floats: 15 MB for 32 ViT-B/32 images)
    private static final int H = 4, QKV_MLP = 5, ATT = 6;

    /** Updates x[B,T,C] in place. Trace names (when trace != null) are prefix + ln_1, q, k, v, attn_out, … as in the fixtures. */
    public void forward(float[] x, int B, int T, boolean causal, Workspace ws, Trace trace, String prefix) {
        forward(x, B, T, causal, null, ws, trace, prefix);
    }

    /** As above; keys at index ≥ validKeys[b] are masked out for batch item b (null: no padding mask). */
    public void forward(float[] x, int B, int T, boolean causal, int[] validKeys, Workspace ws, Trace trace, String prefix) {
        forward(x, B, T, null, causal, validKeys, ws, trace, prefix);
    }

    /**
     * Updates x[N,C] in place, where x holds B sequences of different lengths packed without padding: sequence b is
     * rows [offsets[b], offsets[b+1]), N = offsets[B], and attends only to its own rows. Every other step of a block
     * is per row, so each sequence gets the values it gets alone, and no work is spent on padding.
     */
    public void forwardPacked(float[] x, int[] offsets, int B, boolean causal, Workspace ws) {
        forward(x, B, 0, offsets, causal, null, ws, null, null);
    }

    /** Padded [B,T,C] when offsets is null, else packed rows [offsets[B],C] (then T is unused). */
    private void forward(float[] x, int B, int T, int[] offsets, boolean causal, int[] validKeys, Workspace ws, Trace trace, String prefix) {
        int C = ln1.weight.numel(), N = offsets != null ? offsets[B] : B * T, I = fc1.out;
        float[] h = ws.get(H, N * C), qkvBuf = ws.get(QKV_MLP, N * Math.max(3 * C, I)), att = ws.get(ATT, N * C), mlp = qkvBuf;
        ln1.forward(h, x, N);
        qkv.forward(qkvBuf, h, N);
        if (offsets != null) Ops.attentionPacked(att, qkvBuf, offsets, B, C, heads, causal);
        else Ops.attention(att, qkvBuf, B, T, C, heads, causal, validKeys);
        if (trace != null) traceAttention(trace, prefix, h, qkvBuf, B, T, C, causal, validKeys);
        if (trace == null) {
            outProj.forwardAdd(x, att, N);                              // x += out_proj(att), in the GEMM's epilogue
        } else {
            outProj.forward(h, att, N);
            Trace.put(trace, prefix + "attn_out", h, N * C, B, T, C);
            Ops.addInPlace(x, h, N * C);
        }
        Trace.put(trace, prefix + "after_attn_residual", x, N * C, B, T, C);
        ln2.forward(h, x, N);
        Trace.put(trace, prefix + "ln_2", h, N * C, B, T, C);
        if (trace == null) {
            // fc1 with the activation fused into the GEMM's epilogue
            fc1.forward(mlp, h, N, activation.kernel());
        } else {
            fc1.forward(mlp, h, N);
            Trace.put(trace, prefix + "mlp_c_fc", mlp, N * I, B, T, I);
            activate(activation, mlp, N * I);
        }
        Trace.put(trace, prefix + "mlp_gelu", mlp, N * I, B, T, I);
        if (trace == null) {
            fc2.forwardAdd(x, mlp, N);                                  // x += fc2(mlp)
        } else {
            fc2.forward(h, mlp, N);
            Trace.put(trace, prefix + "mlp_c_proj", h, N * C, B, T, C);
            Ops.addInPlace(x, h, N * C);
        }
    }

    /**
     * The block for a tower whose output is read at one row per item (CLIP's class token or end of text, SigLIP's last
     * position): pooled[b] (dense, [B,C]) = the block's output at row poolRow[b] of x[N,C]. Every row still goes
     * through ln_1 and the qkv projection, since its key and value are needed, but only the pooled rows' queries
     * attend, over the key rows [keyStart[b], keyStart[b] + keyCount[b]) (the caller applies a causal or padding
     * limit through that range), and only those rows go through out_proj and the MLP: about three quarters of the
     * block's work is skipped. x is read, not updated. Equal to rows poolRow of {@link #forward}, to rounding.
     */
    public void forwardPooled(float[] pooled, float[] x, int N, int B, int[] poolRow, int[] keyStart, int[] keyCount, Workspace ws) {
        int C = ln1.weight.numel(), I = fc1.out;
        if (N < 0 || B < 0 || x.length < (long) N * C || pooled.length < (long) B * C) throw new IllegalArgumentException("x or pooled shorter than the shape");
        if (poolRow.length < B || keyStart.length < B || keyCount.length < B) throw new IllegalArgumentException("row arrays shorter than B");
        for (int b = 0; b < B; b++)
            if (poolRow[b] < 0 || poolRow[b] >= N || keyStart[b] < 0 || keyCount[b] < 0 || (long) keyStart[b] + keyCount[b] > N)
                throw new IllegalArgumentException("item " + b + ": pooled row " + poolRow[b] + " or keys [" + keyStart[b] + ", +" + keyCount[b] + ") outside the " + N + " rows");
        float[] h = ws.get(H, N * C), qkvBuf = ws.get(QKV_MLP, Math.max(N * 3 * C, B * I)), att = ws.get(ATT, B * C), mlp = qkvBuf;
        ln1.forward(h, x, N);
        qkv.forward(qkvBuf, h, N);
        Ops.attentionPooled(att, qkvBuf, poolRow, keyStart, keyCount, B, C, heads);
        for (int b = 0; b < B; b++) System.arraycopy(x, poolRow[b] * C, pooled, b * C, C);
        outProj.forwardAdd(pooled, att, B);                             // pooled += out_proj(att)
        ln2.forward(h, pooled, B);
        fc1.forward(mlp, h, B, activation.kernel());
        fc2.forwardAdd(pooled, mlp, B);                                 // pooled += fc2(mlp)
    }

    /** x[n] = act(x), in place. */
    public static void activate(Activation act, float[] x, int n) {
        Ops.activation(act.kernel(), x, n);
    }

    /** Splits q, k, v and recomputes the softmax weights [B,heads,T,T] for the trace (reference math, slow). */
    private void traceAttention(Trace trace, String prefix, float[] lnOut, float[] qkvBuf, int B, int T, int C, boolean causal, int[] validKeys) {
        int N = B * T, D = C / heads;
        Trace.put(trace, prefix + "ln_1", lnOut, N * C, B, T, C);
        float[][] parts = new float[3][N * C];
        for (int n = 0; n < N; n++) for (int p = 0; p < 3; p++) System.arraycopy(qkvBuf, n * 3 * C + p * C, parts[p], n * C, C);
        trace.record(prefix + "q", parts[0], B, T, C);
        trace.record(prefix + "k", parts[1], B, T, C);
        trace.record(prefix + "v", parts[2], B, T, C);
        float[] probs = new float[B * heads * T * T];
        double scale = 1.0 / Math.sqrt(D);
        for (int b = 0; b < B; b++) for (int hh = 0; hh < heads; hh++) for (int t = 0; t < T; t++) {
            int last = causal ? t : T - 1;
            if (validKeys != null) last = Math.min(last, validKeys[b] - 1);
            double[] s = new double[T];
            double max = Double.NEGATIVE_INFINITY;
            for (int u = 0; u <= last; u++) {
                double dot = 0;
                for (int d = 0; d < D; d++) dot += (double) parts[0][(b * T + t) * C + hh * D + d] * parts[1][(b * T + u) * C + hh * D + d];
                s[u] = dot * scale;
                max = Math.max(max, s[u]);
            }
            double sum = 0;
            for (int u = 0; u <= last; u++) { s[u] = Math.exp(s[u] - max); sum += s[u]; }
            for (int u = 0; u <= last; u++) probs[((b * heads + hh) * T + t) * T + u] = (float) (s[u] / sum);
        }
        trace.record(prefix + "attn_probs", probs, B, heads, T, T);
    }
}
