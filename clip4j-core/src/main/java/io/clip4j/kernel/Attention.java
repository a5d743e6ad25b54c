package io.clip4j.kernel;

import static io.clip4j.kernel.Vec.S;
import static io.clip4j.kernel.Vec.VL;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/**
 * Multi-head attention, one task per (batch item, head), built on the GEMM micro-kernel ({@link Gemm#kernel}).
 *
 * <p>Per task, into pooled scratch ({@link Scratch}): Q is copied to a row block padded to a multiple of 6 rows, K is packed into
 * panels of NR keys (Kᵀ, as the GEMM packs weights), V into panels of NR columns of D (no transpose needed). Then per
 * block of 6 query rows: scores = Q·Kᵀ for the key panels the block can see (causal blocks stop at the diagonal, a
 * key-padding mask at validKeys[b]), a vectorised softmax per row that zeroes every masked key, and P·V over the visible
 * keys only, written to a padded tile and copied into out.
 */
final class Attention {
    private Attention() {}

    /** Below this many multiply-adds (all heads together) the call stays on the calling thread. */
    static final long PARALLEL_MIN_MACS = 1L << 18;

    /** Per-task buffers, sized up front for sequences of up to 256 tokens with heads of up to 128 (about 0.6 MB), so
     *  the usual shapes never take the growth branch, which compiled code that never saw it taken would deoptimise on. */
    private static final class Workspace {
        float[] q = new float[256 * 128], k = new float[256 * 128 + 1024], v = new float[256 * 128 + 1024],
                sc = new float[256 * 256 + 2048], o = new float[1024];
    }

    private static final Scratch<Workspace> WS = new Scratch<>(Workspace::new);

    static void attention(float[] out, float[] qkv, int B, int T, int C, int H, boolean causal, int[] validKeys) {
        attention(out, null, qkv, B, T, C, H, causal, validKeys);
    }

    /**
     * As above, also saving the attention weights when probs is not null: probs[B,H,T,T], row (b·H + h)·T + t holding
     * softmax(q_t·kᵀ·D^-½) over the keys t sees and 0 at every other key (what a backward pass needs).
     */
    static void attention(float[] out, float[] probs, float[] qkv, int B, int T, int C, int H, boolean causal, int[] validKeys) {
        if (B < 0 || T < 0 || H <= 0 || C % H != 0) throw new IllegalArgumentException("C=" + C + " is not divisible by H=" + H);
        if (probs != null && probs.length < (long) B * H * T * T) throw new IllegalArgumentException("probs too short");
        if (qkv.length < (long) B * T * 3 * C) throw new IllegalArgumentException("qkv too short");
        if (out.length < (long) B * T * C) throw new IllegalArgumentException("out too short");
        if (validKeys != null && validKeys.length < B) throw new IllegalArgumentException("validKeys shorter than B");
        if (B == 0 || T == 0 || C == 0) return;
        int D = C / H;
        long macs = 2L * B * H * T * T * D;
        int threads = macs < PARALLEL_MIN_MACS ? 1 : Parallel.parallelism();
        Parallel.forEach(B * H, threads, task -> head(out, qkv, T, C, D, task / H * T, task % H, causal,
                validKeys == null ? T : Math.max(0, Math.min(T, validKeys[task / H])), probs, task * T * T));
    }

