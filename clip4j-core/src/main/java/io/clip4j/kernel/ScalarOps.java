package io.clip4j.kernel;

/**
 * Plain scalar twins of every kernel in {@link Ops}: the obvious loops, no SIMD, no threads.
 * They define the semantics and are the references the tests compare the fast kernels against.
 */
public final class ScalarOps {
    private ScalarOps() {}

    /** out[N,OC] = inp[N,C] · weight[OC,C]ᵀ + bias[OC]   (bias may be null). */
    public static void matmul(float[] out, float[] inp, float[] weight, float[] bias, int N, int C, int OC) {
        matmul(out, inp, weight, bias, N, C, OC, Activation.NONE);
    }

    /** out = act(inp · weightᵀ + bias). */
    public static void matmul(float[] out, float[] inp, float[] weight, float[] bias, int N, int C, int OC, Activation act) {
        for (int n = 0; n < N; n++) {
            int io = n * C, oo = n * OC;
            for (int o = 0; o < OC; o++) {
                int wo = o * C;
                float acc = bias == null ? 0f : bias[o];
                for (int c = 0; c < C; c++) acc += inp[io + c] * weight[wo + c];
                out[oo + o] = act.apply(acc);
            }
        }
    }

    /** out[N,C] = (inp − mean) / sqrt(var + eps) · gamma + beta, statistics per row (biased variance). */
    public static void layerNorm(float[] out, float[] inp, float[] gamma, float[] beta, int N, int C, float eps) {
        for (int n = 0; n < N; n++) {
            int off = n * C;
            float mean = 0f;
            for (int c = 0; c < C; c++) mean += inp[off + c];
            mean /= C;
            float var = 0f;
            for (int c = 0; c < C; c++) { float d = inp[off + c] - mean; var += d * d; }
            var /= C;
            float rstd = (float) (1.0 / Math.sqrt(var + eps));
            for (int c = 0; c < C; c++) out[off + c] = (inp[off + c] - mean) * rstd * gamma[c] + beta[c];
        }
    }

    static float quickGelu(float v) { return v / (1f + (float) Math.exp(-1.702f * v)); }

    /** 0.5x(1 + erf(x/√2)) = 0.5x·erfc(−x/√2): erfc keeps full relative precision where 1 + erf would cancel (x ≪ 0). */
    static float gelu(float x) { double v = x; return (float) (0.5 * v * Erf.erfc(-v * 0.70710678118654752440)); }

    private static final double TANH_K = Math.sqrt(2.0 / Math.PI);

    /** 0.5x(1 + tanh y) written as x / (1 + e^(−2y)) (the same function; no cancellation of 1 + tanh y for x ≪ 0). */
    static float geluTanh(float x) { double v = x; return (float) (v / (1.0 + Math.exp(-2.0 * TANH_K * (v + 0.044715 * v * v * v)))); }

    /** x[n] = x · sigmoid(1.702 x), in place, over the first n values. */
    public static void quickGelu(float[] x, int n) { for (int i = 0; i < n; i++) x[i] = quickGelu(x[i]); }

    /** x[n] = 0.5 x (1 + erf(x / √2)), in place (exact GELU, erfc in double). */
    public static void gelu(float[] x, int n) { for (int i = 0; i < n; i++) x[i] = gelu(x[i]); }

    /** x[n] = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), in place. */
    public static void geluTanh(float[] x, int n) { for (int i = 0; i < n; i++) x[i] = geluTanh(x[i]); }

    /** a[n] += b[n]. */
    public static void addInPlace(float[] a, float[] b, int n) { for (int i = 0; i < n; i++) a[i] += b[i]; }

    /** See {@link Ops#attention(float[], float[], int, int, int, int, boolean)}. */
    public static void attention(float[] out, float[] qkv, int B, int T, int C, int H, boolean causal) {
        attention(out, qkv, B, T, C, H, causal, null);
    }

    /** See {@link Ops#attention(float[], float[], int, int, int, int, boolean, int[])}. */
    public static void attention(float[] out, float[] qkv, int B, int T, int C, int H, boolean causal, int[] validKeys) {
        int D = C / H;
        float scale = (float) (1.0 / Math.sqrt(D));
        float[] scores = new float[T];
        for (int b = 0; b < B; b++) {
            int valid = validKeys == null ? T : Math.min(T, validKeys[b]);
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    int qOff = (b * T + t) * 3 * C + h * D;
                    int oOff = (b * T + t) * C + h * D;
                    int last = Math.min(causal ? t : T - 1, valid - 1);
                    for (int d = 0; d < D; d++) out[oOff + d] = 0f;
                    if (last < 0) continue;                       // every key masked: the output row is zero
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= last; s++) {
                        int kOff = (b * T + s) * 3 * C + C + h * D;
                        float dot = 0f;
                        for (int d = 0; d < D; d++) dot += qkv[qOff + d] * qkv[kOff + d];
                        dot *= scale;
                        scores[s] = dot;
                        if (dot > max) max = dot;
                    }
                    float sum = 0f;
                    for (int s = 0; s <= last; s++) { float e = (float) Math.exp(scores[s] - max); scores[s] = e; sum += e; }
                    float inv = 1f / sum;
                    for (int s = 0; s <= last; s++) {
                        float p = scores[s] * inv;
                        int vOff = (b * T + s) * 3 * C + 2 * C + h * D;
                        for (int d = 0; d < D; d++) out[oOff + d] += p * qkv[vOff + d];
                    }
                }
            }
        }
    }
}
