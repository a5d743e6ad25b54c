package io.clip4j.kernel;

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
 * (b, h) pairs and every sum runs in a fixed order (results do not depend on the thread count). Both directions
 * run on the GEMM micro-kernel: the forward is the inference kernel ({@link Attention}, which saves the weights),
 * the backward five small matrix products per (b, h).
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
        // the inference kernel, which already masks keys at validKeys[b] and computes every query row
        Attention.attention(out, probs, qkv, B, T, C, H, causal, validKeys);
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
        int D = C / H;
        float scale = (float) (1.0 / Math.sqrt(D));
        // per (b, h), as matrix products over contiguous copies (the forward GEMM, one thread per head):
        //   dP = dO·Vᵀ [T,T];  dV = Pᵀ·dO;  dZ = P ∘ (dP − rowsum(P ∘ dP)) · D^-½;  dQ = dZ·K;  dK = dZᵀ·Q
        // with the rows t ≥ valid of P and dO zeroed (padded queries feed nothing; masked keys already have P = 0)
        Parallel.forWork(B * H, (long) T * T * D * 8, (lo, hi) -> Parallel.withMaxThreads(1, () -> {
            HeadScratch w = new HeadScratch(T, D);
            for (int bh = lo; bh < hi; bh++) headBackward(dqkv, dout, qkv, probs, T, C, D, bh / H, bh % H, bh, valid(validKeys, bh / H, T), scale, w);
        }));
    }

    /** Per-task buffers of {@link #headBackward}: [T,D] operands and [T,T] weight matrices. */
    private static final class HeadScratch {
        final float[] q, k, v, dO, dQ, dK, dV, p, dP, dZ;

        HeadScratch(int T, int D) {
            q = new float[T * D]; k = new float[T * D]; v = new float[T * D]; dO = new float[T * D];
            dQ = new float[T * D]; dK = new float[T * D]; dV = new float[T * D];
            p = new float[T * T]; dP = new float[T * T]; dZ = new float[T * T];
        }
    }

    private static void headBackward(float[] dqkv, float[] dout, float[] qkv, float[] probs, int T, int C, int D,
                                     int b, int h, int bh, int valid, float scale, HeadScratch w) {
        if (valid == 0) return;
        int C3 = 3 * C;
        for (int t = 0; t < T; t++) {
            int src = (b * T + t) * C3 + h * D;
            System.arraycopy(qkv, src, w.q, t * D, D);
            System.arraycopy(qkv, src + C, w.k, t * D, D);
            System.arraycopy(qkv, src + 2 * C, w.v, t * D, D);
            if (t < valid) {
                System.arraycopy(dout, (b * T + t) * C + h * D, w.dO, t * D, D);
                System.arraycopy(probs, (bh * T + t) * T, w.p, t * T, T);
            } else {
                java.util.Arrays.fill(w.dO, t * D, (t + 1) * D, 0f);
                java.util.Arrays.fill(w.p, t * T, (t + 1) * T, 0f);
            }
        }
        Ops.matmul(w.dP, w.dO, w.v, null, T, D, T);                 // dP[t,s] = dO[t]·v[s]
        Gemm.matmulTransposedA(w.dV, w.p, w.dO, null, T, T, D);      // dV[s] = Σ_t P[t,s]·dO[t]
        for (int t = 0; t < T; t++) {
            int r = t * T;
            float sum = 0f;
            for (int s = 0; s < T; s++) sum += w.p[r + s] * w.dP[r + s];
            for (int s = 0; s < T; s++) w.dZ[r + s] = w.p[r + s] * (w.dP[r + s] - sum) * scale;
        }
        Ops.matmulKMajor(w.dQ, w.dZ, w.k, null, T, T, D);           // dQ[t] = Σ_s dZ[t,s]·k[s]
        Gemm.matmulTransposedA(w.dK, w.dZ, w.q, null, T, T, D);      // dK[s] = Σ_t dZ[t,s]·q[t]
        for (int t = 0; t < T; t++) {
            int dst = (b * T + t) * C3 + h * D;
            for (int d = 0; d < D; d++) {
                dqkv[dst + d] += w.dQ[t * D + d];
                dqkv[dst + C + d] += w.dK[t * D + d];
                dqkv[dst + 2 * C + d] += w.dV[t * D + d];
            }
        }
    }
}
