package io.clip4j.train;

import io.clip4j.kernel.Backward;
import io.clip4j.kernel.Ops;
import io.clip4j.kernel.PaddedAttention;
import io.clip4j.model.Activation;
import io.clip4j.model.Encoder;
import io.clip4j.nn.Block;

import java.util.Arrays;

/**
 * The pre-LN transformer stack of one tower with everything its backward needs saved. Per block l, over x[B,T,C]
 * (N = B·T rows):
 * <pre>
 *   h1   = ln1(x)                       saved: h1[N,C], mean1/rstd1[N]
 *   qkv  = h1 · Wqkvᵀ + bqkv            saved: qkv[N,3C]
 *   a    = attention(qkv)               saved: probs[B,H,T,T], a[N,C]
 *   m    = x + a · Woᵀ + bo             saved: m[N,C]  (the residual after attention)
 *   h2   = ln2(m)                       saved: h2[N,C], mean2/rstd2[N]
 *   f    = h2 · W1ᵀ + b1                saved: f[N,I]  (pre-activation)
 *   g    = act(f)                       saved: g[N,I]
 *   x'   = m + g · W2ᵀ + b2             = the next block's x (res[l+1])
 * </pre>
 * With a key-padding mask (validKeys, NaFlex) the attention is {@link PaddedAttention}'s: padded keys are invisible,
 * padded query rows are computed but receive no gradient (nothing reads them), so their rows of every d-buffer stay 0.
 * Residual states res[0..layers] are kept (res[0] is the tower's input to the stack, written by the caller).
 * Buffers grow to the largest batch seen and are reused; only the first N rows are meaningful.
 *
 * <p>Pooled mode ({@link #poolAt}): when the tower reads the stack's output at one row per item only (CLIP's class
 * token and end of text, SigLIP's last text position), the last block runs for those rows alone. Every row still
 * gets ln1 and the qkv projection (its key and value are needed); then, over the B pooled rows only:
 * <pre>
 *   a    = pooled attention(qkv)         saved: probs[B,H,T] (the pooled query's weights), a[B,C]
 *   m, h2, f, g, x'                      as above, [B,·] instead of [N,·]; x' is written to the pooled rows of res[L]
 * </pre>
 * The other rows' outputs are never read, so their gradient is exactly zero: the backward of the full block would
 * add nothing for them. This one skips that work (about three quarters of the last block, both ways) and gives the
 * same gradients to rounding.
 */
final class EncoderGraph {
    final Encoder encoder;
    final int layers, C, I, H;
    final boolean causal;
    final Activation activation;

    int B, T;
    /** Real tokens per item (keys past them are masked, NaFlex padding), or null: every key visible. */
    int[] validKeys;
    /** Pooled mode: item b's output row (b·T + its pooled index) and the keys that row sees; null: every row runs. */
    private int[] poolRow, keyStart, keyCount;
    /** Pooled mode: d loss / d m of the last block's pooled rows [B,C]. */
    private float[] dpool = new float[0];
    float[][] res, h1, mean1, rstd1, qkv, probs, att, mid, h2, mean2, rstd2, f, g;
    // backward scratch, reused by every block
    private float[] dh, dqkv, datt, dg, df;

    EncoderGraph(Encoder encoder, int C, int I, int H, boolean causal, Activation activation) {
        this.encoder = encoder;
        this.layers = encoder.blocks.length;
        this.C = C;
        this.I = I;
        this.H = H;
        this.causal = causal;
        this.activation = activation;
        res = new float[layers + 1][0];
        h1 = new float[layers][0]; mean1 = new float[layers][0]; rstd1 = new float[layers][0];
        qkv = new float[layers][0]; probs = new float[layers][0]; att = new float[layers][0];
        mid = new float[layers][0]; h2 = new float[layers][0]; mean2 = new float[layers][0]; rstd2 = new float[layers][0];
        f = new float[layers][0]; g = new float[layers][0];
        dh = dqkv = datt = dg = df = new float[0];
    }

    /** Sizes the buffers for x[B,T,C]; returns res[0], where the caller writes the stack's input. */
    float[] begin(int B, int T) { return begin(B, T, null); }