    /**
     * Attention over B sequences of different lengths packed one after another: sequence b is rows
     * [offsets[b], offsets[b+1]) of qkv[N,3C] and out[N,C] (N = offsets[B]), and attends only to itself.
     * Each sequence gets exactly the values it gets alone (the same kernel calls, row for row).
     */
    static void attentionPacked(float[] out, float[] qkv, int[] offsets, int B, int C, int H, boolean causal) {
        if (B < 0 || H <= 0 || C % H != 0) throw new IllegalArgumentException("C=" + C + " is not divisible by H=" + H);
        if (offsets.length < B + 1 || offsets[0] != 0) throw new IllegalArgumentException("offsets must hold B+1 values from 0");
        long macs = 0;
        for (int b = 0; b < B; b++) {
            int T = offsets[b + 1] - offsets[b];
            if (T < 0) throw new IllegalArgumentException("offsets decrease at " + b);
            macs += 2L * H * T * T * (C / H);
        }
        int N = offsets[B];
        if (qkv.length < (long) N * 3 * C) throw new IllegalArgumentException("qkv too short");
        if (out.length < (long) N * C) throw new IllegalArgumentException("out too short");
        if (B == 0 || N == 0 || C == 0) return;
        int D = C / H;
        int threads = macs < PARALLEL_MIN_MACS ? 1 : Parallel.parallelism();
        Parallel.forEach(B * H, threads, task -> {
            int b = task / H, T = offsets[b + 1] - offsets[b];
            head(out, qkv, T, C, D, offsets[b], task % H, causal, T, null, 0);
        });
    }

    /**
     * Attention for one query row per batch item: out[b, h·D .. h·D + D) = softmax(q·kᵀ · D^-½) · v, where q is row
     * queryRow[b] of qkv[·,3C] and the keys and values are rows [keyStart[b], keyStart[b] + keyCount[b]) (the caller
     * applies any causal or padding limit through the range). keyCount[b] = 0 gives a zero row.
     * out[B,C] is dense: row b for item b. This is the last block of a tower whose output is read at one position.
     */
    static void pooledQueries(float[] out, float[] qkv, int[] queryRow, int[] keyStart, int[] keyCount, int B, int C, int H) {
        pooledQueries(out, null, 0, qkv, queryRow, keyStart, keyCount, B, C, H);
    }

    /**
     * As above, also saving the attention weights when probs is not null: probs[(b·H + h)·T + s] = the weight of key s
     * for s < keyCount[b], 0 up to T (T ≥ every keyCount: what a backward pass needs).
     */
    static void pooledQueries(float[] out, float[] probs, int T, float[] qkv, int[] queryRow, int[] keyStart, int[] keyCount,
                              int B, int C, int H) {
        if (probs != null && probs.length < (long) B * H * T) throw new IllegalArgumentException("probs too short");
        if (B < 0 || H <= 0 || C % H != 0) throw new IllegalArgumentException("C=" + C + " is not divisible by H=" + H);
        if (queryRow.length < B || keyStart.length < B || keyCount.length < B) throw new IllegalArgumentException("row arrays shorter than B");
        if (out.length < (long) B * C) throw new IllegalArgumentException("out too short");
        long macs = 0;
        for (int b = 0; b < B; b++) {
            long lastRow = Math.max(queryRow[b], (long) keyStart[b] + keyCount[b] - 1);
            if (queryRow[b] < 0 || keyStart[b] < 0 || keyCount[b] < 0 || (lastRow + 1) * 3 * C > qkv.length)
                throw new IllegalArgumentException("item " + b + ": rows outside qkv");
            if (probs != null && keyCount[b] > T) throw new IllegalArgumentException("item " + b + ": " + keyCount[b] + " keys, more than T=" + T);
            macs += 2L * keyCount[b] * C;
        }
        if (B == 0 || C == 0) return;
        int D = C / H;
        int threads = macs < PARALLEL_MIN_MACS ? 1 : Parallel.parallelism();
        Parallel.forEach(B * H, threads, task -> {
            int b = task / H, h = task % H;
            Workspace ws = WS.take();
            try {
                pooledHead(out, b * C + h * D, qkv, queryRow[b], keyStart[b], keyCount[b], C, D, h, ws);
                if (probs != null) {
                    int p = task * T, keys = keyCount[b];
                    if (keys > 0) System.arraycopy(ws.sc, 0, probs, p, keys);   // the weights pooledHead left in sc
                    Arrays.fill(probs, p + keys, p + T, 0f);
                }
            } finally {
                WS.give(ws);
            }
        });
    }

