package io.clip4j.kernel;

import static io.clip4j.kernel.Vec.S;
import static io.clip4j.kernel.Vec.VL;
import static org.junit.jupiter.api.Assertions.*;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** {@link VecMath#exp}: accuracy against StrictMath.exp, special values, and the scalar twin giving the lanes' bits. */
class ExpTest {
    /** Vector exp of xs (any length; the tail padded with 0). */
    static float[] vexp(float[] xs) {
        int n = (xs.length + VL - 1) / VL * VL;
        float[] in = java.util.Arrays.copyOf(xs, n), out = new float[n];
        for (int i = 0; i < n; i += VL) VecMath.exp(FloatVector.fromArray(S, in, i)).intoArray(out, i);
        return java.util.Arrays.copyOf(out, xs.length);
    }

    /** |y − e^x| in ulps of the correctly rounded result (of Float.MIN_VALUE in the subnormal range). */
    static double ulpError(float x, float y) {
        double ref = StrictMath.exp(x);
        float rf = (float) ref;
        if (Float.isInfinite(rf) || Float.isInfinite(y)) return y == rf ? 0 : Double.POSITIVE_INFINITY;
        return Math.abs(y - ref) / Math.ulp(rf);
    }

    @Test void denseSweepOfTheWholeRangeIsWithinOneUlpAndMostlyCorrectlyRounded() {
        // every 251st float of [−104, 89] (8.9·10⁶ values: both exp paths, normal, subnormal and overflowing results)
        int stride = 251, chunk = 1 << 16;
        double worst = 0;
        long n = 0, exact = 0;
        float worstX = 0;
        float[] xs = new float[chunk];
        for (int sign = 0; sign < 2; sign++) {
            int end = Float.floatToRawIntBits(sign == 0 ? 89f : 104f);
            for (long b = 0; b <= end; ) {
                int k = 0;
                for (; k < chunk && b <= end; k++, b += stride) xs[k] = Float.intBitsToFloat((int) b | (sign << 31));
                float[] ys = vexp(java.util.Arrays.copyOf(xs, k));
                for (int i = 0; i < k; i++) {
                    float x = xs[i], y = ys[i];
                    assertEquals(Float.floatToRawIntBits(y), Float.floatToRawIntBits(VecMath.exp(x)), "scalar twin at " + x);
                    n++;
                    if (y == (float) StrictMath.exp(x)) { exact++; continue; }
                    double e = ulpError(x, y);
                    if (e > worst) { worst = e; worstX = x; }
                }
            }
        }
        assertTrue(worst <= 1.01, "max error " + worst + " ulp at x = " + worstX);
        assertTrue(exact > 0.99 * n, "correctly rounded: " + exact + " of " + n);
    }

    @Test void isWithinOneUlpOnEveryFloatJustBelow2ToMinus10AndAGridOverMinus1To1() {
        // the 2¹⁹ floats just below 2⁻¹⁰, a grid over [−1, 1], and their negatives: e^x ≈ 1 + x, where a lost low bit shows
        float[] xs = new float[1 << 20];
        int k = 0;
        for (int b = Float.floatToRawIntBits(0x1p-10f) - (1 << 19) + 1; k < xs.length / 2; b++) xs[k++] = Float.intBitsToFloat(b);
        for (int i = 0; k < xs.length; i++) xs[k++] = -1f + 2f * i / (xs.length / 2);
        float[] ys = vexp(xs);
        for (int i = 0; i < xs.length; i++) {
            assertTrue(ulpError(xs[i], ys[i]) <= 1.0, "x = " + xs[i] + ": " + ys[i] + " vs " + Math.exp(xs[i]));
            assertTrue(ulpError(-xs[i], VecMath.exp(-xs[i])) <= 1.0, "x = " + -xs[i]);
        }
    }

    @Test void specialValuesOverflowAndUnderflow() {
        float[] xs = {0f, -0f, 1f, -1f, Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 88.72283f, 88.72284f, 89f,
                1e30f, -87.33655f, -100f, -103.27893f, -103.97208f, -104f, -1e30f, 1e-30f, -1e-45f, Float.MIN_VALUE};
        float[] ys = vexp(xs);
        for (int i = 0; i < xs.length; i++) {
            float x = xs[i], y = ys[i], ref = (float) StrictMath.exp(x);
            assertEquals(Float.floatToIntBits(y), Float.floatToIntBits(VecMath.exp(x)), "scalar twin at " + x);
            if (Float.isNaN(x)) { assertTrue(Float.isNaN(y)); continue; }
            if (Float.isInfinite(ref) || ref == 0f || ref == 1f) assertEquals(ref, y, "e^" + x);
            else assertTrue(ulpError(x, y) <= 1.0, "e^" + x + " = " + y + ", expected " + ref);
        }
        assertEquals(3.4027985E38f, VecMath.exp(88.72283f));         // the largest finite result
        assertEquals(Float.MIN_VALUE, VecMath.exp(-103.27893f));     // the smallest subnormal
    }

    @Test void aLaneOutsideTheFastRangeDoesNotChangeTheOthers() {
        // a vector with one extreme lane takes the clamped path; the other lanes must keep the fast path's bits
        float[] xs = new float[VL];
        for (int i = 0; i < VL; i++) xs[i] = -3.7f + 1.3f * i;
        float[] fast = vexp(xs);
        for (float extreme : new float[]{-95f, 88.5f, Float.NaN, Float.NEGATIVE_INFINITY}) {
            float[] mixed = xs.clone();
            mixed[VL - 1] = extreme;
            float[] ys = vexp(mixed);
            for (int i = 0; i < VL - 1; i++) assertEquals(Float.floatToRawIntBits(fast[i]), Float.floatToRawIntBits(ys[i]), "lane " + i + " beside " + extreme);
        }
    }
}
