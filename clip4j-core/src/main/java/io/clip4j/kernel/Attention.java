package io.clip4j.kernel;

import static io.clip4j.kernel.Vec.S;
import static io.clip4j.kernel.Vec.VL;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Multi-head attention, one task per (batch item, head). Per task K is transposed into a per-thread scratch Kᵀ[D, Tp]
 * (Tp = T rounded up to the vector length, zero padded) so the scores of a query row come out a vector of keys at a
 * time (broadcast q[d] × Kᵀ row, four independent accumulators); softmax is vectorised; P·V accumulates the value
 * rows, vectorised over D. Causal rows and key-padding masks only compute the keys they can see.
 */
final class Attention {
    private Attention() {}

    /** Below this many multiply-adds (all heads together) the call stays on the calling thread. */
    static final long PARALLEL_MIN_MACS = 1L << 18;

    private static final class Workspace {
        float[] kt = new float[0];
        float[] scores = new float[0];
    }

    private static final ThreadLocal<Workspace> WS = ThreadLocal.withInitial(Workspace::new);

    static void attention(float[] out, float[] qkv, int B, int T, int C, int H, boolean causal, int[] validKeys) {
        if (H <= 0 || C % H != 0) throw new IllegalArgumentException("C=" + C + " is not divisible by H=" + H);
        if (qkv.length < (long) B * T * 3 * C) throw new IllegalArgumentException("qkv too short");
        if (out.length < (long) B * T * C) throw new IllegalArgumentException("out too short");
        if (validKeys != null && validKeys.length < B) throw new IllegalArgumentException("validKeys shorter than B");
        int D = C / H;
        long macs = 2L * B * H * T * T * D;
        int threads = macs < PARALLEL_MIN_MACS ? 1 : Parallel.parallelism();
        Parallel.forEach(B * H, threads, task -> head(out, qkv, T, C, D, task / H, task % H, causal,
                validKeys == null ? T : Math.max(0, Math.min(T, validKeys[task / H]))));
    }

    private static void head(float[] out, float[] qkv, int T, int C, int D, int b, int h, boolean causal, int valid) {
        Workspace ws = WS.get();
        int Tp = (T + VL - 1) / VL * VL;
        if (ws.kt.length < D * Tp) ws.kt = new float[D * Tp];
        if (ws.scores.length < Tp) ws.scores = new float[Tp];
        float[] kt = ws.kt, sc = ws.scores;
        int C3 = 3 * C;
        int rowBase = b * T * C3;
        float scale = (float) (1.0 / Math.sqrt(D));
        int keys = causal ? Math.min(valid, T) : valid;   // keys any row can see
        // Kᵀ for the visible keys, zero padding up to a whole vector
        int kp = (keys + VL - 1) / VL * VL;
        for (int s = 0; s < keys; s++) {
            int kOff = rowBase + s * C3 + C + h * D;
            for (int d = 0; d < D; d++) kt[d * Tp + s] = qkv[kOff + d];
        }
        for (int d = 0; d < D; d++) for (int s = keys; s < kp; s++) kt[d * Tp + s] = 0f;

        for (int t = 0; t < T; t++) {
            int qOff = rowBase + t * C3 + h * D;
            int oOff = (b * T + t) * C + h * D;
            int L = causal ? Math.min(t + 1, valid) : valid;
            if (L <= 0) {
                java.util.Arrays.fill(out, oOff, oOff + D, 0f);
                continue;
            }
            int Lp = (L + VL - 1) / VL * VL;
            scores(qkv, qOff, kt, Tp, D, Lp, scale, sc);
            // softmax over sc[0, L)
            int tail = L - (Lp - VL);
            VectorMask<Float> lastMask = S.indexInRange(0, tail);
            FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
            for (int s = 0; s < Lp - VL; s += VL) mx = mx.max(FloatVector.fromArray(S, sc, s));
            mx = mx.max(FloatVector.fromArray(S, sc, Lp - VL).blend(Float.NEGATIVE_INFINITY, lastMask.not()));
            float max = mx.reduceLanes(VectorOperators.MAX);
            FloatVector sum = FloatVector.zero(S);
            for (int s = 0; s < Lp; s += VL) {
                FloatVector e = FloatVector.fromArray(S, sc, s).sub(max).lanewise(VectorOperators.EXP);
                if (s == Lp - VL) e = e.blend(0f, lastMask.not());
                sum = sum.add(e);
                e.intoArray(sc, s);
            }
            float inv = 1f / sum.reduceLanes(VectorOperators.ADD);
            weightedValues(qkv, rowBase + 2 * C + h * D, C3, sc, L, inv, D, out, oOff);
        }
    }