    /**
     * As {@link #begin(int, int)}, for items of validKeys[b] real tokens followed by padding: keys at index ≥
     * validKeys[b] are masked in every block ({@link PaddedAttention}); null = no mask.
     */
    float[] begin(int B, int T, int[] validKeys) {
        this.validKeys = validKeys == null ? null : validKeys.clone();
        this.poolRow = null;
        this.B = B;
        this.T = T;
        int N = B * T;
        for (int l = 0; l <= layers; l++) res[l] = grow(res[l], N * C);
        for (int l = 0; l < layers; l++) {
            h1[l] = grow(h1[l], N * C); mean1[l] = grow(mean1[l], N); rstd1[l] = grow(rstd1[l], N);
            qkv[l] = grow(qkv[l], N * 3 * C); probs[l] = grow(probs[l], B * H * T * T); att[l] = grow(att[l], N * C);
            mid[l] = grow(mid[l], N * C); h2[l] = grow(h2[l], N * C); mean2[l] = grow(mean2[l], N); rstd2[l] = grow(rstd2[l], N);
            f[l] = grow(f[l], N * I); g[l] = grow(g[l], N * I);
        }
        dh = grow(dh, N * C); dqkv = grow(dqkv, N * 3 * C); datt = grow(datt, N * C); dg = grow(dg, N * I); df = grow(df, N * I);
        return res[0];
    }

    /**
     * Pooled mode for the next {@link #forward} (call after {@link #begin}): the caller reads the output only at row
     * index[b] of each item b, and its d loss / d output is zero at every other row. The last block then runs for
     * those rows only. index[b] must be a real token (below validKeys[b], if any).
     */
    void poolAt(int[] index) {
        if (layers == 0) return;
        poolRow = new int[B];
        for (int b = 0; b < B; b++) {
            int t = index[b], valid = validKeys == null ? T : Math.max(0, Math.min(T, validKeys[b]));
            if (t < 0 || t >= valid) throw new IllegalArgumentException("pooled index " + t + " of item " + b + " is outside its " + valid + " tokens");
            poolRow[b] = b * T + t;
        }
        int[][] keys = Encoder.pooledKeys(B, T, null, causal, validKeys, poolRow);
        keyStart = keys[0];
        keyCount = keys[1];
        dpool = grow(dpool, B * C);
    }

    static float[] grow(float[] a, int n) { return a.length >= n ? a : new float[n]; }

    /** The stack's output x[B,T,C] after {@link #forward} (in pooled mode, only the pooled rows hold it). */
    float[] output() { return res[layers]; }

    /** Runs every block on res[0], saving activations (the last one for the pooled rows only, in pooled mode). */
    void forward() {
        for (int l = 0; l < layers; l++) forwardBlock(l, poolRow != null && l == layers - 1);
    }

    /**
     * Block l. Every row goes through ln1 and the qkv projection; the rest runs over R rows: all N, or (pooled) the B
     * pooled rows, whose a, m, h2, f, g are then [B,·], probs [B,H,T], and whose x' goes to their rows of res[l+1].
     */
    private void forwardBlock(int l, boolean pooled) {
        int N = B * T, R = pooled ? B : N;
        Block bk = encoder.blocks[l];
        float[] x = res[l], m = mid[l], out = res[l + 1];
        Backward.layerNormForward(h1[l], mean1[l], rstd1[l], x, bk.ln1.weight.data, bk.ln1.bias.data, N, C, bk.ln1.eps);
        Ops.matmul(qkv[l], h1[l], bk.qkv.weight.data, bk.qkv.bias.data, N, C, 3 * C);
        if (pooled) Backward.pooledAttentionForward(att[l], probs[l], qkv[l], poolRow, keyStart, keyCount, B, T, C, H);
        else if (validKeys == null) Backward.attentionForward(att[l], probs[l], qkv[l], B, T, C, H, causal);
        else PaddedAttention.forward(att[l], probs[l], qkv[l], B, T, C, H, causal, validKeys);
        Ops.matmul(m, att[l], bk.outProj.weight.data, bk.outProj.bias.data, R, C, C);
        if (pooled) {                                                          // m = x[pooled] + attn_out
            for (int b = 0; b < B; b++)
                for (int c = 0, xo = poolRow[b] * C; c < C; c++) m[b * C + c] += x[xo + c];
        } else {
            Ops.addInPlace(m, x, N * C);                                       // m = x + attn_out
        }
        Backward.layerNormForward(h2[l], mean2[l], rstd2[l], m, bk.ln2.weight.data, bk.ln2.bias.data, R, C, bk.ln2.eps);
        Ops.matmul(f[l], h2[l], bk.fc1.weight.data, bk.fc1.bias.data, R, C, I);
        System.arraycopy(f[l], 0, g[l], 0, R * I);
        activate(activation, g[l], R * I);
        float[] y = pooled ? dh : out;                                         // (dh: scratch until the backward)
        Ops.matmul(y, g[l], bk.fc2.weight.data, bk.fc2.bias.data, R, I, C);
        Ops.addInPlace(y, m, R * C);                                           // x' = m + mlp_out
        if (pooled) for (int b = 0; b < B; b++) System.arraycopy(y, b * C, out, poolRow[b] * C, C);
    }

    /**
     * Backward through every block, last first. On entry dx[N,C] = d loss / d output; on return dx = d loss / d res[0].
     * The residual connections make dx flow through unchanged, so each block only adds its two branches into it.
     * Parameter gradients accumulate into grads.
     */
    void backward(float[] dx, Gradients grads) {
        for (int l = layers - 1; l >= 0; l--) backwardBlock(l, dx, grads, poolRow != null && l == layers - 1);
    }

