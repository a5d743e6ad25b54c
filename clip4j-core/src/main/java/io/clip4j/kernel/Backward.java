package io.clip4j.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.util.Arrays;

/**
 * Backward kernels (and the few forwards that must save state for them), llm.c style: plain functions over flat
 * row-major float arrays, shapes in the signatures. Each backward is the adjoint of a forward in {@link Ops}.
 *
 * <p>Convention: every backward ACCUMULATES ({@code +=}) into its gradient outputs, so that a tensor used twice
 * (a residual, a shared weight) simply receives two contributions; callers zero gradient buffers when they need a
 * fresh gradient. A gradient output passed as null is not computed.
 *
 * <p>Results do not depend on the number of threads (tested): work is split over disjoint output tiles on the shared
 * {@link Parallel} pool, each output is summed in a fixed order (lane sums included), and the forward GEMM that large
 * matmul backwards use is thread-count independent as well.
 */
public final class Backward {
    private Backward() {}

    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    // ------------------------------------------------------------------------------------------------- threads


    // ------------------------------------------------------------------------------------------------- matmul

    /**
     * From about this many multiply-adds on, the two products go through the tuned forward GEMM with its weight
     * operand packed K-major ({@link Ops#matmulKMajor}); for dweight, dout is read K-major as it lies
     * ({@link Gemm#matmulTransposedA}), so nothing is transposed.
     */
    static long gemmPathMinMacs = 1L << 21;   // not final: the tests force either path

    /**
     * Adjoint of {@link Ops#matmul}: out[N,OC] = inp[N,C] · weight[OC,C]ᵀ + bias[OC].
     * <pre>
     *   dinp[N,C]     += dout[N,OC] · weight[OC,C]        = matmul(dout, weightᵀ[C,OC])
     *   dweight[OC,C] += dout[N,OC]ᵀ · inp[N,C]           = matmul(doutᵀ[OC,N], inpᵀ[C,N])
     *   dbias[OC]     += Σ_n dout[n,:]
     * </pre>
     * Any of dinp, dweight, dbias may be null. Large products run on the forward GEMM, reading the operands in the
     * order they lie (per-thread scratch for the product, reused); small ones on {@link #gemmAcc} (Vector API fma
     * tiles, threaded over output rows).
     */
    public static void matmulBackward(float[] dinp, float[] dweight, float[] dbias,
                                      float[] dout, float[] inp, float[] weight, int N, int C, int OC) {
        matmulBackward(dinp, true, dweight, dbias, dout, inp, weight, N, C, OC);
    }

    /**
     * As {@link #matmulBackward(float[], float[], float[], float[], float[], float[], int, int, int)}, but
     * dinp[N,C] = dout · weight is written, not added: for a dinp that would otherwise be zeroed first. On the GEMM
     * path the product then goes straight into dinp. dweight and dbias still accumulate.
     */
    public static void matmulBackwardSetInput(float[] dinp, float[] dweight, float[] dbias,
                                              float[] dout, float[] inp, float[] weight, int N, int C, int OC) {
        matmulBackward(dinp, false, dweight, dbias, dout, inp, weight, N, C, OC);
    }

    private static void matmulBackward(float[] dinp, boolean addToDinp, float[] dweight, float[] dbias,
                                       float[] dout, float[] inp, float[] weight, int N, int C, int OC) {
        boolean gemm = (long) N * C * OC >= gemmPathMinMacs;
        if (dinp != null) {
            if (gemm && !addToDinp) {
                Ops.matmulKMajor(dinp, dout, weight, null, N, OC, C);    // weight[OC,C] is weightᵀ K-major
            } else if (gemm) {
                Scratch s = SCRATCH.get();
                float[] tmp = s.c = grow(s.c, N * C);
                Ops.matmulKMajor(tmp, dout, weight, null, N, OC, C);
                addInto(dinp, tmp, N * C);
            } else {
                if (!addToDinp) Arrays.fill(dinp, 0, N * C, 0f);
                // dinp(i=n, j=c) += Σ_{k=o} dout[n·OC + o] · weight[o·C + c]
                Parallel.forWork(N, (long) OC * C, (lo, hi) -> gemmAcc(dinp, C, dout, OC, 1, weight, C, lo, hi, OC, C));
            }
        }
        if (dweight != null) {
            if (gemm) {
                Scratch s = SCRATCH.get();
                float[] tmp = s.c = grow(s.c, OC * C);
                Gemm.matmulTransposedA(tmp, dout, inp, null, OC, N, C);  // dout[N,OC] is doutᵀ K-major, inp[N,C] K-major
                addInto(dweight, tmp, OC * C);
            } else {
                // dweight(i=o, j=c) += Σ_{k=n} dout[n·OC + o] · inp[n·C + c]
                Parallel.forWork(OC, (long) N * C, (lo, hi) -> gemmAcc(dweight, C, dout, 1, OC, inp, C, lo, hi, N, C));
            }
        }
        if (dbias != null) {
            int ov = S.loopBound(OC);
            for (int n = 0; n < N; n++) {
                int r = n * OC, o = 0;
                for (; o < ov; o += L) FloatVector.fromArray(S, dbias, o).add(FloatVector.fromArray(S, dout, r + o)).intoArray(dbias, o);
                for (; o < OC; o++) dbias[o] += dout[r + o];
            }
        }
    }

