package io.clip4j.kernel;

import static io.clip4j.kernel.Vec.S;
import static io.clip4j.kernel.Vec.VL;

import jdk.incubator.vector.FloatVector;

/** Vectorised LayerNorm, activations and residual add; parallel over chunks (rows) when the array is big. */
final class Elementwise {
    private Elementwise() {}

    /** Element counts from which the memory-bound add and the activations go parallel. */
    static final int PARALLEL_MIN_ADD = 1 << 18;
    static final int PARALLEL_MIN_ACT = 1 << 15;
    static final int PARALLEL_MIN_LN = 1 << 16;

    private static int chunks(long n, int min) {
        int p = Parallel.parallelism();
        if (p <= 1 || n < min) return 1;
        return (int) Math.min(4L * p, Math.max(1, n / (min / 2)));
    }

    static void activation(Activation act, float[] x, int n) {
        if (n > x.length) throw new IllegalArgumentException("n > x.length");
        if (act == Activation.NONE) return;
        Parallel.forRange(n, chunks(n, PARALLEL_MIN_ACT), (from, to) -> activationRange(act, x, from, to));
    }

    /** Applies act to x[from, to). One loop method per activation, so each gets its own profile and inlines its math. */
    static void activationRange(Activation act, float[] x, int from, int to) {
        switch (act) {
            case QUICK_GELU -> quickGeluRange(x, from, to);
            case GELU -> geluRange(x, from, to);
            case GELU_TANH -> geluTanhRange(x, from, to);
            case NONE -> { }
        }
    }

    private static void quickGeluRange(float[] x, int from, int to) {
        int i = from, upper = from + S.loopBound(to - from);
        for (; i < upper; i += VL) VecMath.quickGelu(FloatVector.fromArray(S, x, i)).intoArray(x, i);
        for (; i < to; i++) x[i] = VecMath.quickGelu(x[i]);
    }

    private static void geluRange(float[] x, int from, int to) {
        int i = from, upper = from + S.loopBound(to - from);
        for (; i < upper; i += VL) VecMath.gelu(FloatVector.fromArray(S, x, i)).intoArray(x, i);
        for (; i < to; i++) x[i] = VecMath.gelu(x[i]);
    }

    private static void geluTanhRange(float[] x, int from, int to) {
        int i = from, upper = from + S.loopBound(to - from);
        for (; i < upper; i += VL) VecMath.geluTanh(FloatVector.fromArray(S, x, i)).intoArray(x, i);
        for (; i < to; i++) x[i] = VecMath.geluTanh(x[i]);
    }

    static void addInPlace(float[] a, float[] b, int n) {
        if (n > a.length || n > b.length) throw new IllegalArgumentException("n exceeds an array");
        Parallel.forRange(n, chunks(n, PARALLEL_MIN_ADD), (from, to) -> {
            int i = from;
            int upper = from + S.loopBound(to - from);
            for (; i < upper; i += VL) FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(a, i);
            for (; i < to; i++) a[i] += b[i];
        });
    }

    /** x[b·n + i] += row[i] for b < B, i < n: one row added to each of B blocks (position embeddings). */
    static void addBroadcast(float[] x, float[] row, int B, int n) {
        if ((long) B * n > x.length || n > row.length) throw new IllegalArgumentException("addBroadcast: array shorter than the shape");
        if (B == 0 || n == 0) return;
        Parallel.forRange(B, Math.min(B, chunks((long) B * n, PARALLEL_MIN_ADD)), (from, to) -> {
            int upper = S.loopBound(n);
            for (int b = from; b < to; b++) {
                int base = b * n, i = 0;
                for (; i < upper; i += VL) FloatVector.fromArray(S, x, base + i).add(FloatVector.fromArray(S, row, i)).intoArray(x, base + i);
                for (; i < n; i++) x[base + i] += row[i];
            }
        });
    }

    static void layerNorm(float[] out, float[] inp, float[] gamma, float[] beta, int N, int C, float eps) {
        if ((long) N * C > out.length || (long) N * C > inp.length || gamma.length < C || beta.length < C)
            throw new IllegalArgumentException("layerNorm: array shorter than the shape");
        if (N == 0 || C == 0) return;
        long total = (long) N * C;
        int k = Math.min(N, chunks(total, PARALLEL_MIN_LN));
        Parallel.forRange(N, k, (from, to) -> {
            for (int n = from; n < to; n++) layerNormRow(out, inp, gamma, beta, n * C, C, eps);
        });
    }

    private static void layerNormRow(float[] out, float[] inp, float[] gamma, float[] beta, int off, int C, float eps) {
        int upper = S.loopBound(C);
        FloatVector s0 = FloatVector.zero(S), s1 = FloatVector.zero(S);
        int c = 0;
        for (; c + 2 * VL <= upper; c += 2 * VL) {
            s0 = s0.add(FloatVector.fromArray(S, inp, off + c));
            s1 = s1.add(FloatVector.fromArray(S, inp, off + c + VL));
        }
        for (; c < upper; c += VL) s0 = s0.add(FloatVector.fromArray(S, inp, off + c));
        float sum = Vec.sum(s0.add(s1));
        for (; c < C; c++) sum += inp[off + c];
        float mean = sum / C;
        FloatVector m = FloatVector.broadcast(S, mean);
        FloatVector v0 = FloatVector.zero(S), v1 = FloatVector.zero(S);
        c = 0;
        for (; c + 2 * VL <= upper; c += 2 * VL) {
            FloatVector d0 = FloatVector.fromArray(S, inp, off + c).sub(m);
            FloatVector d1 = FloatVector.fromArray(S, inp, off + c + VL).sub(m);
            v0 = d0.fma(d0, v0);
            v1 = d1.fma(d1, v1);
        }
        for (; c < upper; c += VL) { FloatVector d0 = FloatVector.fromArray(S, inp, off + c).sub(m); v0 = d0.fma(d0, v0); }
        float var = Vec.sum(v0.add(v1));
        for (; c < C; c++) { float d = inp[off + c] - mean; var += d * d; }
        var /= C;
        float rstd = (float) (1.0 / Math.sqrt(var + eps));
        FloatVector r = FloatVector.broadcast(S, rstd);
        c = 0;
        for (; c < upper; c += VL) {
            FloatVector x = FloatVector.fromArray(S, inp, off + c).sub(m).mul(r);
            x.fma(FloatVector.fromArray(S, gamma, c), FloatVector.fromArray(S, beta, c)).intoArray(out, off + c);
        }
        for (; c < C; c++) out[off + c] = (inp[off + c] - mean) * rstd * gamma[c] + beta[c];
    }
}