    /**
     * Adjoint of {@link #forwardBlock}. On entry dx = d loss / d res[l+1] (pooled: read at the pooled rows only); on
     * return dx = d loss / d res[l] on every row: the residual plus, through ln1 and the keys and values, each row's
     * share.
     */
    private void backwardBlock(int l, float[] dx, Gradients grads, boolean pooled) {
        int N = B * T, R = pooled ? B : N;
        Block bk = encoder.blocks[l];
        float[] dm = dx;
        if (pooled) {
            dm = dpool;
            for (int b = 0; b < B; b++) System.arraycopy(dx, poolRow[b] * C, dm, b * C, C);     // d loss / d x'
        }
        // MLP branch: x' = m + fc2(act(fc1(ln2(m))))
        Backward.matmulBackwardSetInput(dg, grads.of(bk.fc2.weight), grads.of(bk.fc2.bias), dm, g[l], bk.fc2.weight.data, R, I, C);
        zero(df, R * I);
        activationBackward(activation, df, f[l], dg, R * I);
        Backward.matmulBackwardSetInput(dh, grads.of(bk.fc1.weight), grads.of(bk.fc1.bias), df, h2[l], bk.fc1.weight.data, R, C, I);
        Backward.layerNormBackward(dm, grads.of(bk.ln2.weight), grads.of(bk.ln2.bias), dh, mid[l], bk.ln2.weight.data,
                mean2[l], rstd2[l], R, C);                                   // dm is now d loss / d m
        // attention branch: m = x + out_proj(attention(qkv(ln1(x))))
        Backward.matmulBackwardSetInput(datt, grads.of(bk.outProj.weight), grads.of(bk.outProj.bias), dm, att[l], bk.outProj.weight.data, R, C, C);
        zero(dqkv, N * 3 * C);
        if (pooled) Backward.pooledAttentionBackward(dqkv, datt, qkv[l], probs[l], poolRow, keyStart, keyCount, B, T, C, H);
        else if (validKeys == null) Backward.attentionBackward(dqkv, datt, qkv[l], probs[l], B, T, C, H, causal);
        else PaddedAttention.backward(dqkv, datt, qkv[l], probs[l], B, T, C, H, causal, validKeys);
        Backward.matmulBackwardSetInput(dh, grads.of(bk.qkv.weight), grads.of(bk.qkv.bias), dqkv, h1[l], bk.qkv.weight.data, N, C, 3 * C);
        if (pooled) {                                                        // the residual: the pooled rows' dm
            zero(dx, N * C);
            for (int b = 0; b < B; b++) System.arraycopy(dm, b * C, dx, poolRow[b] * C, C);
        }
        Backward.layerNormBackward(dx, grads.of(bk.ln1.weight), grads.of(bk.ln1.bias), dh, res[l], bk.ln1.weight.data,
                mean1[l], rstd1[l], N, C);                                   // dx is now d loss / d x
    }

    /** Floats held by the saved activations (buffer capacities; equals the model when the batch never changed size). */
    long savedFloats() {
        long n = 0;
        for (float[][] group : new float[][][]{res, h1, mean1, rstd1, qkv, probs, att, mid, h2, mean2, rstd2, f, g})
            for (float[] a : group) n += a.length;
        return n;
    }

    static void zero(float[] a, int n) { Arrays.fill(a, 0, n, 0f); }

    /** x[n] = act(x[n]) in place. */
    static void activate(Activation act, float[] x, int n) {
        switch (act) {
            case QUICK_GELU -> Ops.quickGelu(x, n);
            case GELU -> Ops.gelu(x, n);
            case GELU_TANH -> Ops.geluTanh(x, n);
        }
    }

    /** dinp[n] += dout · act'(inp), inp the pre-activation. */
    static void activationBackward(Activation act, float[] dinp, float[] inp, float[] dout, int n) {
        switch (act) {
            case QUICK_GELU -> Backward.quickGeluBackward(dinp, inp, dout, n);
            case GELU -> Backward.geluBackward(dinp, inp, dout, n);
            case GELU_TANH -> Backward.geluTanhBackward(dinp, inp, dout, n);
        }
    }

    /** Floats saved per token by {@link #forward} (all layers), with T tokens per item: the memory model of this stack. */
    static long savedFloatsPerItem(int layers, int C, int I, int H, int T) {
        // res (layers+1)·C; per layer: h1, att, mid, h2 (4C) + qkv (3C) + f, g (2I) + 4 LN stats; probs H·T per token
        return (long) T * ((layers + 1L) * C + layers * (7L * C + 2L * I + 4 + (long) H * T));
    }
}