    /** The product, per calling thread; grown on demand and kept (reused every step). */
    private static final class Scratch { float[] c = new float[0]; }
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private static float[] grow(float[] a, int n) { return a.length >= n ? a : new float[n]; }

    /** dst[cols, rows] = src[rows, cols]ᵀ, in 32×32 blocks, threaded over row blocks. */
    static void transpose(float[] dst, float[] src, int rows, int cols) {
        final int BS = 32;
        int blocks = (rows + BS - 1) / BS;
        Parallel.forWork(blocks, (long) BS * cols / 8, (lo, hi) -> {
            for (int rb = lo * BS; rb < Math.min(rows, hi * BS); rb += BS) {
                int re = Math.min(rows, rb + BS);
                for (int cb = 0; cb < cols; cb += BS) {
                    int ce = Math.min(cols, cb + BS);
                    for (int r = rb; r < re; r++) for (int c = cb; c < ce; c++) dst[c * rows + r] = src[r * cols + c];
                }
            }
        });
    }

    /** a[n] += b[n]. */
    private static void addInto(float[] a, float[] b, int n) {
        int i = 0, nv = S.loopBound(n);
        for (; i < nv; i += L) FloatVector.fromArray(S, a, i).add(FloatVector.fromArray(S, b, i)).intoArray(a, i);
        for (; i < n; i++) a[i] += b[i];
    }

    /**
     * Cm[i·ldc + j] += Σ_{k<K} A(i,k) · Bm[k·ldb + j]   for rows i in [i0,i1), columns j < NC,
     * where A(i,k) = A[i·ais + k·aks] (any strides: A may be read transposed).
     * Register tiles of 4 rows × 2 vectors; each column panel of Bm (K × 2 vectors) is reused by every row tile.
     */
    static void gemmAcc(float[] Cm, int ldc, float[] A, int ais, int aks, float[] Bm, int ldb,
                        int i0, int i1, int K, int NC) {
        int W2 = 2 * L, jv = NC - NC % W2;
        for (int j = 0; j < jv; j += W2) {
            int i = i0;
            for (; i + 4 <= i1; i += 4) tile4(Cm, ldc, A, ais, aks, Bm, ldb, i, j, K);
            for (; i < i1; i++) tile1(Cm, ldc, A, ais, aks, Bm, ldb, i, j, K);
        }
        if (jv < NC) {
            for (int i = i0; i < i1; i++) {
                int ai = i * ais, ci = i * ldc;
                for (int j = jv; j < NC; j++) {
                    float acc = Cm[ci + j];
                    for (int k = 0; k < K; k++) acc = Math.fma(A[ai + k * aks], Bm[k * ldb + j], acc);
                    Cm[ci + j] = acc;
                }
            }
        }
    }

    private static void tile4(float[] Cm, int ldc, float[] A, int ais, int aks, float[] Bm, int ldb, int i, int j, int K) {
        int c0 = i * ldc + j, c1 = c0 + ldc, c2 = c1 + ldc, c3 = c2 + ldc;
        FloatVector x00 = FloatVector.fromArray(S, Cm, c0), x01 = FloatVector.fromArray(S, Cm, c0 + L);
        FloatVector x10 = FloatVector.fromArray(S, Cm, c1), x11 = FloatVector.fromArray(S, Cm, c1 + L);
        FloatVector x20 = FloatVector.fromArray(S, Cm, c2), x21 = FloatVector.fromArray(S, Cm, c2 + L);
        FloatVector x30 = FloatVector.fromArray(S, Cm, c3), x31 = FloatVector.fromArray(S, Cm, c3 + L);
        int a0 = i * ais, a1 = a0 + ais, a2 = a1 + ais, a3 = a2 + ais;
        for (int k = 0, ak = 0, bk = j; k < K; k++, ak += aks, bk += ldb) {
            FloatVector b0 = FloatVector.fromArray(S, Bm, bk), b1 = FloatVector.fromArray(S, Bm, bk + L);
            FloatVector a = FloatVector.broadcast(S, A[a0 + ak]);
            x00 = a.fma(b0, x00); x01 = a.fma(b1, x01);
            a = FloatVector.broadcast(S, A[a1 + ak]);
            x10 = a.fma(b0, x10); x11 = a.fma(b1, x11);
            a = FloatVector.broadcast(S, A[a2 + ak]);
            x20 = a.fma(b0, x20); x21 = a.fma(b1, x21);
            a = FloatVector.broadcast(S, A[a3 + ak]);
            x30 = a.fma(b0, x30); x31 = a.fma(b1, x31);
        }
        x00.intoArray(Cm, c0); x01.intoArray(Cm, c0 + L);
        x10.intoArray(Cm, c1); x11.intoArray(Cm, c1 + L);
        x20.intoArray(Cm, c2); x21.intoArray(Cm, c2 + L);
        x30.intoArray(Cm, c3); x31.intoArray(Cm, c3 + L);
    }

