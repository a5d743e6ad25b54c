package io.clip4j.kernel;

import static io.clip4j.kernel.TestUtil.assertClose;
import static io.clip4j.kernel.TestUtil.rand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

class AttentionTest {
    private static void check(SplittableRandom r, int B, int T, int C, int H, boolean causal, int[] valid) {
        float[] qkv = rand(r, B * T * 3 * C, -2f, 2f);
        float[] ref = new float[B * T * C];
        float[] out = new float[B * T * C + 5];
        java.util.Arrays.fill(out, 99f);
        ScalarOps.attention(ref, qkv, B, T, C, H, causal, valid);
        Ops.attention(out, qkv, B, T, C, H, causal, valid);
        String what = "B=" + B + " T=" + T + " C=" + C + " H=" + H + " causal=" + causal + " valid=" + java.util.Arrays.toString(valid);
        assertClose(ref, out, B * T * C, 1e-5, what);
        for (int i = B * T * C; i < out.length; i++) assertEquals(99f, out[i], what + ": wrote past the end");
        float[] single = new float[B * T * C];
        Parallel.withMaxThreads(1, () -> Ops.attention(single, qkv, B, T, C, H, causal, valid));
        // not bitwise: lane reductions and the vector exp may round differently before and after JIT compilation
        assertClose(single, out, B * T * C, 1e-6, what + ": threaded vs single");
    }

    /** Packed sequences of different lengths: each equals the same sequence run alone, and the scalar reference. */
    @Test void packedSequencesEqualEachSequenceAlone() {
        SplittableRandom r = new SplittableRandom(5);
        int C = 96, H = 3;
        int[] lengths = {7, 1, 19, 12, 3, 77, 6};
        int B = lengths.length;
        int[] offsets = new int[B + 1];
        for (int b = 0; b < B; b++) offsets[b + 1] = offsets[b] + lengths[b];
        int N = offsets[B];
        float[] qkv = rand(r, N * 3 * C, -2f, 2f);
        for (boolean causal : new boolean[] {true, false}) {
            float[] out = new float[N * C + 3];
            java.util.Arrays.fill(out, 99f);
            Ops.attentionPacked(out, qkv, offsets, B, C, H, causal);
            for (int b = 0; b < B; b++) {
                int T = lengths[b];
                float[] one = java.util.Arrays.copyOfRange(qkv, offsets[b] * 3 * C, offsets[b + 1] * 3 * C);
                float[] alone = new float[T * C], ref = new float[T * C];
                Ops.attention(alone, one, 1, T, C, H, causal);
                ScalarOps.attention(ref, one, 1, T, C, H, causal, null);
                float[] got = java.util.Arrays.copyOfRange(out, offsets[b] * C, offsets[b + 1] * C);
                // the same kernel calls; not asserted bitwise only because a JIT tier change between the two calls
                // may round a lane reduction differently (see check)
                assertClose(alone, got, T * C, 1e-6, "sequence " + b + " (T=" + T + ", causal=" + causal + ")");
                assertClose(ref, got, T * C, 1e-5, "sequence " + b + " vs reference");
            }
            for (int i = N * C; i < out.length; i++) assertEquals(99f, out[i], "wrote past the end");
        }
    }

