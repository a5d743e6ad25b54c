package io.clip4j.kernel;

import static io.clip4j.kernel.Vec.S;
import static io.clip4j.kernel.Vec.VL;

import jdk.incubator.vector.FloatVector;

/**
 * Packed, register-blocked GEMM for out[N,OC] = act(inp[N,C] · W[OC,C]ᵀ + bias).
 *
 * <p>Layout: the weight is packed per call, KC rows of k at a time, into panels of NR = 2 vectors of output channels
 * (panel-major, then k, then the NR channels: the transpose the micro-kernel wants). The input is not packed: the
 * micro-kernel broadcasts A straight from MR = 6 rows of {@code inp} (six contiguous streams), so only row tails go
 * through a zero-padded copy. The micro-kernel keeps a 6 × NR block of out in 12 vector accumulators
 * (6×16 floats on AVX2, 6×32 on AVX-512) and per k does 2 loads, 6 broadcasts, 12 FMAs. The epilogue adds the bias
 * (first K block) or the partial sum already in out (later K blocks); the activation is applied after the last K block.
 * {@link #matmulAdd} (a residual branch) starts from what out holds and adds the bias after the last K block.
 *
 * <p>Threads: the OC panels are cut into column blocks (about {@link #TASKS_PER_THREAD} per thread, at most NC
 * channels; when there are few channels the rows are split too); each task packs its own weight block into a
 * per-thread workspace and sweeps all its rows, so packing is amortised over N and no task shares scratch with another
 * (a K-major weight whose rows are split is instead packed whole once, by the caller, and only read by the tasks).
 *
 * <p>Shapes with few rows take other routes: N ≤ {@link #GEMV_N} a matrix-vector loop (no packing), N ≤ {@link #SMALL_N}
 * with N < OC the transposed product of {@link #matmulSmallN} (packs the small input instead of the big weight).
 * Results do not depend on the thread count: every output element is summed in the same order whatever the split.
 */
final class Gemm {
    private Gemm() {}

    static final int MR = 6;
    static final int NR = 2 * VL;
    static final int KC = Math.max(16, Integer.getInteger("clip4j.gemm.kc", 1024));
    static final int MC = Math.max(MR, Integer.getInteger("clip4j.gemm.mc", 96) / MR * MR);
    static final int NC = Math.max(NR, Integer.getInteger("clip4j.gemm.nc", 384) / NR * NR);
    /** Up to this many rows the product is a matrix-vector one (see {@link #gemv}). */
    static final int GEMV_N = Integer.getInteger("clip4j.gemm.gemvN", 3);
    /** Up to this many rows (and fewer rows than channels) the product is computed transposed, see {@link #matmulSmallN}. */
    static final int SMALL_N = Math.min(NC, Integer.getInteger("clip4j.gemm.smallN", 384));
    /** K block of the small-N path. */
    static final int SMALL_KC = Math.max(16, Integer.getInteger("clip4j.gemm.smallKC", 256));
    /** Channels per chunk of the small-N path (bounds its accumulator buffer). */
    static final int SMALL_OC = Math.max(MR, Integer.getInteger("clip4j.gemm.smallOC", 512) / MR * MR);
    /** Tasks per thread when a product is split (small tasks let idle threads take over a descheduled one's share). */
    static final int TASKS_PER_THREAD = Math.max(1, Integer.getInteger("clip4j.gemm.tasksPerThread", 8));
    /** Below this many multiply-adds a call runs on the calling thread only. */
    static final long PARALLEL_MIN_MACS = Long.getLong("clip4j.gemm.parallelMinMacs", 1L << 20);

    /** Scratch of one running task: the packed weight block, a zero-padded copy of tail rows, a tile for partial outputs. */
    private static final class Workspace {
        // allocated up front (about 2.5 MB): a lazy allocation is a branch that compiled kernels may not have seen
        // taken, and taking it later deoptimises them (see Scratch)
        private final float[] bPack = new float[KC * NC], aTail = new float[MR * Math.max(KC, SMALL_KC)];
        private final float[] cT = new float[(SMALL_OC + MR) * ((SMALL_N + NR - 1) / NR * NR)], row = new float[SMALL_OC + MR];
        final float[] cTile = new float[MR * NR];

        /** Packed weight block of the large path: KC × NC. */
        float[] bPack() { return bPack; }

        /** A panel's NR weight row segments widened from a {@link WeightMatrix} (packing) or up to 4 rows (gemv);
         *  grows only for gemv rows longer than 4096. */
        float[] wRows(int n) { return wRows.length >= n ? wRows : (wRows = new float[n]); }
        private float[] wRows = new float[Math.max(NR * KC, 4 * Math.max(KC, 4096))];

        /** Zero-padded copy of up to MR tail rows × a K block. */
        float[] aTail() { return aTail; }

        /** Channel-major accumulator of the small-N path: SMALL_OC (+ MR slack) channels × SMALL_N (rounded to NR) rows. */
        float[] cT() { return cT; }

        /** One output row segment of the small-N path. */
        float[] row() { return row; }

