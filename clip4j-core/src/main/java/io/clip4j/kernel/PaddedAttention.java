package io.clip4j.kernel;

import static io.clip4j.kernel.Backward.axpy;
import static io.clip4j.kernel.Backward.dot;
import static io.clip4j.kernel.Backward.parallelFor;

/**
 * Self-attention with a key-padding mask, the forward that saves its softmax weights and its backward: the training
 * twin of {@link Ops#attention(float[], float[], int, int, int, int, boolean, int[])} for batches whose items hold
 * validKeys[b] real tokens followed by padding (SigLIP 2 NaFlex patches). With validKeys null both are
 * {@link Backward#attentionForward} / {@link Backward#attentionBackward}.
 *
 * <p>Per item b, keys s ≥ validKeys[b] are invisible to every query (on top of the causal mask, if any): they get
 * weight exactly 0 and, in the backward, exactly zero gradient. Padded query rows t ≥ validKeys[b] are still computed
 * by the forward (they are what the model's hidden states hold there) but they feed nothing: every later consumer
 * masks them as keys, so d loss / d out is zero there. The backward therefore skips them, i.e. it is the adjoint of
 * "attention, then drop the padded rows' outputs": whatever dout holds in padded rows, and whatever values padded
 * tokens carry, they contribute nothing to dqkv.
 *
 * <p>Same conventions as {@link Backward}: flat row-major arrays, backward accumulates, threads take disjoint
 * (b, h) pairs and every sum runs in a fixed order (results do not depend on the thread count).
 */
public final class PaddedAttention {
    private PaddedAttention() {}

    private static int valid(int[] validKeys, int b, int T) {
        return validKeys == null ? T : Math.max(0, Math.min(T, validKeys[b]));
    }

    /**
     * out[B,T,C] = concat_h softmax(q·kᵀ·D^-½ + mask)·v for qkv[B,T,3C] = (q | k | v) per token, heads of D = C/H
     * columns, saving probs[B,H,T,T] (row (b,h,t): the weights over keys s; masked entries 0). A query row that sees
     * no key at all (validKeys[b] = 0) gets a zero output and zero weights.
     */
    public static void forward(float[] out, float[] probs, float[] qkv, int B, int T, int C, int H, boolean causal, int[] validKeys) {
        if (validKeys != null && validKeys.length < B) throw new IllegalArgumentException("validKeys shorter than B");
        int D = C / H, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(D));
        parallelFor(B * H, (long) T * T * D * 2, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / H, h = bh % H, valid = valid(validKeys, b, T);
                for (int t = 0; t < T; t++) {
                    int q = (b * T + t) * C3 + h * D, p = (bh * T + t) * T, o = (b * T + t) * C + h * D;
                    int last = Math.min(causal ? t : T - 1, valid - 1);
                    for (int d = 0; d < D; d++) out[o + d] = 0f;
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= last; s++) {
                        float dot = dot(qkv, q, qkv, (b * T + s) * C3 + C + h * D, D) * scale;
                        probs[p + s] = dot;
                        if (dot > max) max = dot;
                    }
                    float sum = 0f;
                    for (int s = 0; s <= last; s++) { float e = (float) Math.exp(probs[p + s] - max); probs[p + s] = e; sum += e; }
                    float inv = last < 0 ? 0f : 1f / sum;
                    for (int s = 0; s <= last; s++) probs[p + s] *= inv;
                    for (int s = Math.max(last + 1, 0); s < T; s++) probs[p + s] = 0f;
                    for (int s = 0; s <= last; s++) axpy(probs[p + s], qkv, (b * T + s) * C3 + 2 * C + h * D, out, o, D);
                }
            }
        });
    }

    /**
     * Adjoint of {@link #forward} restricted to the real query rows, per (b, h) with P = probs, z = D^-½·q·kᵀ:
     * <pre>
     *   for t &lt; validKeys[b], s ≤ last(t) (last = min(causal ? t : T−1, validKeys[b]−1)):
     *   dv[s]   += P[t,s] · dout[t]
     *   dz[t,s]  = P[t,s] · (dout[t]·v[s] − Σ_u P[t,u]·dout[t]·v[u])
     *   dq[t]   += D^-½ · Σ_s dz[t,s] · k[s]
     *   dk[s]   += D^-½ · Σ_t dz[t,s] · q[t]
     * </pre>
     * into dqkv[B,T,3C]. Rows t ≥ validKeys[b] of dqkv receive nothing (neither as queries nor as keys / values).
     */
    public static void backward(float[] dqkv, float[] dout, float[] qkv, float[] probs, int B, int T, int C, int H,
                                boolean causal, int[] validKeys) {
        if (validKeys != null && validKeys.length < B) throw new IllegalArgumentException("validKeys shorter than B");
        int D = C / H, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(D));
        parallelFor(B * H, (long) T * T * D * 4, (lo, hi) -> {
            float[] dz = new float[T];
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / H, h = bh % H, valid = valid(validKeys, b, T);
                for (int t = 0; t < valid; t++) {
                    int p = (bh * T + t) * T, o = (b * T + t) * C + h * D, q = (b * T + t) * C3 + h * D;
                    int last = Math.min(causal ? t : T - 1, valid - 1);
                    float sum = 0f;
                    for (int s = 0; s <= last; s++) {
                        int v = (b * T + s) * C3 + 2 * C + h * D;
                        float dp = dot(dout, o, qkv, v, D);
                        axpy(probs[p + s], dout, o, dqkv, v, D);       // dv[s] += P[t,s]·dout[t]
                        dz[s] = dp;
                        sum += probs[p + s] * dp;
                    }
                    for (int s = 0; s <= last; s++) {
                        float g = probs[p + s] * (dz[s] - sum) * scale;
                        int k = (b * T + s) * C3 + C + h * D;
                        axpy(g, qkv, k, dqkv, q, D);                    // dq[t] += g·k[s]
                        axpy(g, qkv, q, dqkv, k, D);                    // dk[s] += g·q[t]
                    }
                }
            }
        });
    }
}
