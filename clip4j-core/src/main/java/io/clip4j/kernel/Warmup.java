package io.clip4j.kernel;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Gets the numeric kernels compiled while the process does something else (opening a checkpoint, decoding images).
 *
 * <p>Why: Vector API code is only fast once C2 has compiled it; before that (interpreter, C1) every vector operation
 * is a call and an allocation, one to two orders of magnitude slower. Left alone, a process pays that on its first
 * batch: the GEMM micro-kernel reaches C2 after a few thousand calls and some hundred milliseconds of compilation,
 * during which both cores crawl. Loading a checkpoint, by contrast, is single-threaded and leaves a core idle.
 *
 * <p>{@link #startInBackground()} runs, once per JVM, on one daemon thread of lower OS priority ({@link #NICE}) limited
 * to one kernel thread,
 * a few hundred calls of every hot kernel on small shapes that take the same paths a model takes: the packed GEMM
 * (plain, with bias, with each fused activation, with a second K block, added onto a residual stream), its small-N and
 * matrix-vector routes, each also over a {@link WeightMatrix} (F32 in native memory as a mapped checkpoint gives it,
 * and BF16),
 * LayerNorm, causal and bidirectional attention with and without a key mask, attention over packed sequences and for
 * one pooled query per item, and the
 * element-wise adds (also of one row onto each block). It touches
 * only its own arrays, so results of concurrent callers are unaffected. The system property
 * {@code clip4j.warmup=false} turns it off.
 */
public final class Warmup {
    private Warmup() {}

    private static final AtomicBoolean STARTED = new AtomicBoolean();

    /**
     * Rounds of the warm-up; each round calls the GEMM micro-kernel about 150 times. 60 against 120, interleaved
     * medians: a 1-caption embed 0.12 s sooner (less compiling competes with it), 96 captions and 96 images the same.
     */
    static final int ROUNDS = Integer.getInteger("clip4j.warmup.rounds", 60);

    private static volatile Thread thread;

    /**
     * How far the warm-up thread's nice value is raised above the process's (Linux, with native access enabled; see
     * {@link BackgroundPriority}): it yields
     * the cores to the threads that load the model and the tokenizer, which a one-caption run waits for, and takes
     * what they leave. Measured against nice 0 (interleaved medians): a 1-caption embed 1.61 -> 1.34 s, 96 captions
     * 2.41 -> 2.31 s, 96 images unchanged. {@code clip4j.warmup.nice=0} keeps the process's priority.
     */
    static final int NICE = Integer.getInteger("clip4j.warmup.nice", 5);

    /** Starts the warm-up thread unless it ran already in this JVM or is turned off; returns it (null if not started). */
    public static Thread startInBackground() {
        if (!Boolean.parseBoolean(System.getProperty("clip4j.warmup", "true"))) return null;
        if (!STARTED.compareAndSet(false, true)) return null;
        Thread t = new Thread(() -> {
            if (NICE > 0) BackgroundPriority.lowerCurrentThread(NICE);
            Parallel.withMaxThreads(1, () -> run(ROUNDS));
        }, "clip4j-warmup");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        thread = t;
        t.start();
        return t;
    }

    /**
     * Waits up to maxMillis for a running warm-up to finish (returns at once if none runs). For a caller about to run
     * much work that is not yet compiled: a batch of captions run while the warm-up still compiles spends longer in
     * the slow tiers, competing with the warm-up for the cores, than it takes to wait (measured: 32 captions on
     * ViT-B/32 done 0.2 to 0.3 s sooner after waiting). Images are not worth it: their first batch waits for decoding,
     * which overlaps the warm-up anyway.
     */
    public static void awaitIfRunning(long maxMillis) {
        Thread t = thread;
        if (t == null || !t.isAlive()) return;
        try {
            t.join(maxMillis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The warm-up itself: {@code rounds} rounds over every kernel path (synchronous). */
    static void run(int rounds) {
        // shapes: N rows ≥ OC → the packed (tile) path, with a row tail (64 = 10·6 + 4); C = 1040 > KC only when KC
        // is at its default 1024 → a second, accumulating K block; 8 and 32 rows → small-N; 1 row → matrix-vector
        final int N = 64, C = 32, OC = 32, H = 2, T = 16, B = 4, D = 32;
        float[] x = filled(3 * D * Math.max(C, 3 * D), 0.37f), w = filled(OC * 1040, -0.21f), bias = filled(128, 0.05f);
        float[] out = new float[3 * D * Math.max(OC, 3 * D)], gamma = filled(C, 1f), beta = new float[C];
        float[] qkv = filled(B * T * 3 * D, 0.11f), att = new float[B * T * D];
        float[] wide = filled(N * 1040, 0.01f);
        int[] validKeys = {T, T - 3, 5, 1};
        // weight matrices [3D, C] as the loader hands them out: F32 outside the heap (one part, and q/k/v as three),
        // BF16
        java.lang.foreign.MemorySegment native32 = java.lang.foreign.Arena.ofAuto().allocate(3L * D * C * 4);
        for (int i = 0; i < 3 * D * C; i++) native32.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, w[i]);
        long third = (long) D * C * 4;
        WeightMatrix[] matrices = {WeightMatrix.of(WeightMatrix.Format.F32, C, native32),
                WeightMatrix.of(WeightMatrix.Format.F32, C, native32.asSlice(0, third), native32.asSlice(third, third), native32.asSlice(2 * third, third)),
                WeightMatrix.bf16(java.util.Arrays.copyOf(w, 3 * D * C), 3 * D, C)};
        // the small-N route as a model's output projection takes it: a few dozen rows, more than one K block
        // (SMALL_KC = 256 by default), a channel count that leaves a tail of fewer than 6, mapped F32 weights
        final int smallN = 32, smallC = 288, smallOC = 100;
        java.lang.foreign.MemorySegment nativeSmall = java.lang.foreign.Arena.ofAuto().allocate((long) smallOC * smallC * 4);
        for (int i = 0; i < smallOC * smallC; i++) nativeSmall.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT_UNALIGNED, i, w[i]);
        WeightMatrix smallMatrix = WeightMatrix.of(WeightMatrix.Format.F32, smallC, nativeSmall);
        Activation[] acts = Activation.values();
        for (int r = 0; r < rounds; r++) {
            Ops.matmul(out, x, w, null, N, C, OC);
            Ops.matmul(out, x, w, bias, N, C, OC, acts[r % acts.length]);
            Ops.matmul(out, x, w, bias, 8, C, 3 * D);
            Ops.matmul(out, x, w, bias, 1, C, OC, acts[(r + 1) % acts.length]);
            if (r % 8 == 0) Ops.matmul(out, wide, w, bias, N, 1040, OC);
            WeightMatrix m = matrices[r % matrices.length];
            Ops.matmul(out, x, m, bias, 3 * D, C, 3 * D, null);            // N ≥ OC: the packed path
            Ops.matmul(out, x, m, bias, N, C, 3 * D, acts[r % acts.length]);
            Ops.matmul(out, x, m, bias, 8, C, 3 * D, null);
            Ops.matmul(out, x, m, null, 1, C, 3 * D, null);
            // residual branches added onto their stream (a block's out_proj and fc2), on each route
            if (r % 2 == 0) Ops.matmulAdd(out, x, m, bias, 3 * D, C, 3 * D);
            else Ops.matmulAdd(out, x, w, bias, N, C, OC);
            Ops.matmulAdd(out, x, m, bias, 8 + r % 3, C, 3 * D);
            Ops.matmulAdd(out, x, w, null, 1, C, OC);
            if (r % 2 == 0) Ops.matmul(out, wide, smallMatrix, null, smallN, smallC, smallOC, null);
            else Ops.matmul(out, wide, w, bias, smallN, smallC, smallOC, acts[r % acts.length]);
            // what a batch of captions runs most, on tiny shapes: small-N products and per-sequence attention. Their
            // loops are short, so it is the number of calls that has to reach C2's thresholds, and quickly
            for (int i = 0; i < 6; i++) {
                if (i % 2 == 0) Ops.matmul(out, x, m, bias, 4 + i, C, 3 * D, acts[(r + i) % acts.length]);
                else Ops.matmul(out, x, w, bias, 4 + i, C, 3 * D);
            }
            Ops.attentionPacked(att, qkv, PACKED_OFFSETS, PACKED_OFFSETS.length - 1, D, H, true);
            Ops.layerNorm(out, x, gamma, beta, N, C, 1e-5f);
            Ops.attention(att, qkv, B, T, D, H, r % 2 == 0);
            Ops.attention(att, qkv, B, T, D, H, r % 2 == 1, validKeys);
            Ops.attentionPooled(att, qkv, POOLED_ROWS, POOLED_KEY_START, validKeys, B, D, H);
            Ops.attentionPooled(att, qkv, POOLED_ROWS, POOLED_KEY_START, POOLED_KEYS, B, D, H);
            // the pooled rows' residual branches: small-N products added onto their stream, over channel ranges
            // that leave a scalar tail (threads split the channels at multiples of 6)
            if (r % 2 == 0) Ops.matmulAdd(out, wide, smallMatrix, bias, smallN, smallC, smallOC);
            else Ops.matmulAdd(out, wide, w, bias, smallN, smallC, smallOC);
            Ops.addBroadcast(out, gamma, 4, C - r % 3);
            Ops.addInPlace(out, x, N * C);
            Ops.activation(acts[r % acts.length], out, N * C);
            // and with a scalar tail (threads split the small-N route's channels at multiples of 6, not of the vector)
            Ops.activation(acts[(r + 1) % acts.length], out, 13);
        }
    }

    /** A tower's last block: one query row per item (class token, end of text) over the item's keys. */
    private static final int[] POOLED_ROWS = {0, 16 + 12, 32 + 4, 48}, POOLED_KEY_START = {0, 16, 32, 48},
            POOLED_KEYS = {16, 13, 5, 16};

    /** Six sequences of 1 to 8 tokens packed without padding (24 rows). */
    private static final int[] PACKED_OFFSETS = {0, 3, 5, 11, 12, 16, 24};

    private static float[] filled(int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = scale * ((i * 7919 % 113) / 113f - 0.5f);
        return a;
    }
}
