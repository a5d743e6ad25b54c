package io.clip4j.kernel;

/**
 * Forward kernels over flat float arrays, row-major, shapes in the signatures.
 * This is the contract the layers call; how each is computed (SIMD, threads) is this package's business.
 */
public final class Ops {
    private Ops() {}

    /** out[N,OC] = inp[N,C] · weight[OC,C]ᵀ + bias[OC]   (bias may be null; weight rows are contiguous). */
    public static void matmul(float[] out, float[] inp, float[] weight, float[] bias, int N, int C, int OC) {
        for (int n = 0; n < N; n++) {
            int io = n * C, oo = n * OC;
            for (int o = 0; o < OC; o++) {
                int wo = o * C;
                float acc = bias == null ? 0f : bias[o];
                for (int c = 0; c < C; c++) acc += inp[io + c] * weight[wo + c];
                out[oo + o] = acc;
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

    /** x[n] = x · sigmoid(1.702 x), in place, over the first n values. */
    public static void quickGelu(float[] x, int n) {
        for (int i = 0; i < n; i++) { float v = x[i]; x[i] = v / (1f + (float) Math.exp(-1.702f * v)); }
    }

    /** x[n] = 0.5 x (1 + erf(x / √2)), in place (exact GELU). */
    public static void gelu(float[] x, int n) {
        for (int i = 0; i < n; i++) { double v = x[i]; x[i] = (float) (0.5 * v * (1.0 + Erf.erf(v / Math.sqrt(2.0)))); }
    }

    /** x[n] = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), in place (GELU, tanh approximation). */
    public static void geluTanh(float[] x, int n) {
        final double k = Math.sqrt(2.0 / Math.PI);
        for (int i = 0; i < n; i++) { double v = x[i]; x[i] = (float) (0.5 * v * (1.0 + Math.tanh(k * (v + 0.044715 * v * v * v)))); }
    }

    /** a[n] += b[n]. */
    public static void addInPlace(float[] a, float[] b, int n) {
        for (int i = 0; i < n; i++) a[i] += b[i];
    }

    /**
     * Multi-head scaled dot-product attention.
     * qkv[B,T,3C] holds per token the query (cols 0..C), key (C..2C) and value (2C..3C), each split in H heads of D = C/H;
     * out[B,T,C] = concat over heads of softmax(q·kᵀ · D^-½ + mask) · v. With causal, token t attends to 0..t only.
     */
    public static void attention(float[] out, float[] qkv, int B, int T, int C, int H, boolean causal) {
        int D = C / H;
        float scale = (float) (1.0 / Math.sqrt(D));
        float[] scores = new float[T];
        for (int b = 0; b < B; b++) {
            for (int h = 0; h < H; h++) {
                for (int t = 0; t < T; t++) {
                    int qOff = (b * T + t) * 3 * C + h * D;
                    int last = causal ? t : T - 1;
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
                    int oOff = (b * T + t) * C + h * D;
                    for (int d = 0; d < D; d++) out[oOff + d] = 0f;
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