        final float[] red = new float[VL];
        /** The small-N path's packed input (grown on demand; only read by the tasks of the call that packed it). */
        float[] inPack = new float[0];
        /** A K-major weight packed whole by {@link #packBKMajorAll} (grown on demand; only read by the tasks of the
         *  call that packed it). */
        float[] bAll = new float[0];
    }

    private static final Scratch<Workspace> WS = new Scratch<>(Workspace::new);

    static void matmul(float[] out, float[] inp, float[] w, float[] bias, int N, int C, int OC, Activation act) {
        checkLen(w, (long) OC * C, "weight");
        matmul(out, inp, false, w, null, null, bias, N, C, OC, act, false);
    }

    /**
     * out[N,OC] += inp[N,C] · W[OC,C]ᵀ + bias (a residual branch added onto its stream; W is w or wm, one of them
     * null). The packed path starts its first K block from out instead of the bias and adds the bias after the last
     * one, so the sum is (out + Σ_k) + bias, which differs from out + (Σ_k + bias) only in rounding; the few-row
     * paths give the bits of a product followed by {@link Elementwise#addInPlace}.
     */
    static void matmulAdd(float[] out, float[] inp, float[] w, WeightMatrix wm, float[] bias, int N, int C, int OC) {
        if (w != null) checkLen(w, (long) OC * C, "weight");
        else checkShape(wm, OC, C);
        matmul(out, inp, false, w, wm, null, bias, N, C, OC, Activation.NONE, true);
    }

    /** As above with the weight in a {@link WeightMatrix} (rows widened as they are packed; same results as float[]). */
    static void matmul(float[] out, float[] inp, WeightMatrix wm, float[] bias, int N, int C, int OC, Activation act) {
        checkShape(wm, OC, C);
        matmul(out, inp, false, null, wm, null, bias, N, C, OC, act, false);
    }

    /**
     * out[N,OC] = act(inp[N,C] · wKN[C,OC] + bias): the weight given K-major, i.e. as the transpose of the usual
     * [OC,C]. The packed path packs its panels straight from wKN's rows (contiguous in the output channel), so
     * backward passes need not transpose an operand first; results equal {@link #matmul} on the transposed weight
     * bit for bit. Few rows (the paths that read weight rows directly) go through a transposed copy.
     */
    static void matmulKMajor(float[] out, float[] inp, float[] wKN, float[] bias, int N, int C, int OC, Activation act) {
        checkLen(wKN, (long) C * OC, "weight");
        matmul(out, inp, false, null, null, wKN, bias, N, C, OC, act, false);
    }

    /**
     * out[N,OC] = inpT[C,N]ᵀ · wKN[C,OC] + bias: both operands K-major (the reduction index runs over the rows of
     * both), as a weight gradient dW[OC,C] = Σ_n dout[n,OC]ᵀ · inp[n,C] has them. The input is packed once into
     * MR-row panels (see {@link #packAPanels}: six-float runs copied, where a transpose moves single floats), which
     * the micro-kernel then streams. Results equal {@link #matmulKMajor} on the transposed input bit for bit when
     * that takes its packed path; this one always does.
     */
    static void matmulTransposedA(float[] out, float[] inpT, float[] wKN, float[] bias, int N, int C, int OC) {
        checkLen(wKN, (long) C * OC, "weight");
        checkLen(inpT, (long) C * N, "inp");
        Workspace ws = WS.take();
        try {
            int panels = (N + MR - 1) / MR;
            if (ws.inPack.length < panels * MR * C) ws.inPack = new float[panels * MR * C];
            packAPanels(ws.inPack, inpT, N, C);
            matmul(out, ws.inPack, true, null, null, wKN, bias, N, C, OC, Activation.NONE, false);
        } finally {
            WS.give(ws);
        }
    }

    /**
     * Packs A = inpTᵀ [N,C] (inpT [C,N]) in panels of MR rows, each cut into the GEMM's K blocks, each block its MR
     * rows of kc values one after another, as the micro-kernel reads A (rows past N zero):
     * ap[q·C·MR + k0·MR + r·kc + (k − k0)] = inpT[k·N + q·MR + r] for k in the block [k0, k0 + kc).
     * Each k reads MR neighbouring values of inpT's row k, where a full transpose reads one. Threaded over panels;
     * k in short runs, so that the rows of inpT a run reads stay in L1 while the panels of a task are written.
     */
    static void packAPanels(float[] ap, float[] inpT, int N, int C) {
        int panels = (N + MR - 1) / MR;
        Parallel.forRange(panels, (long) N * C < PARALLEL_MIN_MACS / 8 ? 1 : TASKS_PER_THREAD * Parallel.parallelism(), (q0, q1) -> {
            for (int kb = 0, ke; kb < C; kb = ke) {
                int k0 = kb / KC * KC, kc = Math.min(KC, C - k0);
                ke = Math.min(Math.min(C, k0 + KC), kb + 64);   // runs of 64 k within one K block
                for (int q = q0; q < q1; q++) {
                    int row0 = q * MR, rows = Math.min(MR, N - row0), blk = q * C * MR + k0 * MR + (kb - k0);
                    if (rows == MR) {
                        for (int k = kb, src = kb * N + row0, dst = blk; k < ke; k++, src += N, dst++) {
                            ap[dst] = inpT[src]; ap[dst + kc] = inpT[src + 1]; ap[dst + 2 * kc] = inpT[src + 2];
                            ap[dst + 3 * kc] = inpT[src + 3]; ap[dst + 4 * kc] = inpT[src + 4]; ap[dst + 5 * kc] = inpT[src + 5];
                        }
                    } else {
                        for (int k = kb, dst = blk; k < ke; k++, dst++) {
                            for (int r = 0; r < MR; r++) ap[dst + r * kc] = r < rows ? inpT[k * N + row0 + r] : 0f;
                        }
                    }
                }
            }
        });
    }

