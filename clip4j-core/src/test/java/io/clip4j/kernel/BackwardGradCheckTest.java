package io.clip4j.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Finite-difference checks of every backward kernel. For a forward y = f(x₁, x₂, …) the scalar
 * φ = Σ R·y (R random) has ∂φ/∂xᵢ = backward(dout = R). The numerical side evaluates φ with a float64 restatement of
 * the forward (central differences, h = 1e-5: truncation ~1e-10, no float32 noise); each float64 forward is first
 * checked against the float32 kernel it restates, so the check ties the backward to the forward the model runs.
 * Tolerance per input tensor: |analytic − numeric| ≤ 2e-4·max|numeric| + 1e-5.
 */
class BackwardGradCheckTest {
    static final double H = 1e-5;

    // --------------------------------------------------------------------------------------------- harness

    static float[] rand(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextGaussian() * scale);
        return a;
    }

    static double[] d(float[] a) {
        double[] o = new double[a.length];
        for (int i = 0; i < a.length; i++) o[i] = a[i];
        return o;
    }

    static double proj(double[] y, float[] R) {
        double s = 0;
        for (int i = 0; i < y.length; i++) s += y[i] * R[i];
        return s;
    }

    /** Worst |Δ| / (max|numeric| ) over all coordinates of input `which`; asserts the tolerance; returns the relative error. */
    static double check(String what, Function<double[][], double[]> f, float[][] inputs, int which, float[] analytic, float[] R) {
        double[][] x = new double[inputs.length][];
        for (int i = 0; i < inputs.length; i++) x[i] = d(inputs[i]);
        double[] num = new double[x[which].length];
        double maxNum = 0;
        for (int i = 0; i < num.length; i++) {
            double keep = x[which][i];
            x[which][i] = keep + H;
            double up = proj(f.apply(x), R);
            x[which][i] = keep - H;
            double dn = proj(f.apply(x), R);
            x[which][i] = keep;
            num[i] = (up - dn) / (2 * H);
            maxNum = Math.max(maxNum, Math.abs(num[i]));
        }
        double worst = 0;
        int at = 0;
        for (int i = 0; i < num.length; i++) {
            double e = Math.abs(num[i] - analytic[i]);
            if (e > worst) { worst = e; at = i; }
        }
        double rel = worst / Math.max(maxNum, 1e-30);
        System.out.printf("gradcheck %-34s n=%-5d max|g|=%.3e  max|Δ|=%.2e  rel=%.2e%n", what, num.length, maxNum, worst, rel);
        assertTrue(worst <= 2e-4 * maxNum + 1e-5, what + ": |analytic − numeric| = " + worst + " at " + at
                + " (numeric " + num[at] + ", analytic " + analytic[at] + ", max " + maxNum + ")");
        return rel;
    }

    static void assertForwardMatches(String what, double[] ref, float[] got, double tol) {
        for (int i = 0; i < ref.length; i++)
            assertEquals(ref[i], got[i], tol * Math.max(1, Math.abs(ref[i])), what + " forward at " + i);
    }

    // --------------------------------------------------------------------------------------------- float64 forwards

    static double[] matmulD(double[] inp, double[] w, double[] bias, int N, int C, int OC) {
        double[] out = new double[N * OC];
        for (int n = 0; n < N; n++) for (int o = 0; o < OC; o++) {
            double a = bias == null ? 0 : bias[o];
            for (int c = 0; c < C; c++) a += inp[n * C + c] * w[o * C + c];
            out[n * OC + o] = a;
        }
        return out;
    }

    static double[] layerNormD(double[] x, double[] g, double[] b, int N, int C, double eps) {
        double[] out = new double[N * C];
        for (int n = 0; n < N; n++) {
            double m = 0, v = 0;
            for (int c = 0; c < C; c++) m += x[n * C + c];
            m /= C;
            for (int c = 0; c < C; c++) v += (x[n * C + c] - m) * (x[n * C + c] - m);
            double r = 1 / Math.sqrt(v / C + eps);
            for (int c = 0; c < C; c++) out[n * C + c] = (x[n * C + c] - m) * r * g[c] + b[c];
        }
        return out;
    }

    static double[] attentionD(double[] qkv, int B, int T, int C, int H, boolean causal) {
        int D = C / H;
        double[] out = new double[B * T * C];
        for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) for (int t = 0; t < T; t++) {
            int last = causal ? t : T - 1;
            double[] s = new double[last + 1];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int u = 0; u <= last; u++) {
                double dot = 0;
                for (int dd = 0; dd < D; dd++) dot += qkv[(b * T + t) * 3 * C + h * D + dd] * qkv[(b * T + u) * 3 * C + C + h * D + dd];
                s[u] = dot / Math.sqrt(D);
                max = Math.max(max, s[u]);
            }
            for (int u = 0; u <= last; u++) { s[u] = Math.exp(s[u] - max); sum += s[u]; }
            for (int u = 0; u <= last; u++) for (int dd = 0; dd < D; dd++)
                out[(b * T + t) * C + h * D + dd] += s[u] / sum * qkv[(b * T + u) * 3 * C + 2 * C + h * D + dd];
        }
        return out;
    }

    /** out[B,D] = per head softmax_t(q·k[b,t]·hd^-½ over t < valid[b]) · v[b,t]; kv[B,T,2D] = (k | v). */
    static double[] probeAttentionD(double[] q, double[] kv, int B, int T, int D, int H, int[] valid) {
        int hd = D / H;
        double[] out = new double[B * D];
        for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) {
            int n = valid == null ? T : valid[b];
            double[] s = new double[n];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int t = 0; t < n; t++) {
                double dot = 0;
                for (int dd = 0; dd < hd; dd++) dot += q[h * hd + dd] * kv[(b * T + t) * 2 * D + h * hd + dd];
                s[t] = dot / Math.sqrt(hd);
                max = Math.max(max, s[t]);
            }
            for (int t = 0; t < n; t++) { s[t] = Math.exp(s[t] - max); sum += s[t]; }
            for (int t = 0; t < n; t++) for (int dd = 0; dd < hd; dd++)
                out[b * D + h * hd + dd] += s[t] / sum * kv[(b * T + t) * 2 * D + D + h * hd + dd];
        }
        return out;
    }

    interface Act { double f(double x); }

    static double[] map(double[] x, Act a) {
        double[] o = new double[x.length];
        for (int i = 0; i < x.length; i++) o[i] = a.f(x[i]);
        return o;
    }

    static final Act QUICK = x -> x / (1 + Math.exp(-1.702 * x));
    static final Act GELU = x -> 0.5 * x * (1 + Erf.erf(x / Math.sqrt(2)));
    static final Act GELU_TANH = x -> 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));

    // --------------------------------------------------------------------------------------------- tests

    @Test void matmul() {
        long keep = Backward.gemmPathMinMacs;
        try {
            for (long threshold : new long[]{Long.MAX_VALUE, 0}) {   // the register-tile path, then the GEMM-on-transposes path
                Backward.gemmPathMinMacs = threshold;
                String path = threshold == 0 ? " (gemm)" : " (tiles)";
                Random r = new Random(1);
                // shapes exercise the 4-row tiles, the single-row tail and the scalar column tail (C, OC not multiples of 2 vectors)
                int[][] shapes = {{7, 37, 19}, {9, 32, 48}, {5, 3, 70}};
                for (int[] s : shapes) {
                    int N = s[0], C = s[1], OC = s[2];
                    float[] inp = rand(r, N * C, 1), w = rand(r, OC * C, 0.3), b = rand(r, OC, 0.3), R = rand(r, N * OC, 1);
                    float[] out = new float[N * OC];
                    Ops.matmul(out, inp, w, b, N, C, OC);
                    assertForwardMatches("matmul", matmulD(d(inp), d(w), d(b), N, C, OC), out, 1e-5);
                    float[] dinp = rand(r, N * C, 1), dw = rand(r, OC * C, 1), db = rand(r, OC, 1);
                    float[] dinp0 = dinp.clone(), dw0 = dw.clone(), db0 = db.clone();
                    Backward.matmulBackward(dinp, dw, db, R, inp, w, N, C, OC);
                    // accumulation: the backward adds onto what is there
                    for (int i = 0; i < dinp.length; i++) dinp[i] -= dinp0[i];
                    for (int i = 0; i < dw.length; i++) dw[i] -= dw0[i];
                    for (int i = 0; i < db.length; i++) db[i] -= db0[i];
                    Function<double[][], double[]> f = x -> matmulD(x[0], x[1], x[2], N, C, OC);
                    float[][] in = {inp, w, b};
                    String sh = "[" + N + "," + C + "]x[" + OC + "," + C + "]" + path;
                    check("matmul dinp " + sh, f, in, 0, dinp, R);
                    check("matmul dweight " + sh, f, in, 1, dw, R);
                    check("matmul dbias " + sh, f, in, 2, db, R);
                }
            }
        } finally {
            Backward.gemmPathMinMacs = keep;
        }
    }

    @Test void matmulBackwardIsThreadCountIndependentAndMatchesAFloat64Loop() {
        long keep = Backward.gemmPathMinMacs;
        try {
            for (long threshold : new long[]{Long.MAX_VALUE, 0}) {
                Backward.gemmPathMinMacs = threshold;
                Random r = new Random(2);
                int N = 203, C = 96, OC = 130;   // large enough to be split over threads
                float[] inp = rand(r, N * C, 1), w = rand(r, OC * C, 1), dout = rand(r, N * OC, 1);
                float[] dinp = new float[N * C], dw = new float[OC * C];
                Backward.matmulBackward(dinp, dw, null, dout, inp, w, N, C, OC);
                float[] dinp1 = new float[N * C], dw1 = new float[OC * C];
                Parallel.withMaxThreads(1, () -> Backward.matmulBackward(dinp1, dw1, null, dout, inp, w, N, C, OC));
                assertArrayEquals(dinp1, dinp, "dinp: same bits with 1 and " + Parallel.threads() + " threads");
                assertArrayEquals(dw1, dw, "dweight: same bits with 1 and " + Parallel.threads() + " threads");
                double worstW = 0, worstI = 0;
                for (int o = 0; o < OC; o++) for (int c = 0; c < C; c++) {
                    double a = 0;
                    for (int n = 0; n < N; n++) a += (double) dout[n * OC + o] * inp[n * C + c];
                    worstW = Math.max(worstW, Math.abs(a - dw[o * C + c]));
                }
                for (int n = 0; n < N; n++) for (int c = 0; c < C; c++) {
                    double a = 0;
                    for (int o = 0; o < OC; o++) a += (double) dout[n * OC + o] * w[o * C + c];
                    worstI = Math.max(worstI, Math.abs(a - dinp[n * C + c]));
                }
                assertTrue(worstW < 1e-4 && worstI < 1e-4, "vs float64 loops: dweight " + worstW + ", dinp " + worstI);
                // the overwriting variant: dinp written (whatever it held), dweight still accumulated
                float[] dinpSet = new float[N * C], dwSet = new float[OC * C];
                java.util.Arrays.fill(dinpSet, 7f);
                Backward.matmulBackwardSetInput(dinpSet, dwSet, null, dout, inp, w, N, C, OC);
                assertArrayEquals(dinp, dinpSet, "matmulBackwardSetInput dinp");
                assertArrayEquals(dw, dwSet, "matmulBackwardSetInput dweight");
            }
        } finally {
            Backward.gemmPathMinMacs = keep;
        }
    }

    @Test void layerNorm() {
        Random r = new Random(3);
        int N = 6, C = 24;
        float[] x = rand(r, N * C, 2), g = rand(r, C, 1), b = rand(r, C, 1), R = rand(r, N * C, 1);
        for (int i = 0; i < N * C; i++) x[i] += 0.5f;
        float[] out = new float[N * C], mean = new float[N], rstd = new float[N], ref = new float[N * C];
        Backward.layerNormForward(out, mean, rstd, x, g, b, N, C, 1e-5f);
        Ops.layerNorm(ref, x, g, b, N, C, 1e-5f);
        assertForwardMatches("layerNorm (Ops)", d(ref), out, 1e-5);
        assertForwardMatches("layerNorm (float64)", layerNormD(d(x), d(g), d(b), N, C, 1e-5), out, 1e-5);
        float[] dx = new float[N * C], dg = new float[C], db = new float[C];
        Backward.layerNormBackward(dx, dg, db, R, x, g, mean, rstd, N, C);
        Function<double[][], double[]> f = v -> layerNormD(v[0], v[1], v[2], N, C, 1e-5);
        float[][] in = {x, g, b};
        check("layerNorm dinp", f, in, 0, dx, R);
        check("layerNorm dgamma", f, in, 1, dg, R);
        check("layerNorm dbeta", f, in, 2, db, R);
    }

    @Test void layerNormIsThreadCountIndependent() {
        Random r = new Random(4);
        int N = 300, C = 200;   // enough rows and channels to be split over threads both ways
        float[] x = rand(r, N * C, 2), g = rand(r, C, 1), b = rand(r, C, 1), dout = rand(r, N * C, 1);
        float[][] got = new float[2][], ref = new float[2][];
        for (int pass = 0; pass < 2; pass++) {
            float[] out = new float[N * C], mean = new float[N], rstd = new float[N];
            float[] dx = rand(new Random(5), N * C, 1), dg = rand(new Random(6), C, 1), db = rand(new Random(7), C, 1);
            Runnable run = () -> {
                Backward.layerNormForward(out, mean, rstd, x, g, b, N, C, 1e-5f);
                Backward.layerNormBackward(dx, dg, db, dout, x, g, mean, rstd, N, C);
            };
            if (pass == 0) Parallel.withMaxThreads(1, run);
            else run.run();
            float[] all = new float[N * C * 2 + N * 2 + C * 2];
            int at = 0;
            for (float[] a : new float[][]{out, mean, rstd, dx, dg, db}) { System.arraycopy(a, 0, all, at, a.length); at += a.length; }
            (pass == 0 ? ref : got)[0] = all;
        }
        assertArrayEquals(ref[0], got[0], "layer norm forward and backward: same bits with 1 and " + Parallel.threads() + " threads");
    }

    @Test void attention() {
        Random r = new Random(4);
        for (boolean causal : new boolean[]{false, true}) {
            int B = 2, T = 5, C = 12, H = 3;   // head dim 4
            float[] qkv = rand(r, B * T * 3 * C, 1), R = rand(r, B * T * C, 1);
            float[] out = new float[B * T * C], probs = new float[B * H * T * T], ref = new float[B * T * C];
            Backward.attentionForward(out, probs, qkv, B, T, C, H, causal);
            Ops.attention(ref, qkv, B, T, C, H, causal);
            assertForwardMatches("attention (Ops)", d(ref), out, 1e-5);
            assertForwardMatches("attention (float64)", attentionD(d(qkv), B, T, C, H, causal), out, 1e-5);
            float[] dqkv = new float[qkv.length];
            Backward.attentionBackward(dqkv, R, qkv, probs, B, T, C, H, causal);
            check("attention dqkv" + (causal ? " (causal)" : ""), x -> attentionD(x[0], B, T, C, H, causal), new float[][]{qkv}, 0, dqkv, R);
        }
        // a head dim that is a multiple of the vector length too (vector dot/axpy paths)
        int B = 1, T = 4, C = 64, H = 2;
        float[] qkv = rand(r, B * T * 3 * C, 0.3), R = rand(r, B * T * C, 1), out = new float[B * T * C], probs = new float[B * H * T * T];
        Backward.attentionForward(out, probs, qkv, B, T, C, H, true);
        float[] dqkv = new float[qkv.length];
        Backward.attentionBackward(dqkv, R, qkv, probs, B, T, C, H, true);
        check("attention dqkv (causal, D=32)", x -> attentionD(x[0], B, T, C, H, true), new float[][]{qkv}, 0, dqkv, R);
    }

    /** SigLIP's attention-pooling head: one shared query (the probe) over every item's keys, with and without a key mask. */
    @Test void probeAttention() {
        Random r = new Random(11);
        for (int[] valid : new int[][]{null, {5, 3}}) {
            int B = 2, T = 5, D = 12, H = 3;   // head dim 4
            float[] q = rand(r, D, 1), kv = rand(r, B * T * 2 * D, 1), R = rand(r, B * D, 1);
            float[] out = new float[B * D], probs = new float[B * H * T];
            Backward.probeAttentionForward(out, probs, q, kv, B, T, D, H, valid);
            assertForwardMatches("probe attention (float64)", probeAttentionD(d(q), d(kv), B, T, D, H, valid), out, 1e-5);
            float[] dq = rand(r, D, 1), dkv = new float[kv.length], dq0 = dq.clone();
            Backward.probeAttentionBackward(dq, dkv, R, q, kv, probs, B, T, D, H, valid);
            for (int i = 0; i < D; i++) dq[i] -= dq0[i];                // the backward accumulates onto dq
            Function<double[][], double[]> f = x -> probeAttentionD(x[0], x[1], B, T, D, H, valid);
            String m = valid == null ? "" : " (masked)";
            check("probeAttention dq" + m, f, new float[][]{q, kv}, 0, dq, R);
            check("probeAttention dkv" + m, f, new float[][]{q, kv}, 1, dkv, R);
            if (valid != null) {
                for (int t = valid[1]; t < T; t++) {
                    for (int h = 0; h < H; h++) assertEquals(0f, probs[(H + h) * T + t], "masked key " + t + " has weight 0");
                    for (int c = 0; c < 2 * D; c++) assertEquals(0f, dkv[(T + t) * 2 * D + c], "masked key " + t + " gets no gradient");
                }
            }
        }
        // a head dim that is a multiple of the vector length (vector dot/axpy paths), and thread-count independence
        int B = 3, T = 7, D = 64, H = 2;
        float[] q = rand(r, D, 0.5), kv = rand(r, B * T * 2 * D, 0.5), R = rand(r, B * D, 1);
        float[] out = new float[B * D], probs = new float[B * H * T];
        Backward.probeAttentionForward(out, probs, q, kv, B, T, D, H, null);
        float[] dq = new float[D], dkv = new float[kv.length];
        Backward.probeAttentionBackward(dq, dkv, R, q, kv, probs, B, T, D, H, null);
        Function<double[][], double[]> f = x -> probeAttentionD(x[0], x[1], B, T, D, H, null);
        check("probeAttention dq (hd=32)", f, new float[][]{q, kv}, 0, dq, R);
        check("probeAttention dkv (hd=32)", f, new float[][]{q, kv}, 1, dkv, R);
        float[] dq1 = new float[D], dkv1 = new float[kv.length];
        Parallel.withMaxThreads(1, () -> Backward.probeAttentionBackward(dq1, dkv1, R, q, kv, probs, B, T, D, H, null));
        assertArrayEquals(dq1, dq, "dq: same bits with 1 and " + Parallel.threads() + " threads");
        assertArrayEquals(dkv1, dkv, "dkv: same bits with 1 and " + Parallel.threads() + " threads");
    }

    /** float64 restatement of {@link Backward#pooledAttentionForward}: out[B,C], one query row per item. */
    static double[] pooledAttentionD(double[] qkv, int[] rows, int[] starts, int[] counts, int B, int C, int H) {
        int D = C / H, C3 = 3 * C;
        double[] out = new double[B * C];
        for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) {
            int n = counts[b];
            double[] z = new double[n];
            double max = Double.NEGATIVE_INFINITY, sum = 0;
            for (int s = 0; s < n; s++) {
                double dot = 0;
                for (int d = 0; d < D; d++) dot += qkv[rows[b] * C3 + h * D + d] * qkv[(starts[b] + s) * C3 + C + h * D + d];
                z[s] = dot / Math.sqrt(D);
                max = Math.max(max, z[s]);
            }
            for (int s = 0; s < n; s++) { z[s] = Math.exp(z[s] - max); sum += z[s]; }
            for (int s = 0; s < n; s++)
                for (int d = 0; d < D; d++) out[b * C + h * D + d] += z[s] / sum * qkv[(starts[b] + s) * C3 + 2 * C + h * D + d];
        }
        return out;
    }

    /**
     * One query row per item (a tower's last block, read at its pooled rows): items packed one after another, queries
     * at the last row, at a single-row item, and in the middle of an item with a causal cut.
     */
    @Test void pooledAttention() {
        Random r = new Random(12);
        int[] rows = {3, 4, 7}, starts = {0, 4, 5}, counts = {4, 1, 3};   // items: rows [0,4), [4,5), [5,11)
        int B = 3, N = 11, T = 6;
        for (int[] shape : new int[][]{{12, 3}, {64, 2}}) {
            int C = shape[0], H = shape[1];
            float[] qkv = rand(r, N * 3 * C, 1), R = rand(r, B * C, 1);
            float[] out = new float[B * C], probs = new float[B * H * T];
            java.util.Arrays.fill(probs, 7f);
            Backward.pooledAttentionForward(out, probs, qkv, rows, starts, counts, B, T, C, H);
            assertForwardMatches("pooled attention (float64)", pooledAttentionD(d(qkv), rows, starts, counts, B, C, H), out, 1e-5);
            for (int b = 0; b < B; b++) for (int h = 0; h < H; h++) for (int s = counts[b]; s < T; s++)
                assertEquals(0f, probs[(b * H + h) * T + s], "weight past the keys of item " + b);
            float[] dqkv = new float[qkv.length];
            Backward.pooledAttentionBackward(dqkv, R, qkv, probs, rows, starts, counts, B, T, C, H);
            check("pooledAttention dqkv (hd=" + C / H + ")", x -> pooledAttentionD(x[0], rows, starts, counts, B, C, H),
                    new float[][]{qkv}, 0, dqkv, R);
            float[] dqkv1 = new float[qkv.length];
            Parallel.withMaxThreads(1, () -> Backward.pooledAttentionBackward(dqkv1, R, qkv, probs, rows, starts, counts, B, T, C, H));
            assertArrayEquals(dqkv1, dqkv, "dqkv: same bits with 1 and " + Parallel.threads() + " threads");
        }
        // ranges whose threads would write the same gradient rows are refused, as are short arrays
        float[] qkv = new float[N * 3 * 12], dqkv = new float[qkv.length], probs = new float[B * 3 * T], dout = new float[B * 12];
        assertThrows(IllegalArgumentException.class, () -> Backward.pooledAttentionBackward(dqkv, dout, qkv, probs,
                new int[] {3, 4, 7}, new int[] {0, 3, 5}, new int[] {4, 2, 3}, B, T, 12, 3), "overlapping key ranges");
        assertThrows(IllegalArgumentException.class, () -> Backward.pooledAttentionBackward(dqkv, dout, qkv, probs,
                new int[] {3, 9, 7}, starts, counts, B, T, 12, 3), "a query outside its keys");
        assertThrows(IllegalArgumentException.class, () -> Backward.pooledAttentionForward(new float[12], probs, qkv,
                rows, starts, counts, B, T, 12, 3), "out too short");
    }

    @Test void activations() {
        Random r = new Random(5);
        int n = 64;
        float[] x = rand(r, n, 2), R = rand(r, n, 1);
        record Case(String name, Act ref, java.util.function.BiConsumer<float[], Integer> fwd, Bwd bwd) {}
        Case[] cases = {
                new Case("quickGelu", QUICK, Ops::quickGelu, Backward::quickGeluBackward),
                new Case("gelu", GELU, Ops::gelu, Backward::geluBackward),
                new Case("geluTanh", GELU_TANH, Ops::geluTanh, Backward::geluTanhBackward)};
        for (Case c : cases) {
            float[] y = x.clone();
            c.fwd.accept(y, n);
            assertForwardMatches(c.name, map(d(x), c.ref), y, 1e-6);
            float[] dx = new float[n];
            c.bwd.apply(dx, x, R, n);
            check(c.name + " dinp", v -> map(v[0], c.ref), new float[][]{x}, 0, dx, R);
        }
    }

    interface Bwd { void apply(float[] dinp, float[] inp, float[] dout, int n); }

    @Test void residual() {
        Random r = new Random(6);
        int n = 10;
        float[] a = rand(r, n, 1), b = rand(r, n, 1), R = rand(r, n, 1), da = new float[n], db = new float[n];
        Backward.residualBackward(da, db, R, n);
        Function<double[][], double[]> f = x -> { double[] o = new double[n]; for (int i = 0; i < n; i++) o[i] = x[0][i] + x[1][i]; return o; };
        check("residual da", f, new float[][]{a, b}, 0, da, R);
        check("residual db", f, new float[][]{a, b}, 1, db, R);
    }

    @Test void embedding() {
        Random r = new Random(7);
        int V = 9, C = 5, B = 3, L = 6, T = 4, P = 6;
        int[] ids = new int[B * L];
        for (int i = 0; i < ids.length; i++) ids[i] = r.nextInt(V);
        ids[0] = ids[1] = 2;   // a repeated id: rows must accumulate
        float[] tok = rand(r, V * C, 1), pos = rand(r, P * C, 1), R = rand(r, B * T * C, 1);
        float[] dtok = new float[V * C], dpos = new float[P * C];
        Backward.embeddingBackward(dtok, dpos, R, ids, B, L, T, C);
        Function<double[][], double[]> f = x -> {
            double[] o = new double[B * T * C];
            for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) for (int c = 0; c < C; c++)
                o[(b * T + t) * C + c] = x[0][ids[b * L + t] * C + c] + x[1][t * C + c];
            return o;
        };
        check("embedding dtokens", f, new float[][]{tok, pos}, 0, dtok, R);
        check("embedding dpositions", f, new float[][]{tok, pos}, 1, dpos, R);
    }

    @Test void patchEmbedding() {
        Random r = new Random(8);
        int B = 2, S = 6, P = 3, C = 5, G = S / P, K = 3 * P * P, N = B * G * G;
        float[] px = rand(r, B * 3 * S * S, 1), w = rand(r, C * K, 0.3), R = rand(r, N * C, 1);
        float[] patches = new float[N * K];
        Backward.patchify(patches, px, B, S, P);
        float[] dpx = new float[px.length], dw = new float[w.length];
        Backward.patchEmbedBackward(dpx, dw, null, R, patches, w, B, S, P, C);
        // float64 forward: the convolution itself, written out (not via patchify)
        Function<double[][], double[]> f = x -> {
            double[] o = new double[N * C];
            for (int b = 0; b < B; b++) for (int gy = 0; gy < G; gy++) for (int gx = 0; gx < G; gx++) for (int oc = 0; oc < C; oc++) {
                double a = 0;
                for (int ch = 0; ch < 3; ch++) for (int py = 0; py < P; py++) for (int qx = 0; qx < P; qx++)
                    a += x[0][((b * 3 + ch) * S + gy * P + py) * S + gx * P + qx] * x[1][((oc * 3 + ch) * P + py) * P + qx];
                o[((b * G + gy) * G + gx) * C + oc] = a;
            }
            return o;
        };
        float[] out = new float[N * C];
        Ops.matmul(out, patches, w, null, N, K, C);
        assertForwardMatches("patch embedding", f.apply(new double[][]{d(px), d(w)}), out, 1e-5);
        check("patchEmbed dpixels", f, new float[][]{px, w}, 0, dpx, R);
        check("patchEmbed dweight", f, new float[][]{px, w}, 1, dw, R);
    }

    @Test void pooling() {
        Random r = new Random(9);
        int B = 3, T = 5, C = 4;
        int[] idx = {0, 4, 2};
        float[] x = rand(r, B * T * C, 1), R = rand(r, B * C, 1), dx = new float[x.length], out = new float[B * C];
        Backward.poolRows(out, x, idx, B, T, C);
        Backward.poolRowsBackward(dx, R, idx, B, T, C);
        Function<double[][], double[]> f = v -> {
            double[] o = new double[B * C];
            for (int b = 0; b < B; b++) for (int c = 0; c < C; c++) o[b * C + c] = v[0][(b * T + idx[b]) * C + c];
            return o;
        };
        assertForwardMatches("pool", f.apply(new double[][]{d(x)}), out, 0);
        check("pool dx", f, new float[][]{x}, 0, dx, R);
    }

    @Test void l2Normalize() {
        Random r = new Random(10);
        int N = 4, C = 7;
        float[] x = rand(r, N * C, 1), R = rand(r, N * C, 1), out = new float[N * C], norm = new float[N], dx = new float[N * C];
        Backward.l2NormalizeForward(out, norm, x, N, C);
        Backward.l2NormalizeBackward(dx, R, out, norm, N, C);
        Function<double[][], double[]> f = v -> {
            double[] o = new double[N * C];
            for (int n = 0; n < N; n++) {
                double s = 0;
                for (int c = 0; c < C; c++) s += v[0][n * C + c] * v[0][n * C + c];
                double den = Math.max(Math.sqrt(s), 1e-12);
                for (int c = 0; c < C; c++) o[n * C + c] = v[0][n * C + c] / den;
            }
            return o;
        };
        assertForwardMatches("l2 normalize", f.apply(new double[][]{d(x)}), out, 1e-6);
        check("l2Normalize dx", f, new float[][]{x}, 0, dx, R);
    }
}
