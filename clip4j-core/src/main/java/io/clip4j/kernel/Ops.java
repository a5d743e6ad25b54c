package io.clip4j.kernel;

/**
 * Forward kernels over flat float arrays, row-major, shapes in the signatures.
 * This is the contract the layers call; how each is computed (SIMD, threads) is this package's business.
 *
 * <p>The kernels are vectorised with the incubating Vector API and use the shared {@link Parallel} pool for big
 * problems. They are safe to call from several threads at once (scratch is per thread) and from inside pool threads
 * (they then run inline). {@link ScalarOps} holds a plain scalar twin of each, with the same semantics; results
 * agree up to float summation order.
 */
public final class Ops {
    private Ops() {}

    /** out[N,OC] = inp[N,C] · weight[OC,C]ᵀ + bias[OC]   (bias may be null; weight rows are contiguous). */
    public static void matmul(float[] out, float[] inp, float[] weight, float[] bias, int N, int C, int OC) {
        Gemm.matmul(out, inp, weight, bias, N, C, OC, Activation.NONE);
    }

    /** out[N,OC] = act(inp[N,C] · weight[OC,C]ᵀ + bias[OC]), the activation fused into the GEMM epilogue. */
    public static void matmul(float[] out, float[] inp, float[] weight, float[] bias, int N, int C, int OC, Activation act) {
        Gemm.matmul(out, inp, weight, bias, N, C, OC, act == null ? Activation.NONE : act);
    }

    /** out[N,OC] = inp[N,C] · wKN[C,OC] + bias[OC]: the weight K-major (the transpose of matmul's), same bits as
     *  matmul on the transposed weight; the backward passes use it to skip a transpose. */
    public static void matmulKMajor(float[] out, float[] inp, float[] wKN, float[] bias, int N, int C, int OC) {
        Gemm.matmulKMajor(out, inp, wKN, bias, N, C, OC, Activation.NONE);
    }

    /** As {@link #matmul(float[], float[], float[], float[], int, int, int, Activation)} with weight[OC,C] in a {@link WeightMatrix}. */
    public static void matmul(float[] out, float[] inp, WeightMatrix weight, float[] bias, int N, int C, int OC, Activation act) {
        Gemm.matmul(out, inp, weight, bias, N, C, OC, act == null ? Activation.NONE : act);
    }

    /**
     * out[N,OC] += inp[N,C] · weight[OC,C]ᵀ + bias[OC] (bias may be null): a residual branch added onto its stream
     * without a separate pass. Equals {@link #matmul} followed by {@link #addInPlace} up to float rounding (exactly so
     * for few rows).
     */
    public static void matmulAdd(float[] out, float[] inp, float[] weight, float[] bias, int N, int C, int OC) {
        Gemm.matmulAdd(out, inp, weight, null, bias, N, C, OC);
    }

    /** As {@link #matmulAdd(float[], float[], float[], float[], int, int, int)} with weight[OC,C] in a {@link WeightMatrix}. */
    public static void matmulAdd(float[] out, float[] inp, WeightMatrix weight, float[] bias, int N, int C, int OC) {
        Gemm.matmulAdd(out, inp, null, weight, bias, N, C, OC);
    }

    /** out[N,C] = (inp − mean) / sqrt(var + eps) · gamma + beta, statistics per row (biased variance). out may be inp. */
    public static void layerNorm(float[] out, float[] inp, float[] gamma, float[] beta, int N, int C, float eps) {
        Elementwise.layerNorm(out, inp, gamma, beta, N, C, eps);
    }

    /** x[n] = x · sigmoid(1.702 x), in place, over the first n values. */
    public static void quickGelu(float[] x, int n) {
        Elementwise.activation(Activation.QUICK_GELU, x, n);
    }

    /** x[n] = 0.5 x (1 + erf(x / √2)), in place (exact GELU; erfc-based, relative error ~1e-6 or better). */
    public static void gelu(float[] x, int n) {
        Elementwise.activation(Activation.GELU, x, n);
    }

    /** x[n] = 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))), in place (GELU, tanh approximation). */
    public static void geluTanh(float[] x, int n) {
        Elementwise.activation(Activation.GELU_TANH, x, n);
    }

    /** x[n] = act(x), in place. */
    public static void activation(Activation act, float[] x, int n) {
        Elementwise.activation(act, x, n);
    }

    /** a[n] += b[n]. */
    public static void addInPlace(float[] a, float[] b, int n) {
        Elementwise.addInPlace(a, b, n);
    }

    /** x[b·n + i] += row[i] for b < B, i < n (the same row added to each of B consecutive blocks of n values). */
    public static void addBroadcast(float[] x, float[] row, int B, int n) {
        Elementwise.addBroadcast(x, row, B, n);
    }

    /**
     * Multi-head scaled dot-product attention.
     * qkv[B,T,3C] holds per token the query (cols 0..C), key (C..2C) and value (2C..3C), each split in H heads of D = C/H;
     * out[B,T,C] = concat over heads of softmax(q·kᵀ · D^-½ + mask) · v. With causal, token t attends to 0..t only.
     */
    public static void attention(float[] out, float[] qkv, int B, int T, int C, int H, boolean causal) {
        Attention.attention(out, qkv, B, T, C, H, causal, null);
    }

    /**
     * As {@link #attention(float[], float[], int, int, int, int, boolean)} with a key-padding mask: for batch item b,
     * keys at index ≥ validKeys[b] are masked out (on top of the causal mask, if any). validKeys null = no mask.
     * A query row that sees no key at all (validKeys[b] = 0) gets a zero output.
     */
    public static void attention(float[] out, float[] qkv, int B, int T, int C, int H, boolean causal, int[] validKeys) {
        Attention.attention(out, qkv, B, T, C, H, causal, validKeys);
    }

    /**
     * Attention over B sequences of different lengths packed without padding: sequence b is rows
     * [offsets[b], offsets[b+1]) of qkv[N,3C] and out[N,C], N = offsets[B], and attends only to its own tokens.
     * Each sequence gets the values it gets alone.
     */
    public static void attentionPacked(float[] out, float[] qkv, int[] offsets, int B, int C, int H, boolean causal) {
        Attention.attentionPacked(out, qkv, offsets, B, C, H, causal);
    }

    /**
     * Attention for one query row per batch item (the rows a tower's output is read at): out[b] (dense, [B,C]) is the
     * attention of row queryRow[b] of qkv[·,3C] over the key/value rows [keyStart[b], keyStart[b] + keyCount[b]).
     * Equal, to rounding, to row queryRow[b] of the full attention when the range is the keys that row sees.
     */
    public static void attentionPooled(float[] out, float[] qkv, int[] queryRow, int[] keyStart, int[] keyCount, int B, int C, int H) {
        Attention.pooledQueries(out, qkv, queryRow, keyStart, keyCount, B, C, H);
    }
}
