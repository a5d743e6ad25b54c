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