    /** sc[s] = scale · q·k_s for s in [0, Lp), Lp a multiple of VL. */
    private static void scores(float[] qkv, int qOff, float[] kt, int Tp, int D, int Lp, float scale, float[] sc) {
        int s = 0;
        for (; s + 4 * VL <= Lp; s += 4 * VL) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
            for (int d = 0, ko = s; d < D; d++, ko += Tp) {
                FloatVector q = FloatVector.broadcast(S, qkv[qOff + d]);
                a0 = FloatVector.fromArray(S, kt, ko).fma(q, a0);
                a1 = FloatVector.fromArray(S, kt, ko + VL).fma(q, a1);
                a2 = FloatVector.fromArray(S, kt, ko + 2 * VL).fma(q, a2);
                a3 = FloatVector.fromArray(S, kt, ko + 3 * VL).fma(q, a3);
            }
            a0.mul(scale).intoArray(sc, s);
            a1.mul(scale).intoArray(sc, s + VL);
            a2.mul(scale).intoArray(sc, s + 2 * VL);
            a3.mul(scale).intoArray(sc, s + 3 * VL);
        }
        for (; s < Lp; s += VL) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S);
            int d = 0, ko = s;
            for (; d + 1 < D; d += 2, ko += 2 * Tp) {
                a0 = FloatVector.fromArray(S, kt, ko).fma(FloatVector.broadcast(S, qkv[qOff + d]), a0);
                a1 = FloatVector.fromArray(S, kt, ko + Tp).fma(FloatVector.broadcast(S, qkv[qOff + d + 1]), a1);
            }
            if (d < D) a0 = FloatVector.fromArray(S, kt, ko).fma(FloatVector.broadcast(S, qkv[qOff + d]), a0);
            a0.add(a1).mul(scale).intoArray(sc, s);
        }
    }

    /** out[oOff + d] = inv · Σ_{s<L} p[s] · v_s[d], v_s at vBase + s·stride. */
    private static void weightedValues(float[] qkv, int vBase, int stride, float[] p, int L, float inv, int D,
                                       float[] out, int oOff) {
        int d = 0;
        for (; d + 2 * VL <= D; d += 2 * VL) {
            FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), b0 = FloatVector.zero(S), b1 = FloatVector.zero(S);
            int s = 0, vo = vBase + d;
            for (; s + 1 < L; s += 2, vo += 2 * stride) {
                FloatVector p0 = FloatVector.broadcast(S, p[s]), p1 = FloatVector.broadcast(S, p[s + 1]);
                a0 = FloatVector.fromArray(S, qkv, vo).fma(p0, a0);
                a1 = FloatVector.fromArray(S, qkv, vo + VL).fma(p0, a1);
                b0 = FloatVector.fromArray(S, qkv, vo + stride).fma(p1, b0);
                b1 = FloatVector.fromArray(S, qkv, vo + stride + VL).fma(p1, b1);
            }
            if (s < L) {
                FloatVector p0 = FloatVector.broadcast(S, p[s]);
                a0 = FloatVector.fromArray(S, qkv, vo).fma(p0, a0);
                a1 = FloatVector.fromArray(S, qkv, vo + VL).fma(p0, a1);
            }
            a0.add(b0).mul(inv).intoArray(out, oOff + d);
            a1.add(b1).mul(inv).intoArray(out, oOff + d + VL);
        }
        for (; d < D; d += VL) {
            VectorMask<Float> m = S.indexInRange(d, D);
            FloatVector a0 = FloatVector.zero(S);
            for (int s = 0, vo = vBase + d; s < L; s++, vo += stride)
                a0 = FloatVector.fromArray(S, qkv, vo, m).fma(FloatVector.broadcast(S, p[s]), a0);
            a0.mul(inv).intoArray(out, oOff + d, m);
        }
    }
}