    /** One query row per item, over a given key range: equals that row of the full attention (scalar reference). */
    @Test void pooledQueriesEqualTheirRowsOfTheFullAttention() {
        SplittableRandom r = new SplittableRandom(23);
        int[][] shapes = {{3, 50, 768, 12}, {2, 7, 40, 5}, {4, 77, 512, 8}, {1, 1, 64, 1}, {2, 13, 72, 1}, {3, 9, 24, 2}};
        for (int[] s : shapes) {
            int B = s[0], T = s[1], C = s[2], H = s[3];
            float[] qkv = rand(r, B * T * 3 * C, -2f, 2f);
            for (boolean causal : new boolean[] {false, true}) {
                int[] valid = new int[B], queryRow = new int[B], keyStart = new int[B], keyCount = new int[B];
                for (int b = 0; b < B; b++) {
                    valid[b] = b == 1 ? T / 2 : T;
                    int t = causal ? r.nextInt(T) : (b % 2 == 0 ? 0 : T - 1);
                    queryRow[b] = b * T + t;
                    keyStart[b] = b * T;
                    keyCount[b] = causal ? Math.min(valid[b], t + 1) : valid[b];
                }
                float[] ref = new float[B * T * C], out = new float[B * C + 3];
                java.util.Arrays.fill(out, 99f);
                ScalarOps.attention(ref, qkv, B, T, C, H, causal, valid);
                Ops.attentionPooled(out, qkv, queryRow, keyStart, keyCount, B, C, H);
                String what = "B=" + B + " T=" + T + " C=" + C + " H=" + H + " causal=" + causal;
                float[] want = new float[B * C];
                for (int b = 0; b < B; b++) System.arraycopy(ref, queryRow[b] * C, want, b * C, C);
                assertClose(want, out, B * C, 1e-5, what);
                for (int i = B * C; i < out.length; i++) assertEquals(99f, out[i], what + ": wrote past the end");
            }
        }
        // no visible key: a zero row, as the full kernel gives
        float[] qkv = rand(r, 2 * 3 * 8, -1f, 1f), out = new float[2 * 8];
        java.util.Arrays.fill(out, 5f);
        Ops.attentionPooled(out, qkv, new int[] {0, 1}, new int[] {0, 1}, new int[] {0, 1}, 2, 8, 2);
        for (int i = 0; i < 8; i++) assertEquals(0f, out[i]);
        // rows outside qkv are refused
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Ops.attentionPooled(new float[8], new float[3 * 8], new int[] {0}, new int[] {0}, new int[] {2}, 1, 8, 2));
    }

    @Test void shapes() {
        SplittableRandom r = new SplittableRandom(21);
        int[][] shapes = {{1, 1, 64, 1}, {2, 50, 768, 12}, {3, 77, 512, 8}, {2, 7, 40, 5}, {2, 13, 72, 1}, {4, 50, 96, 3},
                          {1, 9, 24, 2}, {2, 17, 1152, 16}, {1, 3, 6, 3}, {2, 33, 64, 2}};
        for (int[] s : shapes)
            for (boolean causal : new boolean[] {false, true}) check(r, s[0], s[1], s[2], s[3], causal, null);
    }

    @Test void keyPaddingMask() {
        SplittableRandom r = new SplittableRandom(22);
        check(r, 5, 50, 128, 2, false, new int[] {50, 1, 0, 17, 100});
        check(r, 5, 50, 128, 2, true, new int[] {50, 1, 0, 17, 100});
        check(r, 3, 77, 512, 8, false, new int[] {77, 76, 9});
        check(r, 2, 16, 64, 4, true, new int[] {8, 16});
        // the mask equals running on the truncated sequence for the rows that are kept
        int B = 1, T = 20, C = 64, H = 2, valid = 11;
        float[] qkv = rand(r, T * 3 * C, -1f, 1f);
        float[] masked = new float[T * C], truncated = new float[valid * C];
        Ops.attention(masked, qkv, B, T, C, H, false, new int[] {valid});
        Ops.attention(truncated, java.util.Arrays.copyOf(qkv, valid * 3 * C), B, valid, C, H, false, null);
        assertClose(truncated, masked, valid * C, 1e-6, "masked vs truncated");
    }

    @Test void maskNullEqualsNoMask() {
        SplittableRandom r = new SplittableRandom(23);
        float[] qkv = rand(r, 2 * 30 * 3 * 64, -1f, 1f);
        float[] a = new float[2 * 30 * 64], b = new float[2 * 30 * 64];
        Ops.attention(a, qkv, 2, 30, 64, 2, true);
        Ops.attention(b, qkv, 2, 30, 64, 2, true, new int[] {30, 30});
        assertClose(a, b, a.length, 1e-6, "null mask vs full mask");
    }

    @Test void concurrentCallers() throws Exception {
        SplittableRandom r = new SplittableRandom(24);
        int B = 8, T = 50, C = 256, H = 4;
        float[] qkv = rand(r, B * T * 3 * C, -1f, 1f);
        float[] ref = new float[B * T * C];
        Ops.attention(ref, qkv, B, T, C, H, false);
        ExecutorService ex = Executors.newFixedThreadPool(5);
        try {
            List<Future<?>> fs = new ArrayList<>();
            for (int c = 0; c < 5; c++) fs.add(ex.submit(() -> {
                for (int it = 0; it < 10; it++) {
                    float[] out = new float[B * T * C];
                    Ops.attention(out, qkv, B, T, C, H, false);
                    assertClose(ref, out, ref.length, 1e-6, "concurrent");
                }
                return null;
            }));
            for (Future<?> f : fs) f.get();
        } finally {
            ex.shutdownNow();
        }
    }
}