    private static void tile1(float[] Cm, int ldc, float[] A, int ais, int aks, float[] Bm, int ldb, int i, int j, int K) {
        int c0 = i * ldc + j;
        FloatVector x0 = FloatVector.fromArray(S, Cm, c0), x1 = FloatVector.fromArray(S, Cm, c0 + L);
        int a0 = i * ais;
        for (int k = 0, ak = 0, bk = j; k < K; k++, ak += aks, bk += ldb) {
            FloatVector a = FloatVector.broadcast(S, A[a0 + ak]);
            x0 = a.fma(FloatVector.fromArray(S, Bm, bk), x0);
            x1 = a.fma(FloatVector.fromArray(S, Bm, bk + L), x1);
        }
        x0.intoArray(Cm, c0); x1.intoArray(Cm, c0 + L);
    }

    // ------------------------------------------------------------------------------------------------- layer norm

    /**
     * Forward of {@link Ops#layerNorm} that also saves what the backward needs: mean[N] and rstd[N] = 1/√(var + eps)
     * of each row of inp[N,C] (statistics accumulated in double). out[N,C] = (inp − mean)·rstd·gamma + beta.
     */
    public static void layerNormForward(float[] out, float[] mean, float[] rstd, float[] inp, float[] gamma, float[] beta,
                                        int N, int C, float eps) {
        // rows are independent: threaded over rows, the same values as one thread
        Parallel.forWork(N, 4L * C, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int off = n * C;
                double s = 0;
                for (int c = 0; c < C; c++) s += inp[off + c];
                float m = (float) (s / C);
                double v = 0;
                for (int c = 0; c < C; c++) { double d = inp[off + c] - m; v += d * d; }
                float r = (float) (1.0 / Math.sqrt(v / C + eps));
                mean[n] = m;
                rstd[n] = r;
                for (int c = 0; c < C; c++) out[off + c] = (inp[off + c] - m) * r * gamma[c] + beta[c];
            }
        });
    }

    /**
     * Adjoint of layer norm, with x̂ = (inp − mean)·rstd and g = dout·gamma (per row, C values):
     * <pre>
     *   dinp[n,c]  += rstd · ( g_c − mean_c(g) − x̂_c · mean_c(g·x̂) )
     *   dgamma[c]  += Σ_n dout[n,c] · x̂[n,c]
     *   dbeta[c]   += Σ_n dout[n,c]
     * </pre>
     * mean and rstd are those saved by {@link #layerNormForward}. dinp may be null.
     */
    public static void layerNormBackward(float[] dinp, float[] dgamma, float[] dbeta, float[] dout, float[] inp,
                                         float[] gamma, float[] mean, float[] rstd, int N, int C) {
        // dgamma, dbeta: sums over rows, threaded over channels in one range per thread (each reads its part of every
        // row once), each channel adding its rows in order: the same values for any thread count. Sums are kept in
        // task-local copies (neighbouring ranges share cache lines). First, so that dout is read before any of dinp is
        // written (dinp may be dout). The vector loop does the scalar operations lane by lane (no fma): same values.
        if (dgamma != null || dbeta != null) {
            int ranges = (long) N * C < Parallel.MIN_CHUNK_WORK ? 1 : Math.min(Parallel.parallelism(), Math.max(1, C / (4 * L)));
            Parallel.forRange(C, ranges, (lo, hi) -> {
                float[] sg = dgamma != null ? Arrays.copyOfRange(dgamma, lo, hi) : new float[hi - lo];
                float[] sb = dbeta != null ? Arrays.copyOfRange(dbeta, lo, hi) : new float[hi - lo];
                int width = hi - lo, vw = S.loopBound(width);
                for (int n = 0; n < N; n++) {
                    int off = n * C + lo;
                    float m = mean[n], r = rstd[n];
                    int j = 0;
                    for (; j < vw; j += L) {
                        FloatVector d = FloatVector.fromArray(S, dout, off + j);
                        FloatVector xh = FloatVector.fromArray(S, inp, off + j).sub(m).mul(r);
                        FloatVector.fromArray(S, sg, j).add(d.mul(xh)).intoArray(sg, j);
                        FloatVector.fromArray(S, sb, j).add(d).intoArray(sb, j);
                    }
                    for (; j < width; j++) {
                        float d = dout[off + j];
                        sg[j] += d * ((inp[off + j] - m) * r);
                        sb[j] += d;
                    }
                }
                if (dgamma != null) System.arraycopy(sg, 0, dgamma, lo, width);
                if (dbeta != null) System.arraycopy(sb, 0, dbeta, lo, width);
            });
        }
        // dinp: rows are independent, threaded over rows
        if (dinp != null) Parallel.forWork(N, 8L * C, (lo, hi) -> {
            for (int n = lo; n < hi; n++) {
                int off = n * C;
                float m = mean[n], r = rstd[n];
                double gMean = 0, gxMean = 0;
                for (int c = 0; c < C; c++) {
                    float xh = (inp[off + c] - m) * r;
                    float g = dout[off + c] * gamma[c];
                    gMean += g;
                    gxMean += (double) g * xh;
                }
                float gm = (float) (gMean / C), gxm = (float) (gxMean / C);
                for (int c = 0; c < C; c++) {
                    float xh = (inp[off + c] - m) * r;
                    dinp[off + c] += r * (dout[off + c] * gamma[c] - gm - xh * gxm);
                }
            }
        });
    }

    // ------------------------------------------------------------------------------------------------- attention

    /**
     * Forward of {@link Ops#attention} that saves the softmax weights probs[B,H,T,T] (row (b,h,t) holds the weights over
     * keys s; with causal, entries s > t are 0). qkv[B,T,3C] = (q | k | v) per token, heads of D = C/H columns;
     * out[B,T,C] = concat_h softmax(q·kᵀ·D^-½ + mask)·v. The inference kernel ({@link Attention}: the GEMM
     * micro-kernel for q·kᵀ and P·v, a vectorised softmax), copying each row of weights out as it goes.
     */
    public static void attentionForward(float[] out, float[] probs, float[] qkv, int B, int T, int C, int H, boolean causal) {
        Attention.attention(out, probs, qkv, B, T, C, H, causal, null);
    }

    /**
     * Adjoint of attention, per (b, h) with P = probs, scores z = D^-½·q·kᵀ, out = P·v:
     * <pre>
     *   dv[s]   += Σ_t P[t,s] · dout[t]
     *   dP[t,s]  = dout[t] · v[s]
     *   dz[t,s]  = P[t,s] · (dP[t,s] − Σ_u P[t,u]·dP[t,u])          (softmax backward; masked entries have P = 0)
     *   dq[t]   += D^-½ · Σ_s dz[t,s] · k[s]
     *   dk[s]   += D^-½ · Σ_t dz[t,s] · q[t]
     * </pre>
     * into dqkv[B,T,3C] (q, k, v column blocks). Threads take disjoint (b, h) pairs.
     */
    public static void attentionBackward(float[] dqkv, float[] dout, float[] qkv, float[] probs,
                                         int B, int T, int C, int H, boolean causal) {
        PaddedAttention.backward(dqkv, dout, qkv, probs, B, T, C, H, causal, null); // no key mask: every row is real
    }

    /**
     * One query per item attending over T keys: SigLIP's attention-pooling (MAP) head, whose learned probe is the
     * query of every item. q[D] (shared by the batch), kv[B,T,2D] = (k | v) per token, heads of hd = D/H columns;
     * keys t ≥ validKeys[b] are masked (validKeys null = none, every key visible). Saves probs[B,H,T] (0 at masked keys).
     * <pre>
     *   out[b, h] = Σ_t softmax_t( q[h] · k[b,t,h] · hd^-½ ) · v[b,t,h]          out[B,D]
     * </pre>
     */
    public static void probeAttentionForward(float[] out, float[] probs, float[] q, float[] kv, int B, int T, int D, int H, int[] validKeys) {
        int hd = D / H, D2 = 2 * D;
        float scale = (float) (1.0 / Math.sqrt(hd));
        Parallel.forWork(B * H, (long) T * hd * 2, (lo, hi) -> {
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / H, h = bh % H, p = bh * T, valid = validKeys == null ? T : validKeys[b];
                float max = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < valid; t++) {
                    float dot = dot(q, h * hd, kv, (b * T + t) * D2 + h * hd, hd) * scale;
                    probs[p + t] = dot;
                    if (dot > max) max = dot;
                }
                float sum = 0f;
                for (int t = 0; t < valid; t++) { float e = (float) Math.exp(probs[p + t] - max); probs[p + t] = e; sum += e; }
                float inv = 1f / sum;
                for (int t = 0; t < valid; t++) probs[p + t] *= inv;
                for (int t = valid; t < T; t++) probs[p + t] = 0f;
                int o = b * D + h * hd;
                for (int d = 0; d < hd; d++) out[o + d] = 0f;
                for (int t = 0; t < valid; t++) axpy(probs[p + t], kv, (b * T + t) * D2 + D + h * hd, out, o, hd);
            }
        });
    }

    /**
     * Adjoint of {@link #probeAttentionForward}, per (b, h) with P = probs[b,h,:], z = hd^-½·q·kᵀ:
     * <pre>
     *   dv[b,t] += P[t] · dout[b]
     *   dP[t]    = dout[b] · v[b,t]
     *   dz[t]    = P[t] · (dP[t] − Σ_u P[u]·dP[u])                 (masked keys have P = 0: no gradient)
     *   dk[b,t] += hd^-½ · dz[t] · q
     *   dq      += hd^-½ · Σ_b Σ_t dz[t] · k[b,t]                  (the query is shared: summed over the batch)
     * </pre>
     * into dq[D] and dkv[B,T,2D] (k, v column blocks). Threads take disjoint (b, h) pairs; each item's share of dq
     * is summed afterwards in item order, so the result does not depend on the thread count.
     */
    public static void probeAttentionBackward(float[] dq, float[] dkv, float[] dout, float[] q, float[] kv, float[] probs,
                                              int B, int T, int D, int H, int[] validKeys) {
        int hd = D / H, D2 = 2 * D;
        float scale = (float) (1.0 / Math.sqrt(hd));
        float[] dqItem = new float[B * D];
        Parallel.forWork(B * H, (long) T * hd * 4, (lo, hi) -> {
            float[] dz = new float[T];
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / H, h = bh % H, p = bh * T, o = b * D + h * hd, valid = validKeys == null ? T : validKeys[b];
                float sum = 0f;
                for (int t = 0; t < valid; t++) {
                    int v = (b * T + t) * D2 + D + h * hd;
                    float dp = dot(dout, o, kv, v, hd);
                    axpy(probs[p + t], dout, o, dkv, v, hd);          // dv[b,t] += P[t]·dout[b]
                    dz[t] = dp;
                    sum += probs[p + t] * dp;
                }
                for (int t = 0; t < valid; t++) {
                    float g = probs[p + t] * (dz[t] - sum) * scale;
                    int k = (b * T + t) * D2 + h * hd;
                    axpy(g, kv, k, dqItem, o, hd);                     // dq (item b's share) += g·k[b,t]
                    axpy(g, q, h * hd, dkv, k, hd);                    // dk[b,t] += g·q
                }
            }
        });
        for (int b = 0; b < B; b++) for (int d = 0; d < D; d++) dq[d] += dqItem[b * D + d];
    }

    /**
     * Self-attention for one query row per item, saving its softmax weights: the last block of a tower whose output
     * is read at one row per item. qkv[·,3C] = (q | k | v) per row, heads of D = C/H columns; item b's query is row
     * queryRow[b] and its keys are rows [keyStart[b], keyStart[b] + keyCount[b]) (the caller applies a causal or
     * padding limit through that range; the ranges of different items must not overlap).
     * <pre>
     *   probs[b,h,s] = softmax_s( q[queryRow b, h] · k[keyStart b + s, h] · D^-½ )     s < keyCount[b], else 0
     *   out[b, h]    = Σ_s probs[b,h,s] · v[keyStart b + s, h]                          out[B,C], probs[B,H,T]
     * </pre>
     * T is the stride of probs (≥ every keyCount). An item with no key gets a zero row.
     */
    public static void pooledAttentionForward(float[] out, float[] probs, float[] qkv, int[] queryRow, int[] keyStart, int[] keyCount,
                                              int B, int T, int C, int H) {
        // the inference kernel, saving its weights (as attentionForward uses the inference attention); it checks the
        // shapes, rows and key counts
        Attention.pooledQueries(out, probs, T, qkv, queryRow, keyStart, keyCount, B, C, H);
    }

    /**
     * Adjoint of {@link #pooledAttentionForward}, per (b, h) with P = probs[b,h,:], z = D^-½·q·kᵀ:
     * <pre>
     *   dv[s]  += P[s] · dout[b]
     *   dP[s]   = dout[b] · v[s]
     *   dz[s]   = P[s] · (dP[s] − Σ_u P[u]·dP[u])
     *   dq     += D^-½ · Σ_s dz[s] · k[s]           (row queryRow[b] only: no other query was computed)
     *   dk[s]  += D^-½ · dz[s] · q
     * </pre>
     * into dqkv[·,3C] (q, k, v column blocks). Each item's query row must be one of its keys, and the items' key
     * ranges must follow one another without overlap (checked). Threads take disjoint (b, h) pairs, which then write
     * disjoint parts of dqkv (items' rows do not overlap, heads' columns do not), so the result does not depend on the
     * thread count.
     */
    public static void pooledAttentionBackward(float[] dqkv, float[] dout, float[] qkv, float[] probs, int[] queryRow, int[] keyStart,
                                               int[] keyCount, int B, int T, int C, int H) {
        checkPooled(qkv, queryRow, keyStart, keyCount, B, T, C, H);
        if (dqkv.length < (long) (maxRow(queryRow, keyStart, keyCount, B) + 1) * 3 * C)
            throw new IllegalArgumentException("dqkv too short");
        if (dout.length < (long) B * C) throw new IllegalArgumentException("dout too short");
        if (probs.length < (long) B * H * T) throw new IllegalArgumentException("probs too short");
        // the threads' writes are disjoint only if each item's query is one of its keys and the items' key ranges follow
        // one another without overlap
        for (int b = 0; b < B; b++) {
            if (queryRow[b] < keyStart[b] || queryRow[b] >= keyStart[b] + keyCount[b])
                throw new IllegalArgumentException("item " + b + ": query row " + queryRow[b] + " is not one of its keys");
            if (b > 0 && keyStart[b] < keyStart[b - 1] + keyCount[b - 1])
                throw new IllegalArgumentException("item " + b + ": keys overlap the previous item's");
        }
        int D = C / H, C3 = 3 * C;
        float scale = (float) (1.0 / Math.sqrt(D));
        Parallel.forWork(B * H, (long) T * D * 4, (lo, hi) -> {
            float[] dz = new float[T];
            for (int bh = lo; bh < hi; bh++) {
                int b = bh / H, h = bh % H, p = bh * T, keys = keyCount[b], k0 = keyStart[b], o = b * C + h * D;
                int q = queryRow[b] * C3 + h * D;
                float sum = 0f;
                for (int s = 0; s < keys; s++) {
                    int v = (k0 + s) * C3 + 2 * C + h * D;
                    float dp = dot(dout, o, qkv, v, D);
                    axpy(probs[p + s], dout, o, dqkv, v, D);           // dv[s] += P[s]·dout[b]
                    dz[s] = dp;
                    sum += probs[p + s] * dp;
                }
                for (int s = 0; s < keys; s++) {
                    float g = probs[p + s] * (dz[s] - sum) * scale;
                    int k = (k0 + s) * C3 + C + h * D;
                    axpy(g, qkv, k, dqkv, q, D);                        // dq += g·k[s]
                    axpy(g, qkv, q, dqkv, k, D);                        // dk[s] += g·q
                }
            }
        });
    }

    private static void checkPooled(float[] qkv, int[] queryRow, int[] keyStart, int[] keyCount, int B, int T, int C, int H) {
        if (B < 0 || H <= 0 || C % H != 0) throw new IllegalArgumentException("C=" + C + " is not divisible by H=" + H);
        if (queryRow.length < B || keyStart.length < B || keyCount.length < B) throw new IllegalArgumentException("row arrays shorter than B");
        for (int b = 0; b < B; b++)
            if (queryRow[b] < 0 || keyStart[b] < 0 || keyCount[b] < 0 || keyCount[b] > T)
                throw new IllegalArgumentException("item " + b + ": query row " + queryRow[b] + ", keys [" + keyStart[b] + ", +" + keyCount[b] + ") with T=" + T);
        if ((long) (maxRow(queryRow, keyStart, keyCount, B) + 1) * 3 * C > qkv.length) throw new IllegalArgumentException("rows outside qkv");
    }

    private static int maxRow(int[] queryRow, int[] keyStart, int[] keyCount, int B) {
        int m = -1;
        for (int b = 0; b < B; b++) m = Math.max(m, Math.max(queryRow[b], keyStart[b] + keyCount[b] - 1));
        return m;
    }

    /**
     * Σ_d a[ao + d]·b[bo + d]: vector fma per lane, then the lanes added in a fixed order (reduceLanes(ADD) may add
     * in another order before and after JIT compilation, which would make results depend on warm-up).
     */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        int d = 0;
        float acc = 0f;
        if (n >= L) {
            FloatVector v = FloatVector.zero(S);
            int nv = S.loopBound(n);
            for (; d < nv; d += L) v = FloatVector.fromArray(S, a, ao + d).fma(FloatVector.fromArray(S, b, bo + d), v);
            for (int i = 0; i < L; i++) acc += v.lane(i);
        }
        for (; d < n; d++) acc = Math.fma(a[ao + d], b[bo + d], acc);
        return acc;
    }

    /** y[yo + d] += alpha·x[xo + d], d < n. */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        int d = 0, nv = S.loopBound(n);
        if (nv > 0) {
            FloatVector a = FloatVector.broadcast(S, alpha);
            for (; d < nv; d += L) a.fma(FloatVector.fromArray(S, x, xo + d), FloatVector.fromArray(S, y, yo + d)).intoArray(y, yo + d);
        }
        for (; d < n; d++) y[yo + d] = Math.fma(alpha, x[xo + d], y[yo + d]);
    }

    // ------------------------------------------------------------------------------------------------- activations

    /**
     * dinp[n] += dout · d/dx [x·σ(1.702x)] = dout · (σ + 1.702·x·σ·(1 − σ)), σ = σ(1.702x), x = inp (pre-activation).
     * Float lanes with {@link VecMath#exp} (the same bits in every JIT tier; the scalar tail repeats the lanes'
     * operations), threaded over chunks.
     */
    public static void quickGeluBackward(float[] dinp, float[] inp, float[] dout, int n) {
        Parallel.forWork(n, 16, (lo, hi) -> {
            int i = lo, upper = lo + Vec.S.loopBound(hi - lo);
            FloatVector one = FloatVector.broadcast(Vec.S, 1f);
            for (; i < upper; i += Vec.VL) {
                FloatVector kx = FloatVector.fromArray(Vec.S, inp, i).mul(1.702f);
                FloatVector sg = one.div(VecMath.exp(kx.neg()).add(1f));
                FloatVector d = kx.mul(sg).fma(one.sub(sg), sg);
                FloatVector.fromArray(Vec.S, dout, i).fma(d, FloatVector.fromArray(Vec.S, dinp, i)).intoArray(dinp, i);
            }
            for (; i < hi; i++) {
                float kx = inp[i] * 1.702f, sg = 1f / (VecMath.exp(-kx) + 1f);
                dinp[i] = Math.fma(dout[i], Math.fma(kx * sg, 1f - sg, sg), dinp[i]);
            }
        });
    }

    /** dinp[n] += dout · (Φ(x) + x·φ(x)) for exact GELU x·Φ(x), Φ(x) = ½(1 + erf(x/√2)), φ the normal density. */
    public static void geluBackward(float[] dinp, float[] inp, float[] dout, int n) {
        final double invSqrt2 = 1.0 / Math.sqrt(2.0), invSqrt2Pi = 1.0 / Math.sqrt(2.0 * Math.PI);
        for (int i = 0; i < n; i++) {
            double x = inp[i];
            double cdf = 0.5 * (1.0 + Erf.erf(x * invSqrt2)), pdf = Math.exp(-0.5 * x * x) * invSqrt2Pi;
            dinp[i] += (float) (dout[i] * (cdf + x * pdf));
        }
    }

    /**
     * dinp[n] += dout · d/dx [½x(1 + tanh u)], u = √(2/π)(x + 0.044715x³):
     * ½(1 + tanh u) + ½x·(1 − tanh²u)·√(2/π)(1 + 3·0.044715x²).
     */
    public static void geluTanhBackward(float[] dinp, float[] inp, float[] dout, int n) {
        final double k = Math.sqrt(2.0 / Math.PI);
        for (int i = 0; i < n; i++) {
            double x = inp[i], th = Math.tanh(k * (x + 0.044715 * x * x * x));
            double d = 0.5 * (1.0 + th) + 0.5 * x * (1.0 - th * th) * k * (1.0 + 3.0 * 0.044715 * x * x);
            dinp[i] += (float) (dout[i] * d);
        }
    }

    // ------------------------------------------------------------------------------------------------- residual, embeddings, pooling

    /** Adjoint of out = a + b ({@link Ops#addInPlace}): da[n] += dout, db[n] += dout (either may be null). */
    public static void residualBackward(float[] da, float[] db, float[] dout, int n) {
        if (da != null) for (int i = 0; i < n; i++) da[i] += dout[i];
        if (db != null) for (int i = 0; i < n; i++) db[i] += dout[i];
    }

    /**
     * Adjoint of x[b,t,:] = tokens[ids[b·L + t], :] + positions[t, :] for t < T (ids rows of stride L ≥ T):
     * dtokens[ids[b,t], :] += dout[b,t,:] (scatter-add: repeated ids accumulate), dpositions[t, :] += Σ_b dout[b,t,:].
     * Either gradient may be null.
     */
    public static void embeddingBackward(float[] dtokens, float[] dpositions, float[] dout, int[] ids, int B, int L, int T, int C) {
        for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) {
            int o = (b * T + t) * C;
            if (dtokens != null) { int r = ids[b * L + t] * C; for (int c = 0; c < C; c++) dtokens[r + c] += dout[o + c]; }
            if (dpositions != null) { int r = t * C; for (int c = 0; c < C; c++) dpositions[r + c] += dout[o + c]; }
        }
    }

    /**
     * im2col for a stride-P, kernel-P convolution over pixels[B,3,S,S] (CHW), G = S/P:
     * patches[b·G² + gy·G + gx, (ch·P + py)·P + px] = pixels[b, ch, gy·P + py, gx·P + px]  → patches[B·G², 3·P·P].
     */
    public static void patchify(float[] patches, float[] pixels, int B, int S, int P) {
        int G = S / P, K = 3 * P * P;
        for (int b = 0; b < B; b++) for (int gy = 0; gy < G; gy++) for (int gx = 0; gx < G; gx++) {
            int row = ((b * G + gy) * G + gx) * K;
            for (int ch = 0; ch < 3; ch++) for (int py = 0; py < P; py++)
                System.arraycopy(pixels, ((b * 3 + ch) * S + gy * P + py) * S + gx * P, patches, row + (ch * P + py) * P, P);
        }
    }

    /**
     * Adjoint of the patch embedding out[B·G², C] = patchify(pixels)[B·G², K] · weight[C, K]ᵀ (+ bias[C]), K = 3·P·P:
     * dweight[C,K] += doutᵀ·patches; dbias += Σ dout; dpixels[B,3,S,S] += col2im(dout·weight) (patches do not
     * overlap, so col2im is a scatter of each patch row back to its pixels). dpixels and dbias may be null.
     */
    public static void patchEmbedBackward(float[] dpixels, float[] dweight, float[] dbias, float[] dout, float[] patches,
                                          float[] weight, int B, int S, int P, int C) {
        int G = S / P, K = 3 * P * P, N = B * G * G;
        float[] dpatches = dpixels == null ? null : new float[N * K];
        matmulBackward(dpatches, dweight, dbias, dout, patches, weight, N, K, C);
        if (dpixels == null) return;
        for (int b = 0; b < B; b++) for (int gy = 0; gy < G; gy++) for (int gx = 0; gx < G; gx++) {
            int row = ((b * G + gy) * G + gx) * K;
            for (int ch = 0; ch < 3; ch++) for (int py = 0; py < P; py++) {
                int dst = ((b * 3 + ch) * S + gy * P + py) * S + gx * P, src = row + (ch * P + py) * P;
                for (int px = 0; px < P; px++) dpixels[dst + px] += dpatches[src + px];
            }
        }
    }

    /** Pooling: out[b,:] = x[b, idx[b], :] for x[B,T,C] → out[B,C] (class token: idx = 0; text: the EOT position). */
    public static void poolRows(float[] out, float[] x, int[] idx, int B, int T, int C) {
        for (int b = 0; b < B; b++) System.arraycopy(x, (b * T + idx[b]) * C, out, b * C, C);
    }

    /** Adjoint of {@link #poolRows}: dx[b, idx[b], :] += dout[b, :] (every other row receives nothing). */
    public static void poolRowsBackward(float[] dx, float[] dout, int[] idx, int B, int T, int C) {
        for (int b = 0; b < B; b++) {
            int o = (b * T + idx[b]) * C;
            for (int c = 0; c < C; c++) dx[o + c] += dout[b * C + c];
        }
    }

    // ------------------------------------------------------------------------------------------------- L2 normalisation

    /** F.normalize's clamp on the norm. */
    public static final float NORM_EPS = 1e-12f;

    /** out[N,C] = inp / max(‖inp‖₂, 1e-12) per row, saving norm[N] = ‖inp‖₂ (accumulated in double). */
    public static void l2NormalizeForward(float[] out, float[] norm, float[] inp, int N, int C) {
        for (int n = 0; n < N; n++) {
            int off = n * C;
            double s = 0;
            for (int c = 0; c < C; c++) s += (double) inp[off + c] * inp[off + c];
            float nrm = (float) Math.sqrt(s), den = Math.max(nrm, NORM_EPS);
            norm[n] = nrm;
            for (int c = 0; c < C; c++) out[off + c] = inp[off + c] / den;
        }
    }

    /**
     * Adjoint of y = x / ‖x‖: dx += (dy − y·(y·dy)) / ‖x‖ (the Jacobian I/‖x‖ − x xᵀ/‖x‖³); where the norm is clamped
     * (‖x‖ ≤ 1e-12, y = x/1e-12 is linear in x) dx += dy / 1e-12. out and norm are those of the forward.
     */
    public static void l2NormalizeBackward(float[] dinp, float[] dout, float[] out, float[] norm, int N, int C) {
        for (int n = 0; n < N; n++) {
            int off = n * C;
            if (norm[n] <= NORM_EPS) {
                for (int c = 0; c < C; c++) dinp[off + c] += dout[off + c] / NORM_EPS;
                continue;
            }
            double yd = 0;
            for (int c = 0; c < C; c++) yd += (double) out[off + c] * dout[off + c];
            float ydf = (float) yd, inv = 1f / norm[n];
            for (int c = 0; c < C; c++) dinp[off + c] += (dout[off + c] - out[off + c] * ydf) * inv;
        }
    }
}
