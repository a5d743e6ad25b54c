package io.clip4j.kernel;

import static io.clip4j.kernel.TestUtil.assertClose;
import static io.clip4j.kernel.TestUtil.rand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class GemmTest {
    private static final double TOL = 1e-5;

    private static void check(SplittableRandom r, int N, int C, int OC, boolean withBias, Activation act) {
        float[] inp = rand(r, N * C, -1f, 1f);
        float[] w = rand(r, OC * C, -1f, 1f);
        float[] bias = withBias ? rand(r, OC, -2f, 2f) : null;
        float[] ref = new float[N * OC];
        ScalarOps.matmul(ref, inp, w, bias, N, C, OC, act);
        float[] out = new float[N * OC + 7];
        java.util.Arrays.fill(out, 12345f);                     // garbage in out must not leak in; the slack must stay
        Ops.matmul(out, inp, w, bias, N, C, OC, act);
        String what = "N=" + N + " C=" + C + " OC=" + OC + " bias=" + withBias + " act=" + act;
        assertClose(ref, out, N * OC, TOL, what);
        for (int i = N * OC; i < out.length; i++) assertEquals(12345f, out[i], what + " wrote past N*OC");
    }

    @Test void kMajorWeightEqualsTheTransposedWeightBitForBit() {
        SplittableRandom r = new SplittableRandom(11);
        int[][] shapes = {{500, 64, 100}, {1030, 300, 47}, {400, 1100, 33}, {64, 16, 15}, {2, 20, 30}, {100, 40, 300}, {385, 17, 16}};
        for (int[] s : shapes) {
            int N = s[0], C = s[1], OC = s[2];
            float[] inp = rand(r, N * C, -1f, 1f), w = rand(r, OC * C, -1f, 1f), bias = rand(r, OC, -1f, 1f);
            float[] wKN = new float[C * OC];
            for (int o = 0; o < OC; o++) for (int k = 0; k < C; k++) wKN[k * OC + o] = w[o * C + k];
            float[] ref = new float[N * OC], got = new float[N * OC];
            Ops.matmul(ref, inp, w, bias, N, C, OC);
            Ops.matmulKMajor(got, inp, wKN, bias, N, C, OC);
            assertArrayEquals(ref, got, "N=" + N + " C=" + C + " OC=" + OC);
        }
    }

    @Test void kMajorInputEqualsTheTransposedInputBitForBit() {
        SplittableRandom r = new SplittableRandom(12);
        // row and channel tails, several K blocks (C > KC), one tile, fewer rows than a tile, few rows
        int[][] shapes = {{500, 64, 100}, {1030, 300, 47}, {400, 1100, 33}, {64, 16, 15}, {2, 20, 30}, {100, 40, 300},
                {385, 2100, 16}, {5, 3, 7}, {6, 16, 16}, {192, 8320, 64}};
        for (int[] s : shapes) {
            int N = s[0], C = s[1], OC = s[2];
            float[] inp = rand(r, N * C, -1f, 1f), wKN = rand(r, C * OC, -1f, 1f), bias = rand(r, OC, -1f, 1f);
            float[] inpT = new float[C * N];
            for (int n = 0; n < N; n++) for (int k = 0; k < C; k++) inpT[k * N + n] = inp[n * C + k];
            for (float[] b : new float[][]{bias, null}) {
                float[] ref = new float[N * OC], got = new float[N * OC];
                java.util.Arrays.fill(got, 12345f);
                Gemm.matmulTransposedA(got, inpT, wKN, b, N, C, OC);
                String what = "N=" + N + " C=" + C + " OC=" + OC + " bias=" + (b != null);
                boolean packedPath = N > Gemm.GEMV_N && !(N <= Gemm.SMALL_N && N < OC);
                if (packedPath) {
                    // the same tiles and K blocks as matmulKMajor's packed path: the same bits
                    Ops.matmulKMajor(ref, inp, wKN, b, N, C, OC);
                    assertArrayEquals(ref, got, what);
                } else {
                    // matmulKMajor takes its few-row routes here (another summation order): compare with the reference
                    float[] w = new float[OC * C];
                    for (int k = 0; k < C; k++) for (int o = 0; o < OC; o++) w[o * C + k] = wKN[k * OC + o];
                    ScalarOps.matmul(ref, inp, w, b, N, C, OC, Activation.NONE);
                    assertClose(ref, got, N * OC, TOL, what);
                }
            }
        }
    }

    @Test void edgeShapes() {
        SplittableRandom r = new SplittableRandom(1);
        int[][] shapes = {
            {1, 1, 1}, {1, 3, 1}, {1, 768, 3072}, {2, 5, 7}, {5, 17, 33}, {6, 16, 16}, {6, 256, 32}, {7, 31, 32},
            {13, 300, 47}, {12, 513, 100}, {50, 768, 768}, {77, 512, 512}, {100, 1030, 70}, {1, 1000, 17},
            {31, 257, 15}, {6, 255, 64}, {49, 64, 31}, {3, 2049, 5}, {200, 40, 1}, {8, 8, 400}, {1, 769, 385},
            {30, 100, 1100}, {150, 64, 1030}, {192, 20, 193}, {193, 20, 194}, {2, 300, 9}, {3, 7, 1025}, {4, 33, 515},
        };
        for (int[] s : shapes)
            for (boolean b : new boolean[] {true, false}) check(r, s[0], s[1], s[2], b, Activation.NONE);
    }

    @Test void randomShapes() {
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 60; i++) check(r, 1 + r.nextInt(40), 1 + r.nextInt(700), 1 + r.nextInt(130), r.nextBoolean(), Activation.NONE);
    }

    @Test void fusedActivations() {
        SplittableRandom r = new SplittableRandom(3);
        for (Activation act : Activation.values()) {
            check(r, 13, 300, 47, true, act);
            check(r, 24, 600, 96, true, act);
            check(r, 1, 64, 3, false, act);
            check(r, 77, 512, 200, true, act);
            // fused equals unfused up to the activation's own rounding
            float[] inp = rand(r, 30 * 100, -1f, 1f), w = rand(r, 50 * 100, -1f, 1f), bias = rand(r, 50, -1f, 1f);
            float[] a = new float[30 * 50], b = new float[30 * 50];
            Ops.matmul(a, inp, w, bias, 30, 100, 50, act);
            Ops.matmul(b, inp, w, bias, 30, 100, 50);
            Ops.activation(act, b, b.length);
            assertClose(b, a, a.length, 1e-6, "fused vs unfused " + act);
        }
    }

    @Test void accumulatingProductAddsOntoOut() {
        SplittableRandom r = new SplittableRandom(13);
        // packed path (one and several K blocks, row and channel tails), small-N, matrix-vector, C = 0
        int[][] shapes = {{500, 64, 100}, {400, 1100, 33}, {64, 16, 15}, {100, 3072, 40}, {20, 300, 200}, {7, 40, 9},
                {2, 300, 40}, {1, 17, 5}, {30, 0, 12}};
        for (int[] s : shapes) {
            int N = s[0], C = s[1], OC = s[2];
            float[] inp = rand(r, N * C, -1f, 1f), w = rand(r, OC * C, -1f, 1f), x = rand(r, N * OC + 5, -3f, 3f);
            WeightMatrix m = C == 0 ? null : WeightMatrix.bf16(w, OC, C);
            for (float[] bias : new float[][] {rand(r, OC, -1f, 1f), null})
                for (boolean matrix : C == 0 ? new boolean[] {false} : new boolean[] {false, true}) {
                    String what = "N=" + N + " C=" + C + " OC=" + OC + " bias=" + (bias != null) + " matrix=" + matrix;
                    float[] ref = x.clone(), prod = new float[N * OC], got = x.clone(), single = x.clone();
                    if (matrix) {
                        Ops.matmul(prod, inp, m, bias, N, C, OC, null);
                        Ops.matmulAdd(got, inp, m, bias, N, C, OC);
                        Parallel.withMaxThreads(1, () -> Ops.matmulAdd(single, inp, m, bias, N, C, OC));
                    } else {
                        Ops.matmul(prod, inp, w, bias, N, C, OC);
                        Ops.matmulAdd(got, inp, w, bias, N, C, OC);
                        Parallel.withMaxThreads(1, () -> Ops.matmulAdd(single, inp, w, bias, N, C, OC));
                    }
                    Ops.addInPlace(ref, prod, N * OC);
                    boolean packedPath = N > Gemm.GEMV_N && !(N <= Gemm.SMALL_N && N < OC) && C > 0;
                    if (packedPath) assertClose(ref, got, N * OC, TOL, what);          // (x + Σ) + b vs x + (Σ + b)
                    else assertArrayEquals(ref, got, what);                            // the few-row routes: same bits
                    for (int i = N * OC; i < x.length; i++) assertEquals(x[i], got[i], what + " wrote past N*OC");
                    assertArrayEquals(single, got, what + " depends on the thread count");
                }
        }
        assertThrows(IllegalArgumentException.class, () -> Ops.matmulAdd(new float[5], new float[4], new float[6], null, 2, 2, 3));   // out too short
    }

    @Test void largeShapeThreadedMatchesSingleThreadExactly() {
        SplittableRandom r = new SplittableRandom(4);
        int[][] shapes = {{300, 768, 3072}, {301, 3072, 768}, {77, 768, 2304}, {1600, 64, 16}, {997, 129, 40}, {2, 768, 3072}, {150, 300, 1100}, {383, 100, 800}, {385, 100, 800}};
        for (int[] s : shapes) {
            int N = s[0], C = s[1], OC = s[2];
            float[] inp = rand(r, N * C, -1f, 1f), w = rand(r, OC * C, -1f, 1f), bias = rand(r, OC, -1f, 1f);
            float[] single = new float[N * OC], multi = new float[N * OC];
            Parallel.withMaxThreads(1, () -> Ops.matmul(single, inp, w, bias, N, C, OC));
            Parallel.withMaxThreads(Integer.MAX_VALUE, () -> Ops.matmul(multi, inp, w, bias, N, C, OC));
            assertArrayEquals(single, multi, "N=" + N + " C=" + C + " OC=" + OC);
            if ((long) N * C * OC <= 200L * 768 * 768) {
                float[] ref = new float[N * OC];
                ScalarOps.matmul(ref, inp, w, bias, N, C, OC);
                assertClose(ref, multi, N * OC, TOL, "vs scalar");
            } else {   // spot-check rows against the scalar twin (full scalar reference is slow)
                float[] ref = new float[OC];
                for (int n : new int[] {0, N / 2, N - 1}) {
                    float[] row = java.util.Arrays.copyOfRange(inp, n * C, n * C + C);
                    ScalarOps.matmul(ref, row, w, bias, 1, C, OC);
                    assertClose(ref, java.util.Arrays.copyOfRange(multi, n * OC, n * OC + OC), OC, TOL, "row " + n);
                }
            }
        }
    }

    @Test void concurrentCallers() throws Exception {
        SplittableRandom r = new SplittableRandom(5);
        int callers = 6;
        int[][] shapes = {{90, 300, 200}, {17, 513, 77}, {200, 256, 256}, {5, 33, 1000}, {64, 768, 96}, {120, 100, 500}};
        List<float[][]> cases = new ArrayList<>();
        for (int[] s : shapes) {
            float[] inp = rand(r, s[0] * s[1], -1f, 1f), w = rand(r, s[2] * s[1], -1f, 1f), bias = rand(r, s[2], -1f, 1f);
            float[] ref = new float[s[0] * s[2]];
            Ops.matmul(ref, inp, w, bias, s[0], s[1], s[2]);
            cases.add(new float[][] {inp, w, bias, ref});
        }
        ExecutorService ex = Executors.newFixedThreadPool(callers);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < callers; c++) {
                int id = c;
                fs.add(ex.submit(() -> {
                    for (int it = 0; it < 15; it++) {
                        int k = (id + it) % shapes.length;
                        int[] s = shapes[k];
                        float[][] cs = cases.get(k);
                        float[] out = new float[s[0] * s[2]];
                        Ops.matmul(out, cs[0], cs[1], cs[2], s[0], s[1], s[2]);
                        assertArrayEquals(cs[3], out, "caller " + id + " shape " + k);
                    }
                    return null;
                }));
            }
            for (Future<?> f : fs) f.get();
        } finally {
            ex.shutdownNow();
        }
    }

    @Test void manyVirtualThreadCallers() throws Exception {
        SplittableRandom r = new SplittableRandom(7);
        int N = 40, C = 200, OC = 300;
        float[] inp = rand(r, N * C, -1f, 1f), w = rand(r, OC * C, -1f, 1f), bias = rand(r, OC, -1f, 1f);
        float[] ref = new float[N * OC];
        Ops.matmul(ref, inp, w, bias, N, C, OC, Activation.QUICK_GELU);
        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<float[]>> fs = new ArrayList<>();
            for (int i = 0; i < 64; i++) fs.add(ex.submit(() -> {
                float[] out = new float[N * OC];
                Ops.matmul(out, inp, w, bias, N, C, OC, Activation.QUICK_GELU);
                return out;
            }));
            for (Future<float[]> f : fs) assertClose(ref, f.get(), N * OC, 1e-6, "virtual-thread caller");
        }
    }

    @Test void calledFromPoolThreadRunsInline() {
        SplittableRandom r = new SplittableRandom(6);
        int N = 100, C = 300, OC = 300;
        float[] inp = rand(r, N * C, -1f, 1f), w = rand(r, OC * C, -1f, 1f);
        float[] ref = new float[N * OC];
        Ops.matmul(ref, inp, w, null, N, C, OC);
        float[][] outs = new float[4][N * OC];
        Parallel.forEach(4, i -> Ops.matmul(outs[i], inp, w, null, N, C, OC));
        for (float[] o : outs) assertArrayEquals(ref, o);
    }

    @Test void zeroSizesAndBadArguments() {
        float[] out = {7f, 7f};
        Ops.matmul(out, new float[0], new float[0], new float[] {1f, 2f}, 1, 0, 2, Activation.NONE);
        assertArrayEquals(new float[] {1f, 2f}, out);
        Ops.matmul(new float[0], new float[0], new float[10], null, 0, 5, 2);
        assertThrows(IllegalArgumentException.class, () -> Ops.matmul(new float[3], new float[4], new float[4], null, 2, 2, 2));
    }
}