    /** One head of {@link #pooledQueries}: scores per key (a dot product over D), the softmax of the full kernel, then
     *  the probability-weighted sum of the value rows. */
    private static void pooledHead(float[] out, int outOff, float[] qkv, int qRow, int k0, int keys, int C, int D, int h, Workspace ws) {
        if (keys == 0) {
            Arrays.fill(out, outOff, outOff + D, 0f);
            return;
        }
        int C3 = 3 * C, width = (keys + VL - 1) / VL * VL;
        float[] sc = ws.sc = grow(ws.sc, width);
        float[] o = ws.o = grow(ws.o, D);
        int q = qRow * C3 + h * D, dv = D / VL * VL;
        for (int s = 0; s < keys; s++) {
            int k = (k0 + s) * C3 + C + h * D;
            FloatVector acc = FloatVector.zero(S);
            int d = 0;
            for (; d < dv; d += VL) acc = FloatVector.fromArray(S, qkv, q + d).fma(FloatVector.fromArray(S, qkv, k + d), acc);
            float dot = Vec.sum(acc);
            for (; d < D; d++) dot += qkv[q + d] * qkv[k + d];
            sc[s] = dot;
        }
        softmaxRow(sc, 0, keys, width, (float) (1.0 / Math.sqrt(D)));
        Arrays.fill(o, 0, D, 0f);
        for (int s = 0; s < keys; s++) {
            int v = (k0 + s) * C3 + 2 * C + h * D;
            float p = sc[s];
            FloatVector pv = FloatVector.broadcast(S, p);
            int d = 0;
            for (; d < dv; d += VL) FloatVector.fromArray(S, qkv, v + d).fma(pv, FloatVector.fromArray(S, o, d)).intoArray(o, d);
            for (; d < D; d++) o[d] += p * qkv[v + d];
        }
        System.arraycopy(o, 0, out, outOff, D);
    }

    private static float[] grow(float[] a, int n) { return a.length >= n ? a : new float[n]; }

    /** Head h of the sequence whose T tokens are rows [row0, row0 + T) of qkv and out; keys: visible key count;
     *  probs (may be null): where to save this head's T × T attention weights, from pOff. */
    private static void head(float[] out, float[] qkv, int T, int C, int D, int row0, int h, boolean causal, int keys,
                             float[] probs, int pOff) {
        if (keys == 0) {                                   // nothing to attend to: zero output rows
            for (int t = 0; t < T; t++) Arrays.fill(out, (row0 + t) * C + h * D, (row0 + t) * C + h * D + D, 0f);
            if (probs != null) Arrays.fill(probs, pOff, pOff + T * T, 0f);
            return;
        }
        Workspace ws = WS.take();
        try {
            head(out, qkv, T, C, D, row0, h, causal, keys, ws, probs, pOff);
        } finally {
            WS.give(ws);
        }
    }

