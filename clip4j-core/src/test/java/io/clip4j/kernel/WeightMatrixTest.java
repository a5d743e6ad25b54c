package io.clip4j.kernel;

import static io.clip4j.kernel.TestUtil.rand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** WeightMatrix storage and the GEMM over it: every path (gemv, small-N, packed) gives the bits of the float[] weight. */
class WeightMatrixTest {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** w[rows, cols] as little-endian bytes of the format in a native segment, starting at an odd byte offset
     *  (safetensors does not promise aligned tensors), split into parts of the given row counts. */
    private static WeightMatrix encode(float[] w, int cols, WeightMatrix.Format f, int... partRows) {
        int bytes = f == WeightMatrix.Format.F32 ? 4 : 2;
        MemorySegment all = Arena.ofAuto().allocate((long) w.length * bytes + 1).asSlice(1);
        for (int i = 0; i < w.length; i++) {
            switch (f) {
                case F32 -> all.set(F32_LE, 4L * i, w[i]);
                case F16 -> all.set(I16_LE, 2L * i, Float.floatToFloat16(w[i]));
                case BF16 -> all.set(I16_LE, 2L * i, WeightMatrix.toBf16(w[i]));
            }
        }
        MemorySegment[] parts = new MemorySegment[partRows.length];
        long at = 0;
        for (int p = 0; p < partRows.length; p++) {
            long len = (long) partRows[p] * cols * bytes;
            parts[p] = all.asSlice(at, len);
            at += len;
        }
        return WeightMatrix.of(f, cols, parts);
    }

    /** The values a format stores for w (exact for F32). */
    private static float[] rounded(float[] w, WeightMatrix.Format f) {
        float[] out = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            out[i] = switch (f) {
                case F32 -> w[i];
                case F16 -> Float.float16ToFloat(Float.floatToFloat16(w[i]));
                case BF16 -> Float.intBitsToFloat(WeightMatrix.toBf16(w[i]) << 16);
            };
        }
        return out;
    }

    @Test void rowsComeFromTheRightPart() {
        SplittableRandom r = new SplittableRandom(1);
        float[] w = rand(r, 9 * 5, -1f, 1f);
        for (WeightMatrix.Format f : WeightMatrix.Format.values()) {
            WeightMatrix m = encode(w, 5, f, 3, 3, 3);
            assertEquals(9, m.rows);
            assertEquals(5, m.cols);
            float[] exp = rounded(w, f);
            assertArrayEquals(exp, m.toFloats(), f.toString());
            float[] row = new float[4];
            m.readRow(7, 1, 3, row, 1);
            assertArrayEquals(new float[]{0f, exp[7 * 5 + 1], exp[7 * 5 + 2], exp[7 * 5 + 3]}, row, f.toString());
            assertThrows(IndexOutOfBoundsException.class, () -> m.readRow(9, 0, 1, row, 0));
            assertThrows(IndexOutOfBoundsException.class, () -> m.readRow(0, 3, 3, row, 0));
        }
        assertThrows(IllegalArgumentException.class, () -> WeightMatrix.of(WeightMatrix.Format.F32, 5, MemorySegment.ofArray(new byte[18])));
    }

    @Test void bf16RoundsToNearestEven() {
        assertEquals((short) 0x3f80, WeightMatrix.toBf16(1f));
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties go to the even mantissa (1)
        assertEquals((short) 0x3f80, WeightMatrix.toBf16(Float.intBitsToFloat(0x3f808000)));
        // 1 + 3·2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties go to even (1 + 2^-6)
        assertEquals((short) 0x3f82, WeightMatrix.toBf16(Float.intBitsToFloat(0x3f818000)));
        assertEquals((short) 0x3f81, WeightMatrix.toBf16(Float.intBitsToFloat(0x3f808001)));
        assertEquals((short) 0x7f80, WeightMatrix.toBf16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0x7f80, WeightMatrix.toBf16(Float.MAX_VALUE)); // rounds up to infinity, as PyTorch does
        assertEquals(true, Float.isNaN(Float.intBitsToFloat(WeightMatrix.toBf16(Float.NaN) << 16)));
        float[] w = {0.1f, -2.5f, 3e-39f, 1e30f};
        WeightMatrix m = WeightMatrix.bf16(w, 2, 2);
        assertArrayEquals(rounded(w, WeightMatrix.Format.BF16), m.toFloats());
        assertEquals(8, m.byteSize());
    }

    /** Rounding a (mapped, multi-part) matrix row by row gives the bits of rounding its float copy. */
    @Test void toBf16OfAMatrixEqualsBf16OfItsFloats() {
        SplittableRandom r = new SplittableRandom(8);
        float[] w = rand(r, 9 * 13, -3f, 3f);
        for (WeightMatrix.Format f : WeightMatrix.Format.values()) {
            WeightMatrix m = encode(w, 13, f, 3, 3, 3);
            WeightMatrix rounded = m.toBf16();
            assertEquals(WeightMatrix.Format.BF16, rounded.format);
            assertArrayEquals(WeightMatrix.bf16(m.toFloats(), 9, 13).toFloats(), rounded.toFloats(), f.toString());
            m.unload();                                    // not mapped: nothing to drop, values unchanged
            assertArrayEquals(rounded(w, f), m.toFloats(), f.toString());
        }
    }

    @Test void gemmOverAWeightMatrixEqualsTheFloatArrayBitForBit() {
        SplittableRandom r = new SplittableRandom(2);
        // rows: gemv (≤ 3), small-N transposed path (< OC, ≤ 384), packed path; channel counts with tails of 6 and of NR
        int[][] shapes = {{1, 37, 30}, {3, 64, 12}, {7, 300, 90}, {50, 129, 600}, {384, 64, 390}, {200, 70, 45}, {500, 1030, 100}, {33, 20, 7}};
        for (int[] s : shapes) {
            int N = s[0], C = s[1], OC = s[2];
            float[] inp = rand(r, N * C, -1f, 1f), w = rand(r, OC * C, -1f, 1f), bias = rand(r, OC, -1f, 1f);
            for (WeightMatrix.Format f : WeightMatrix.Format.values()) {
                int third = OC / 3;
                WeightMatrix m = OC % 3 == 0 ? encode(w, C, f, third, third, third) : encode(w, C, f, OC);
                float[] ref = new float[N * OC], got = new float[N * OC];
                for (Activation act : new Activation[]{Activation.NONE, Activation.QUICK_GELU}) {
                    Ops.matmul(ref, inp, rounded(w, f), bias, N, C, OC, act);
                    Ops.matmul(got, inp, m, bias, N, C, OC, act);
                    assertArrayEquals(ref, got, "N=" + N + " C=" + C + " OC=" + OC + " " + f + " " + act);
                }
            }
        }
        WeightMatrix m = encode(new float[12], 4, WeightMatrix.Format.F32, 3);
        assertThrows(IllegalArgumentException.class, () -> Ops.matmul(new float[8], new float[8], m, null, 2, 4, 4, null));
    }
}
