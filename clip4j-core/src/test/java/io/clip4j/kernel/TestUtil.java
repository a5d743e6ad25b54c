package io.clip4j.kernel;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;

final class TestUtil {
    private TestUtil() {}

    static float[] rand(SplittableRandom r, int n, float lo, float hi) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (lo + (hi - lo) * r.nextDouble());
        return a;
    }

    static float maxAbs(float[] a, int n) {
        float m = 0f;
        for (int i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i]));
        return m;
    }

    /** |a−e| ≤ rel·max(1, max|e|) element-wise over n values (summation order differs between the kernels). */
    static void assertClose(float[] expected, float[] actual, int n, double rel, String what) {
        double tol = rel * Math.max(1f, maxAbs(expected, n));
        for (int i = 0; i < n; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= tol)) fail(what + ": index " + i + " expected " + expected[i] + " got " + actual[i] + " (tol " + tol + ")");
        }
    }

    /** |a−e| ≤ rel·|e| + abs element-wise. */
    static void assertRel(float[] expected, float[] actual, int n, double rel, double abs, String what) {
        for (int i = 0; i < n; i++) {
            double d = Math.abs((double) expected[i] - actual[i]);
            if (!(d <= rel * Math.abs(expected[i]) + abs))
                fail(what + ": index " + i + " expected " + expected[i] + " got " + actual[i]);
        }
    }
}