    private static void head(float[] out, float[] qkv, int T, int C, int D, int row0, int h, boolean causal, int keys, Workspace ws,
                             float[] probs, int pOff) {
        final int MR = Gemm.MR, NR = Gemm.NR;
        int C3 = 3 * C;
        int rowBase = row0 * C3;
        int T6 = (T + MR - 1) / MR * MR;
        int kpan = (keys + NR - 1) / NR, Tn = kpan * NR;
        int dpan = (D + NR - 1) / NR, Dn = dpan * NR;
        float[] qb = ws.q = grow(ws.q, T6 * D);
        float[] kp = ws.k = grow(ws.k, kpan * D * NR);
        float[] vp = ws.v = grow(ws.v, dpan * keys * NR);
        float[] sc = ws.sc = grow(ws.sc, T6 * Tn);
        float[] ob = ws.o = grow(ws.o, MR * Dn);

        for (int t = 0; t < T; t++) System.arraycopy(qkv, rowBase + t * C3 + h * D, qb, t * D, D);
        Arrays.fill(qb, T * D, T6 * D, 0f);
        // K panels: kp[p][d][j] = K[p·NR + j][d], zero past the visible keys
        for (int p = 0; p < kpan; p++) {
            int base = p * D * NR;
            for (int j = 0; j < NR; j++) {
                int s = p * NR + j;
                if (s < keys) {
                    int src = rowBase + s * C3 + C + h * D;
                    for (int d = 0; d < D; d++) kp[base + d * NR + j] = qkv[src + d];
                } else {
                    for (int d = 0; d < D; d++) kp[base + d * NR + j] = 0f;
                }
            }
        }
        // V panels: vp[q][s][j] = V[s][q·NR + j], zero past D
        for (int q = 0; q < dpan; q++) {
            int d0 = q * NR, w = Math.min(NR, D - d0);
            int base = q * keys * NR;
            for (int s = 0; s < keys; s++) {
                System.arraycopy(qkv, rowBase + s * C3 + 2 * C + h * D + d0, vp, base + s * NR, w);
                if (w < NR) Arrays.fill(vp, base + s * NR + w, base + s * NR + NR, 0f);
            }
        }

        float scale = (float) (1.0 / Math.sqrt(D));
        for (int i0 = 0; i0 < T; i0 += MR) {
            int rowsEnd = Math.min(T, i0 + MR);
            int lmax = causal ? Math.min(keys, rowsEnd) : keys;     // keys the last row of the block sees
            int np = (lmax + NR - 1) / NR, width = np * NR;
            for (int p = 0; p < np; p++)
                Gemm.kernel(qb, i0 * D, D, kp, p * D * NR, D, sc, i0 * Tn + p * NR, Tn, Gemm.ZEROS, 0, 0);
            for (int t = i0; t < i0 + MR; t++) {
                int L = t >= T ? 0 : causal ? Math.min(t + 1, keys) : keys;
                softmaxRow(sc, t * Tn, L, width, scale);
                if (probs != null && t < T) {
                    int n = Math.min(width, T);                 // the row is 0 past L, up to width
                    System.arraycopy(sc, t * Tn, probs, pOff + t * T, n);
                    Arrays.fill(probs, pOff + t * T + n, pOff + (t + 1) * T, 0f);
                }
            }
            for (int q = 0; q < dpan; q++)
                Gemm.kernel(sc, i0 * Tn, Tn, vp, q * keys * NR, lmax, ob, q * NR, Dn, Gemm.ZEROS, 0, 0);
            for (int t = i0; t < rowsEnd; t++) System.arraycopy(ob, (t - i0) * Dn, out, (row0 + t) * C + h * D, D);
        }
    }

    /** sc[off + s] = softmax(scale · sc[off + 0..L))[s] for s < L, 0 for L ≤ s < width (width a multiple of VL). */
    private static void softmaxRow(float[] sc, int off, int L, int width, float scale) {
        if (L <= 0) {
            Arrays.fill(sc, off, off + width, 0f);
            return;
        }
        FloatVector mx = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        int s = 0;
        for (; s + VL <= L; s += VL) mx = mx.max(FloatVector.fromArray(S, sc, off + s));
        float max = mx.reduceLanes(VectorOperators.MAX);            // exact in any order (unlike a float sum)
        for (; s < L; s++) max = Math.max(max, sc[off + s]);
        FloatVector sum = FloatVector.zero(S);
        FloatVector m = FloatVector.broadcast(S, max);
        for (s = 0; s < width; s += VL) {
            FloatVector e = FloatVector.fromArray(S, sc, off + s).sub(m).mul(scale);
            e = VecMath.exp(e);
            if (s + VL > L) {
                VectorMask<Float> keep = S.indexInRange(s, L);
                e = e.blend(0f, keep.not());
            }
            sum = sum.add(e);
            e.intoArray(sc, off + s);
        }
        float inv = 1f / Vec.sum(sum);
        for (s = 0; s < width; s += VL) FloatVector.fromArray(S, sc, off + s).mul(inv).intoArray(sc, off + s);
    }
}