    /**
     * Packs all of wKN [C,OC] once, for tasks that would each pack the same weight block (rows split): panel p,
     * k in [0,C) at bp[p·C·NR + k·NR + j] = wKN[k·OC + p·NR + j], zero beyond OC. A K block of a panel is then the
     * run at p·C·NR + k0·NR, the layout {@link #kernel} reads. Threaded over panels.
     */
    static void packBKMajorAll(float[] bp, float[] wKN, int C, int OC) {
        int panels = (OC + NR - 1) / NR;
        Parallel.forRange(panels, (long) C * OC < PARALLEL_MIN_MACS / 8 ? 1 : TASKS_PER_THREAD * Parallel.parallelism(), (p0, p1) -> {
            for (int p = p0; p < p1; p++) packBKMajor(wKN, OC, p, p + 1, 0, C, bp, p * C * NR);
        });
    }

    /**
     * The weight is w (float[] [OC,C]), wm, or wKN (float[] [C,OC], only for the packed path): exactly one non-null.
     * inpPanels: inp is packed in MR-row panels by {@link #packAPanels} (only with wKN). accumulate: out += the
     * product plus bias (see {@link #matmulAdd}; act must then be NONE).
     */
    private static void matmul(float[] out, float[] inp, boolean inpPanels, float[] w, WeightMatrix wm, float[] wKN, float[] biasOrNull,
                               int N, int C, int OC, Activation act, boolean accumulate) {
        if (accumulate && act != Activation.NONE) throw new IllegalArgumentException("an accumulating product takes no activation");
        if (N < 0 || C < 0 || OC < 0) throw new IllegalArgumentException("negative shape");
        checkLen(out, (long) N * OC, "out");
        checkLen(inp, (long) N * C, "inp");
        if (biasOrNull != null) checkLen(biasOrNull, OC, "bias");
        if (N == 0 || OC == 0) return;
        if (C == 0) {
            for (int n = 0; n < N; n++)
                for (int o = 0; o < OC; o++) {
                    float b = biasOrNull == null ? 0f : biasOrNull[o];
                    out[n * OC + o] = accumulate ? out[n * OC + o] + b : VecMath.apply(act, b);
                }
            return;
        }
        // no bias = a zero bias (x + 0 = x): the drivers then never branch on it, and a compiled driver that saw only
        // one case cannot be thrown back to the slow tiers by the other (a model calls both, batches apart)
        float[] bias = biasOrNull != null ? biasOrNull : zeroBias(OC);
        long macs = (long) N * C * OC;
        int threads = macs < PARALLEL_MIN_MACS ? 1 : Parallel.parallelism();
        if (wKN != null && !inpPanels && (N <= GEMV_N || (N <= SMALL_N && N < OC))) {
            // the few-row paths read weight rows: give them the [OC,C] weight
            float[] t = new float[C * OC];
            Backward.transpose(t, wKN, C, OC);
            matmul(out, inp, false, t, null, null, bias, N, C, OC, act, accumulate);
            return;
        }
        if (N <= GEMV_N && !inpPanels) {
            gemv(out, inp, w, wm, bias, N, C, OC, act, accumulate, threads);
            return;
        }
        if (N <= SMALL_N && N < OC && !inpPanels) {
            matmulSmallN(out, inp, w, wm, bias, N, C, OC, act, accumulate, threads);
            return;
        }
        int panels = (OC + NR - 1) / NR;
        int panelsPerBlock = NC / NR;
        int colTasks = (panels + panelsPerBlock - 1) / panelsPerBlock;
        int rowTasks = 1;
        if (threads > 1) {
            // many small column blocks (about 8 per thread, at least 2 panels wide): a thread that gets descheduled
            // on a busy machine then holds up only a small block, and the others take the rest; blocks partition
            // the weight, so this costs no extra packing (only the input is streamed once per block)
            int want = Math.max(colTasks, TASKS_PER_THREAD * threads);
            colTasks = Math.max(1, Math.min(want, panels / 2));
            if (colTasks < TASKS_PER_THREAD * threads) {
                // few channels: split the rows too (each row task packs the — small — weight block again)
                int rowPanels = (N + MR - 1) / MR;
                int wantRows = (TASKS_PER_THREAD * threads + colTasks - 1) / colTasks;
                rowTasks = Math.max(1, Math.min(wantRows, rowPanels / 4));
            }
        }
        final int ct = colTasks, rt = rowTasks;
        if (ct * rt == 1) {
            tile(out, inp, inpPanels, w, wm, wKN, null, bias, N, C, OC, act, accumulate, 0, N, 0, panels);
            return;
        }
        // a K-major weight whose row tasks would each pack it again: pack it once for all of them, into the caller's
        // workspace (an [OC,C] weight is only split this way for small products, where that repacking costs little)
        Workspace ws = wKN != null && rt > 1 ? WS.take() : null;
        try {
            float[] bAll = null;
            if (ws != null) {
                long need = (long) panels * NR * C;
                if (need > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("weight too large to pack: " + C + "×" + OC);
                if (ws.bAll.length < need) ws.bAll = new float[(int) need];
                bAll = ws.bAll;
                packBKMajorAll(bAll, wKN, C, OC);
            }
            final float[] packed = bAll;
            Parallel.forEach(ct * rt, threads, task -> {
                int ci = task % ct, ri = task / ct;
                int p0 = (int) ((long) panels * ci / ct), p1 = (int) ((long) panels * (ci + 1) / ct);
                int rowPanels = (N + MR - 1) / MR;
                int r0 = (int) ((long) rowPanels * ri / rt) * MR, r1 = Math.min(N, (int) ((long) rowPanels * (ri + 1) / rt) * MR);
                tile(out, inp, inpPanels, w, wm, wKN, packed, bias, N, C, OC, act, accumulate, r0, r1, p0, p1);
            });
        } finally {
            if (ws != null) WS.give(ws);
        }
    }

    /**
     * Few rows, many channels (a text sequence, a batch of pooled embeddings): packing the weight would cost about as
     * much as the product, so compute outᵀ = W · inpᵀ instead: the micro-kernel broadcasts 6 weight rows straight from
     * {@code w} and streams the (cheaply) packed input panels; the 6 × NR tiles are transposed into out in the epilogue.
     * The caller packs the whole input once into its workspace; the tasks split the output channels and only read it.
     */
    private static void matmulSmallN(float[] out, float[] inp, float[] w, WeightMatrix wm, float[] bias, int N, int C, int OC,
                                     Activation act, boolean accumulate, int threads) {
        // pack the whole input once, by the caller, K block after K block; tasks only read it
        Workspace ws = WS.take();
        try {
            int npan = (N + NR - 1) / NR;
            if (ws.inPack.length < npan * NR * C) ws.inPack = new float[npan * NR * C];
            float[] packed = ws.inPack;
            for (int k0 = 0; k0 < C; k0 += SMALL_KC)
                packB(inp, C, N, 0, npan, k0, Math.min(SMALL_KC, C - k0), packed, npan * NR * k0);
            int groups = (OC + MR - 1) / MR;
            int tasks = threads <= 1 ? 1 : Math.min(groups, TASKS_PER_THREAD * threads);
            if (tasks == 1) {
                tileSmallN(out, packed, w, wm, bias, N, C, OC, act, accumulate, 0, OC);
                return;
            }
            Parallel.forEach(tasks, threads, t -> {
                int o0 = (int) ((long) groups * t / tasks) * MR, o1 = Math.min(OC, (int) ((long) groups * (t + 1) / tasks) * MR);
                tileSmallN(out, packed, w, wm, bias, N, C, OC, act, accumulate, o0, o1);
            });
        } finally {
            WS.give(ws);
        }
    }

    /**
     * Channels [o0, o1) of out for all N rows, by the transposed product (see {@link #matmulSmallN}), in chunks of
     * SMALL_OC channels: per K block the input is packed into NR-row panels and the 6 × NR kernel tiles accumulate into a
     * channel-major buffer cT[o][n] (contiguous vector stores); after the last K block cT is transposed into out with the
     * bias and the activation (accumulate: added onto out, as out + (cT + bias)).
     */
    private static void tileSmallN(float[] out, float[] packed, float[] w, WeightMatrix wm, float[] bias, int N, int C, int OC, Activation act,
                                   boolean accumulate, int o0, int o1) {
        Workspace ws = WS.take();
        try {
            int npan = (N + NR - 1) / NR, ldt = npan * NR;
            float[] cT = ws.cT();
            for (int oc0 = o0; oc0 < o1; oc0 += SMALL_OC) {
                int oc1 = Math.min(o1, oc0 + SMALL_OC);
                for (int k0 = 0; k0 < C; k0 += SMALL_KC) {
                    int kc = Math.min(SMALL_KC, C - k0);
                    int pOff = ldt * k0;                           // this K block of the packed input (panels of NR rows)
                    for (int o = oc0; o < oc1; o += MR) {
                        int mr = Math.min(MR, oc1 - o);
                        float[] a = w;
                        int aOff = o * C + k0, lda = C;
                        if (mr < MR || wm != null) {
                            // tail rows zero-padded, or rows widened from the weight matrix
                            a = ws.aTail();
                            aOff = 0;
                            lda = kc;
                            for (int r = 0; r < MR; r++) {
                                if (r >= mr) java.util.Arrays.fill(a, r * kc, r * kc + kc, 0f);
                                else if (wm != null) wm.readRow(o + r, k0, kc, a, r * kc);
                                else System.arraycopy(w, (o + r) * C + k0, a, r * kc, kc);
                            }
                        }
                        for (int p = 0; p < npan; p++)
                            {
                            int cOff = (o - oc0) * ldt + p * NR;
                            if (k0 == 0) kernel(a, aOff, lda, packed, pOff + p * kc * NR, kc, cT, cOff, ldt, ZEROS, 0, 0);
                            else kernel(a, aOff, lda, packed, pOff + p * kc * NR, kc, cT, cOff, ldt, cT, cOff, ldt);
                        }
                    }
                }
                // out[n, oc0..oc1) = act(cT[·, n] + bias), or out + (cT[·, n] + bias)
                float[] row = ws.row();
                int width = oc1 - oc0;
                for (int n = 0; n < N; n++) {
                    for (int j = 0, idx = n; j < width; j++, idx += ldt) row[j] = cT[idx];
                    int j = 0, ob = n * OC + oc0;
                    if (accumulate) {
                        for (; j + VL <= width; j += VL)
                            FloatVector.fromArray(S, out, ob + j).add(FloatVector.fromArray(S, row, j).add(FloatVector.fromArray(S, bias, oc0 + j)))
                                    .intoArray(out, ob + j);
                        for (; j < width; j++) out[ob + j] += row[j] + bias[oc0 + j];
                    } else {
                        for (; j + VL <= width; j += VL)
                            FloatVector.fromArray(S, row, j).add(FloatVector.fromArray(S, bias, oc0 + j)).intoArray(out, ob + j);
                        for (; j < width; j++) out[ob + j] = row[j] + bias[oc0 + j];
                        if (act != Activation.NONE) Elementwise.activationRange(act, out, ob, ob + width);
                    }
                }
            }
        } finally {
            WS.give(ws);
        }
    }

    /** One to three rows: memory-bound dot products of the input rows with 4 weight rows at a time; no packing. */
    private static void gemv(float[] out, float[] inp, float[] wArr, WeightMatrix wm, float[] bias, int N, int C, int OC, Activation act,
                             boolean accumulate, int threads) {
        int groups = (OC + 3) / 4;
        int tasks = threads <= 1 ? 1 : Math.min(groups, 4 * threads);
        Parallel.forEach(tasks, threads, t -> {
            int o0 = (int) ((long) groups * t / tasks) * 4, o1 = Math.min(OC, (int) ((long) groups * (t + 1) / tasks) * 4);
            Workspace ws = WS.take();
            float[] red = ws.red;
            try {
                for (int n = 0; n < N; n++) {
                    int io = n * C;
                    int o = o0;
                    for (; o + 4 <= o1; o += 4) {
                        float[] w = wArr;
                        int w0 = o * C;
                        if (wm != null) { // the 4 rows widened into scratch
                            w = ws.wRows(4 * C);
                            w0 = 0;
                            for (int r = 0; r < 4; r++) wm.readRow(o + r, 0, C, w, r * C);
                        }
                        int w1 = w0 + C, w2 = w1 + C, w3 = w2 + C;
                        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
                        int k = 0;
                        for (; k + VL <= C; k += VL) {
                            FloatVector x = FloatVector.fromArray(S, inp, io + k);
                            a0 = FloatVector.fromArray(S, w, w0 + k).fma(x, a0);
                            a1 = FloatVector.fromArray(S, w, w1 + k).fma(x, a1);
                            a2 = FloatVector.fromArray(S, w, w2 + k).fma(x, a2);
                            a3 = FloatVector.fromArray(S, w, w3 + k).fma(x, a3);
                        }
                        float s0 = sum(a0, red), s1 = sum(a1, red), s2 = sum(a2, red), s3 = sum(a3, red);
                        for (; k < C; k++) {
                            float x = inp[io + k];
                            s0 += x * w[w0 + k]; s1 += x * w[w1 + k]; s2 += x * w[w2 + k]; s3 += x * w[w3 + k];
                        }
                        int oo = n * OC + o;
                        s0 += bias[o]; s1 += bias[o + 1]; s2 += bias[o + 2]; s3 += bias[o + 3];
                        if (accumulate) {
                            out[oo] += s0; out[oo + 1] += s1; out[oo + 2] += s2; out[oo + 3] += s3;
                        } else {
                            out[oo] = VecMath.apply(act, s0);
                            out[oo + 1] = VecMath.apply(act, s1);
                            out[oo + 2] = VecMath.apply(act, s2);
                            out[oo + 3] = VecMath.apply(act, s3);
                        }
                    }
                    for (; o < o1; o++) {
                        float[] w = wArr;
                        int wo = o * C;
                        if (wm != null) {
                            w = ws.wRows(C);
                            wo = 0;
                            wm.readRow(o, 0, C, w, 0);
                        }
                        FloatVector a0 = FloatVector.zero(S);
                        int k = 0;
                        for (; k + VL <= C; k += VL)
                            a0 = FloatVector.fromArray(S, w, wo + k).fma(FloatVector.fromArray(S, inp, io + k), a0);
                        float s0 = sum(a0, red);
                        for (; k < C; k++) s0 += inp[io + k] * w[wo + k];
                        if (accumulate) out[n * OC + o] += s0 + bias[o];
                        else out[n * OC + o] = VecMath.apply(act, s0 + bias[o]);
                    }
                }
            } finally {
                WS.give(ws);
            }
        });
    }

    /** Lane sum in a fixed order (reduceLanes may add in another order before and after JIT compilation). */
    private static float sum(FloatVector v, float[] red) {
        v.intoArray(red, 0);
        float s = 0f;
        for (int i = 0; i < VL; i++) s += red[i];
        return s;
    }

    private static void checkShape(WeightMatrix wm, int OC, int C) {
        if (wm.rows != OC || wm.cols != C) throw new IllegalArgumentException("weight is " + wm.rows + "×" + wm.cols + ", expected " + OC + "×" + C);
    }

    private static void checkLen(float[] a, long need, String name) {
        if (a.length < need) throw new IllegalArgumentException(name + " has " + a.length + " values, needs " + need);
    }

    /**
     * Rows [r0,r1) × panels [p0,p1) (panel p = channels p·NR .. p·NR+NR), the whole K range, in column blocks of NC.
     * accumulate: the first K block starts from out instead of the bias, and the bias is added after the last.
     * bAll: the whole weight already packed by {@link #packBKMajorAll} (then nothing is packed here), or null.
     */
    private static void tile(float[] out, float[] inp, boolean inpPanels, float[] w, WeightMatrix wm, float[] wKN, float[] bAll, float[] bias,
                             int N, int C, int OC, Activation act, boolean accumulate, int r0, int r1, int p0, int p1) {
        Workspace ws = WS.take();
        try {
            float[] bp = bAll != null ? bAll : ws.bPack();
            int perBlock = NC / NR;
            for (int pb = p0; pb < p1; pb += perBlock) {
                int pe = Math.min(p1, pb + perBlock);
                for (int k0 = 0; k0 < C; k0 += KC) {
                    int kc = Math.min(KC, C - k0);
                    boolean first = k0 == 0, last = k0 + kc == C, ontoOut = !first || accumulate;
                    if (bAll != null) { /* packed already */ }
                    else if (wKN != null) packBKMajor(wKN, OC, pb, pe, k0, kc, bp);
                    else if (wm != null) packB(wm, pb, pe, k0, kc, bp, ws.wRows(NR * kc));
                    else packB(w, C, OC, pb, pe, k0, kc, bp);
                    for (int i0 = r0; i0 < r1; i0 += MC) {
                        int i1 = Math.min(r1, i0 + MC);
                        for (int p = pb; p < pe; p++) {
                            int bOff = bAll != null ? p * C * NR + k0 * NR : (p - pb) * kc * NR;
                            int col0 = p * NR;
                            int ncols = Math.min(NR, OC - col0);
                            for (int i = i0; i < i1; i += MR) {
                                int mr = Math.min(MR, i1 - i);
                                if (mr == MR && ncols == NR) {
                                    int cOff = i * OC + col0;
                                    // A's rows: in inp, or in a packed panel's K block (MR rows of kc)
                                    int aOff = inpPanels ? i / MR * C * MR + k0 * MR : i * C + k0, lda = inpPanels ? kc : C;
                                    if (ontoOut) kernel(inp, aOff, lda, bp, bOff, kc, out, cOff, OC, out, cOff, OC);
                                    else kernel(inp, aOff, lda, bp, bOff, kc, out, cOff, OC, bias, col0, 0);
                                    if (last && accumulate) addBias(out, cOff, OC, bias, col0);
                                    if (last && act != Activation.NONE) activate(out, i * OC + col0, OC, MR, NR, act);
                                } else {
                                    edge(ws, inp, inpPanels, i, mr, C, k0, kc, bp, bOff, out, OC, col0, ncols, bias, first, last, act, accumulate);
                                }
                            }
                        }
                    }
                }
            }
        } finally {
            WS.give(ws);
        }
    }

    /**
     * k per run of the weight packing: a panel's K block (kc·NR floats, 64 KB at kc = 1024) is larger than L1, so
     * the rows are scattered into it a run of k at a time (PACK_RUN·NR floats, 2 KB), which stays in L1 while all NR
     * rows fill it; row by row over the whole block, each of its cache lines would be fetched again for every row.
     */
    private static final int PACK_RUN = 32;

    /** Packs W[p·NR + j, k0 + k] for panels [pb,pe) into bp[(p−pb)·kc·NR + k·NR + j], zero beyond OC. */
    private static void packB(float[] w, int C, int OC, int pb, int pe, int k0, int kc, float[] bp) {
        packB(w, C, OC, pb, pe, k0, kc, bp, 0);
    }

    /** As above, writing at bp[off + ...]. */
    private static void packB(float[] w, int C, int OC, int pb, int pe, int k0, int kc, float[] bp, int off) {
        for (int p = pb; p < pe; p++) {
            int base = off + (p - pb) * kc * NR;
            for (int kb = 0; kb < kc; kb += PACK_RUN) {
                int ke = Math.min(kc, kb + PACK_RUN);
                for (int j = 0; j < NR; j++) {
                    int o = p * NR + j;
                    if (o < OC) {
                        for (int k = kb, src = o * C + k0 + kb; k < ke; k++, src++) bp[base + k * NR + j] = w[src];
                    } else {
                        for (int k = kb; k < ke; k++) bp[base + k * NR + j] = 0f;
                    }
                }
            }
        }
    }

    /**
     * As {@link #packB(float[], int, int, int, int, int, int, float[])}, widening the panel's weight row segments
     * into rows (NR·kc floats of scratch) first.
     */
    private static void packB(WeightMatrix wm, int pb, int pe, int k0, int kc, float[] bp, float[] rows) {
        int OC = wm.rows;
        for (int p = pb; p < pe; p++) {
            int base = (p - pb) * kc * NR, valid = Math.min(NR, OC - p * NR);
            for (int j = 0; j < valid; j++) wm.readRow(p * NR + j, k0, kc, rows, j * kc);
            for (int kb = 0; kb < kc; kb += PACK_RUN) {
                int ke = Math.min(kc, kb + PACK_RUN);
                for (int j = 0; j < NR; j++) {
                    if (j < valid) {
                        for (int k = kb, src = j * kc + kb; k < ke; k++, src++) bp[base + k * NR + j] = rows[src];
                    } else {
                        for (int k = kb; k < ke; k++) bp[base + k * NR + j] = 0f;
                    }
                }
            }
        }
    }

    /** Packs W[p·NR + j, k0 + k] = wKN[(k0 + k)·OC + p·NR + j] for panels [pb,pe), zero beyond OC: a row of wKN
     *  holds a panel's NR channels side by side, so each k is two vector copies. */
    private static void packBKMajor(float[] wKN, int OC, int pb, int pe, int k0, int kc, float[] bp) {
        packBKMajor(wKN, OC, pb, pe, k0, kc, bp, 0);
    }

    /** As above, writing at bp[off + ...]. */
    private static void packBKMajor(float[] wKN, int OC, int pb, int pe, int k0, int kc, float[] bp, int off) {
        for (int p = pb; p < pe; p++) {
            int base = off + (p - pb) * kc * NR, col0 = p * NR;
            if (col0 + NR <= OC) {
                for (int k = 0, src = k0 * OC + col0, dst = base; k < kc; k++, src += OC, dst += NR) {
                    FloatVector.fromArray(S, wKN, src).intoArray(bp, dst);
                    FloatVector.fromArray(S, wKN, src + VL).intoArray(bp, dst + VL);
                }
            } else {
                int n = OC - col0;
                for (int k = 0; k < kc; k++) {
                    int dst = base + k * NR;
                    System.arraycopy(wKN, (k0 + k) * OC + col0, bp, dst, n);
                    java.util.Arrays.fill(bp, dst + n, dst + NR, 0f);
                }
            }
        }
    }

    /** A tile with fewer than MR rows or NR columns: compute the full tile into scratch, then merge the valid part. */
    private static void edge(Workspace ws, float[] inp, boolean inpPanels, int i, int mr, int C, int k0, int kc, float[] bp, int bOff,
                             float[] out, int OC, int col0, int ncols, float[] bias, boolean first, boolean last, Activation act,
                             boolean accumulate) {
        float[] a = inp;
        int aOff = i * C + k0, lda = C;
        if (mr < MR || inpPanels) {
            a = ws.aTail();
            aOff = 0;
            lda = kc;
            for (int r = 0; r < MR; r++) {
                if (r >= mr) java.util.Arrays.fill(a, r * kc, r * kc + kc, 0f);
                else if (!inpPanels) System.arraycopy(inp, (i + r) * C + k0, a, r * kc, kc);
                else System.arraycopy(inp, i / MR * C * MR + k0 * MR + r * kc, a, r * kc, kc);
            }
        }
        float[] ct = ws.cTile;
        kernel(a, aOff, lda, bp, bOff, kc, ct, 0, NR, ZEROS, 0, 0);
        for (int r = 0; r < mr; r++) {
            int oo = (i + r) * OC + col0;
            for (int j = 0; j < ncols; j++) {
                float v = ct[r * NR + j] + (first && !accumulate ? bias[col0 + j] : out[oo + j]);
                if (last && accumulate) v += bias[col0 + j];
                out[oo + j] = last ? VecMath.apply(act, v) : v;
            }
        }
    }

    private static volatile float[] zeroBias = new float[4096];

    /** At least n zeros (shared, never written). */
    private static float[] zeroBias(int n) {
        float[] z = zeroBias;
        if (z.length < n) zeroBias = z = new float[n];
        return z;
    }

    /** NR zeros: the epilogue source of a plain store (row stride 0). */
    static final float[] ZEROS = new float[NR];

    /**
     * c[6, NR] = a[6, kc] · bPanel[kc, NR] + init[6, NR]; a rows at aOff + r·lda; c rows at cOff + r·ldc; init rows at
     * initOff + r·initLd. The caller picks init: {@link #ZEROS} with stride 0 (store), the bias at the tile's first
     * channel with stride 0 (store + bias), or c itself at cOff, ldc (accumulate onto the previous K blocks).
     * One epilogue for all three, with no branch: a branch on a mode that the first calls never take would be
     * compiled as a trap, and the first call that takes it would throw this kernel back to the slow unoptimised tier.
     */
    static void kernel(float[] a, int aOff, int lda, float[] b, int bOff, int kc,
                       float[] c, int cOff, int ldc, float[] init, int initOff, int initLd) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        FloatVector c40 = FloatVector.zero(S), c41 = FloatVector.zero(S);
        FloatVector c50 = FloatVector.zero(S), c51 = FloatVector.zero(S);
        int a0 = aOff, a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda;
        int bo = bOff;
        for (int k = 0; k < kc; k++, bo += NR) {
            FloatVector b0 = FloatVector.fromArray(S, b, bo);
            FloatVector b1 = FloatVector.fromArray(S, b, bo + VL);
            FloatVector av = FloatVector.broadcast(S, a[a0 + k]);
            c00 = b0.fma(av, c00); c01 = b1.fma(av, c01);
            av = FloatVector.broadcast(S, a[a1 + k]);
            c10 = b0.fma(av, c10); c11 = b1.fma(av, c11);
            av = FloatVector.broadcast(S, a[a2 + k]);
            c20 = b0.fma(av, c20); c21 = b1.fma(av, c21);
            av = FloatVector.broadcast(S, a[a3 + k]);
            c30 = b0.fma(av, c30); c31 = b1.fma(av, c31);
            av = FloatVector.broadcast(S, a[a4 + k]);
            c40 = b0.fma(av, c40); c41 = b1.fma(av, c41);
            av = FloatVector.broadcast(S, a[a5 + k]);
            c50 = b0.fma(av, c50); c51 = b1.fma(av, c51);
        }
        // epilogue written out in place: a helper taking the accumulators would not be inlined and would box them.
        // Each init row is read before the same c row is written, so init may be c itself.
        int i0 = initOff, i1 = i0 + initLd, i2 = i1 + initLd, i3 = i2 + initLd, i4 = i3 + initLd, i5 = i4 + initLd;
        c00.add(FloatVector.fromArray(S, init, i0)).intoArray(c, cOff);
        c01.add(FloatVector.fromArray(S, init, i0 + VL)).intoArray(c, cOff + VL);
        c10.add(FloatVector.fromArray(S, init, i1)).intoArray(c, cOff + ldc);
        c11.add(FloatVector.fromArray(S, init, i1 + VL)).intoArray(c, cOff + ldc + VL);
        c20.add(FloatVector.fromArray(S, init, i2)).intoArray(c, cOff + 2 * ldc);
        c21.add(FloatVector.fromArray(S, init, i2 + VL)).intoArray(c, cOff + 2 * ldc + VL);
        c30.add(FloatVector.fromArray(S, init, i3)).intoArray(c, cOff + 3 * ldc);
        c31.add(FloatVector.fromArray(S, init, i3 + VL)).intoArray(c, cOff + 3 * ldc + VL);
        c40.add(FloatVector.fromArray(S, init, i4)).intoArray(c, cOff + 4 * ldc);
        c41.add(FloatVector.fromArray(S, init, i4 + VL)).intoArray(c, cOff + 4 * ldc + VL);
        c50.add(FloatVector.fromArray(S, init, i5)).intoArray(c, cOff + 5 * ldc);
        c51.add(FloatVector.fromArray(S, init, i5 + VL)).intoArray(c, cOff + 5 * ldc + VL);
    }

    /** c[r, j] += bias[col0 + j] for the MR × NR tile at cOff (row stride ldc). */
    private static void addBias(float[] c, int cOff, int ldc, float[] bias, int col0) {
        FloatVector b0 = FloatVector.fromArray(S, bias, col0), b1 = FloatVector.fromArray(S, bias, col0 + VL);
        for (int r = 0, o = cOff; r < MR; r++, o += ldc) {
            FloatVector.fromArray(S, c, o).add(b0).intoArray(c, o);
            FloatVector.fromArray(S, c, o + VL).add(b1).intoArray(c, o + VL);
        }
    }

    /** Applies act in place to rows [0, mr) × cols [0, ncols) of c at cOff (row stride ldc). */
    private static void activate(float[] c, int cOff, int ldc, int mr, int ncols, Activation act) {
        for (int r = 0; r < mr; r++) Elementwise.activationRange(act, c, cOff + r * ldc, cOff + r * ldc + ncols);
    }
}
