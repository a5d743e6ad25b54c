package io.clip4j.kernel;

import static io.clip4j.kernel.TestUtil.assertClose;
import static io.clip4j.kernel.TestUtil.assertRel;
import static io.clip4j.kernel.TestUtil.rand;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ElementwiseTest {
    private static final double[][] ERF = {
            {0.0, 0.0, 1.0},
            {1e-10, 1.1283791670955126e-10, 0.999999999887162},
            {1e-05, 1.1283791670579e-05, 0.9999887162083294},
            {0.01, 0.011283415555849616, 0.9887165844441503},
            {0.1, 0.1124629160182849, 0.8875370839817152},
            {0.25, 0.2763263901682369, 0.7236736098317631},
            {0.4, 0.42839235504666845, 0.5716076449533315},
            {0.46875, 0.49261347321793797, 0.507386526782062},
            {0.47, 0.4937450508860821, 0.5062549491139179},
            {0.5, 0.5204998778130465, 0.4795001221869535},
            {0.6, 0.6038560908479259, 0.3961439091520741},
            {0.75, 0.7111556336535151, 0.28884436634648486},
            {0.9, 0.7969082124228322, 0.20309178757716786},
            {1.0, 0.8427007929497149, 0.15729920705028513},
            {1.25, 0.9229001282564582, 0.07709987174354177},
            {1.5, 0.9661051464753108, 0.033894853524689274},
            {1.75, 0.9866716712191824, 0.013328328780817555},
            {2.0, 0.9953222650189527, 0.004677734981047265},
            {2.5, 0.999593047982555, 0.0004069520174449589},
            {3.0, 0.9999779095030014, 2.2090496998585438e-05},
            {3.5, 0.9999992569016276, 7.430983723414128e-07},
            {3.99, 0.9999999832607886, 1.6739211364520814e-08},
            {4.0, 0.9999999845827421, 1.541725790028002e-08},
            {4.01, 0.9999999858030606, 1.4196939421371052e-08},
            {4.5, 0.9999999998033839, 1.9661604415428873e-10},
            {5.0, 0.9999999999984626, 1.5374597944280351e-12},
            {5.5, 0.9999999999999927, 7.357847917974398e-15},
            {6.0, 1.0, 2.1519736712498916e-17},
            {7.0, 1.0, 4.183825607779414e-23},
            {10.0, 1.0, 2.088487583762545e-45},
            {20.0, 1.0, 5.3958656116079005e-176},
            {26.0, 1.0, 5.663192408856143e-296},
            {-0.3, -0.3286267594591274, 1.3286267594591274},
            {-0.5, -0.5204998778130465, 1.5204998778130465},
            {-1.1, -0.8802050695740817, 1.8802050695740817},
            {-2.2, -0.9981371537020182, 1.998137153702018},
            {-3.3, -0.9999969422902035, 1.9999969422902035},
            {-4.4, -0.999999999510829, 1.999999999510829},
            {-5.9, -0.9999999999999999, 2.0}

    };

    /** {x, 0.5·x·erfc(−x/√2)} from Python's math.erfc (no cancellation for x ≪ 0). */
    private static final double[][] GELU = {
            {-12.0, -2.1317785344932424e-32},
            {-8.0, -4.9767684594174555e-15},
            {-6.0, -5.919525870226207e-09},
            {-5.0, -1.4332578593959731e-06},
            {-4.0, -0.00012668496733247986},
            {-3.0, -0.004049694094890287},
            {-2.0, -0.04550026389635844},
            {-1.5, -0.10021080190328713},
            {-1.0, -0.15865525393145707},
            {-0.5, -0.15426876936299344},
            {-0.1, -0.0460172162722971},
            {-0.001, -0.000499601057786089},
            {0.0, 0.0},
            {0.001, 0.000500398942213911},
            {0.1, 0.053982783727702904},
            {0.5, 0.34573123063700656},
            {1.0, 0.8413447460685429},
            {1.5, 1.399789198096713},
            {2.0, 1.9544997361036416},
            {3.0, 2.99595030590511},
            {5.0, 4.99999856674214},
            {10.0, 10.0}

    };

    /** {x, erf(x), erfc(x)} from Python's math.erf / math.erfc (an independent implementation). */
    @Test void erfMatchesPython() {
        for (double[] p : ERF) {
            assertEquals(p[1], Erf.erf(p[0]), 1e-15, "erf(" + p[0] + ")");
            if (p[0] != 0) assertEquals(p[1], Erf.erf(p[0]), Math.abs(p[1]) * 4e-16 + 1e-300, "rel erf(" + p[0] + ")");
            assertEquals(p[2], Erf.erfc(p[0]), Math.abs(p[2]) * 1e-14 + 1e-300, "erfc(" + p[0] + ")");
        }
        assertEquals(0.0, Erf.erf(0.0));
        assertEquals(1.0, Erf.erf(40.0));
        assertEquals(-1.0, Erf.erf(-40.0));
        assertTrue(Double.isNaN(Erf.erf(Double.NaN)));
        assertEquals(1.0, Erf.erf(Double.POSITIVE_INFINITY));
        assertEquals(0.0, Erf.erfc(Double.POSITIVE_INFINITY));
        assertEquals(2.0, Erf.erfc(Double.NEGATIVE_INFINITY));
        // odd and monotone on a fine grid
        double prev = -1.0;
        for (int i = -6000; i <= 6000; i++) {
            double x = i / 1000.0, e = Erf.erf(x);
            assertEquals(-e, Erf.erf(-x), 0.0);
            assertTrue(e >= prev, "monotone at " + x);
            prev = e;
        }
    }

    @Test void geluMatchesPython() {
        for (double[] p : GELU) {
            float[] x = {(float) p[0]};
            float ref = (float) p[1];
            float scalar = ScalarOps.gelu((float) p[0]);
            assertEquals(ref, scalar, Math.abs(ref) * 1e-6 + 1e-30, "scalar gelu(" + p[0] + ")");
            // vector path: fill a whole vector-length array with the value
            float[] v = new float[64];
            java.util.Arrays.fill(v, (float) p[0]);
            Ops.gelu(v, v.length);
            for (float f : v) assertEquals(ref, f, Math.abs(ref) * 2e-6 + 1e-30, "fast gelu(" + p[0] + ")");
            Ops.gelu(x, 1);   // scalar tail path
            assertEquals(ref, x[0], Math.abs(ref) * 2e-6 + 1e-30, "tail gelu(" + p[0] + ")");
        }
    }

    private static float[] specials(SplittableRandom r, int n, float range) {
        float[] x = rand(r, n, -range, range);
        float[] sp = {0f, -0f, 1e-30f, -1e-30f, 1e-7f, -1e-7f, 88f, -88f, 100f, -100f, 1e4f, -1e4f, 3.4e38f, -3.4e38f};
        System.arraycopy(sp, 0, x, 0, Math.min(n, sp.length));
        return x;
    }

    @Test void activationsMatchScalar() {
        SplittableRandom r = new SplittableRandom(11);
        for (int n : new int[] {1, 3, 7, 8, 15, 16, 17, 33, 1000, 100_003, 1 << 20}) {
            for (float range : new float[] {3f, 12f}) {
                float[] x = specials(r, n, range);
                float[] a = x.clone(), b = x.clone();
                Ops.quickGelu(a, n); ScalarOps.quickGelu(b, n);
                // x·sigmoid(k·x) in float: the exponent (up to ~40 here) carries ~|k·x|·2^-24 absolute error into e^(−kx)
                assertRel(b, a, n, 1e-5, 1e-37, "quickGelu n=" + n);
                a = x.clone(); b = x.clone();
                Ops.geluTanh(a, n); ScalarOps.geluTanh(b, n);
                assertRel(b, a, n, 1e-5, 1e-37, "geluTanh n=" + n);
                a = x.clone(); b = x.clone();
                Ops.gelu(a, n); ScalarOps.gelu(b, n);
                // relative accuracy ~3e-7 for |x| < 5, growing to ~3e-6 at x ≈ −12 (the float exponent −x²/2 + P(t));
                // absolute slack only for outputs below 1e-30, where erfc leaves float's range anyway
                assertRel(b, a, n, 5e-6, 1e-30, "gelu n=" + n);
                float[] mid = rand(r, 4096, -5f, 5f), midRef = mid.clone();
                Ops.gelu(mid, mid.length); ScalarOps.gelu(midRef, midRef.length);
                assertRel(midRef, mid, mid.length, 1e-6, 1e-37, "gelu |x|<5");
            }
        }
    }

    @Test void activationsAreBitIdenticalWhateverTheThreadCount() {
        // the chunk boundaries move with the thread count, and with them which values take the scalar tail loops:
        // the scalar twins must give the vector lanes' bits
        SplittableRandom r = new SplittableRandom(14);
        for (int n : new int[] {100_003, (1 << 20) + 5}) {
            float[] x = specials(r, n, 12f);
            for (Activation act : Activation.values()) {
                float[] a = x.clone(), b = x.clone();
                Ops.activation(act, a, n);
                Parallel.withMaxThreads(1, () -> Ops.activation(act, b, n));
                for (int i = 0; i < n; i++) {
                    if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) fail(act + " n=" + n + " at " + i + " (x = " + x[i] + "): " + a[i] + " vs " + b[i]);
                }
                for (int i = 0; i < n; i += 997) assertEquals(Float.floatToIntBits(VecMath.apply(act, x[i])), Float.floatToIntBits(b[i]), act + " scalar twin at " + x[i]);
            }
        }
    }

    @Test void vectorExpWithinTwoUlps() {
        int n = 200_000;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = -87.3f + (88.7f + 87.3f) * i / (n - 1);
        float[] y = new float[n];
        int upper = Vec.S.loopBound(n);
        for (int i = 0; i < upper; i += Vec.VL) VecMath.exp(jdk.incubator.vector.FloatVector.fromArray(Vec.S, x, i)).intoArray(y, i);
        for (int i = 0; i < upper; i++) {
            double ref = Math.exp(x[i]);
            assertTrue(Math.abs(y[i] - ref) <= 2 * Math.ulp((float) ref), "exp(" + x[i] + ") = " + y[i] + ", expected " + ref);
        }
        float[] sp = new float[Vec.VL];
        float[] in = {0f, -0f, 1f, -1f, 88.72f, -87.3f, 89f, -88f, -1000f, 1000f, Float.NaN, Float.POSITIVE_INFINITY,
                      Float.NEGATIVE_INFINITY, 1e-8f, -1e-8f, 10f};
        for (int i0 = 0; i0 < in.length; i0 += Vec.VL) {
            int m = Math.min(Vec.VL, in.length - i0);
            java.util.Arrays.fill(sp, 0f);
            System.arraycopy(in, i0, sp, 0, m);
            float[] o = new float[Vec.VL];
            VecMath.exp(jdk.incubator.vector.FloatVector.fromArray(Vec.S, sp, 0)).intoArray(o, 0);
            for (int i = 0; i < m; i++) {
                float v = sp[i], ref = (float) Math.exp(v);
                if (Float.isNaN(v)) assertTrue(Float.isNaN(o[i]));
                else assertEquals(ref, o[i], 2 * Math.ulp(ref) + 1e-44f, "exp(" + v + ")");
            }
        }
    }

    @Test void activationsOnlyTouchFirstN() {
        float[] x = {1f, 2f, 3f, 4f, 5f, 6f, 7f, 8f, 9f, 10f, 11f, 12f, 13f, 14f, 15f, 16f, 17f, 18f, 19f, 20f};
        float[] y = x.clone();
        Ops.gelu(y, 11);
        for (int i = 11; i < x.length; i++) assertEquals(x[i], y[i]);
        Ops.quickGelu(y, 0);
    }

    @Test void addInPlace() {
        SplittableRandom r = new SplittableRandom(12);
        for (int n : new int[] {0, 1, 5, 8, 17, 1000, 1 << 20, (1 << 20) + 3}) {
            float[] a = rand(r, n + 2, -1f, 1f), b = rand(r, n + 2, -1f, 1f);
            float[] ref = a.clone();
            ScalarOps.addInPlace(ref, b, n);
            Ops.addInPlace(a, b, n);
            assertArrayEquals(ref, a, "n=" + n);   // a single rounding per element: exact
        }
    }

    @Test void addBroadcast() {
        SplittableRandom r = new SplittableRandom(14);
        for (int[] s : new int[][] {{0, 5}, {3, 0}, {1, 1}, {4, 7}, {2, 17}, {32, 50 * 768}, {5, 1000}, {300, 1001}}) {
            int B = s[0], n = s[1];
            float[] x = rand(r, B * n + 3, -1f, 1f), row = rand(r, n + 1, -1f, 1f);
            float[] ref = x.clone();
            for (int b = 0; b < B; b++) for (int i = 0; i < n; i++) ref[b * n + i] += row[i];
            Ops.addBroadcast(x, row, B, n);
            assertArrayEquals(ref, x, "B=" + B + " n=" + n);   // one rounding per element: exact, and nothing past B·n
        }
        assertThrows(IllegalArgumentException.class, () -> Ops.addBroadcast(new float[10], new float[5], 3, 5));
    }

    @Test void layerNormMatchesScalar() {
        SplittableRandom r = new SplittableRandom(13);
        int[][] shapes = {{1, 1}, {1, 7}, {3, 8}, {2, 17}, {5, 33}, {50, 768}, {77, 512}, {1600, 768}, {10, 1152}, {4, 1000}};
        for (int[] s : shapes) {
            int N = s[0], C = s[1];
            float[] x = rand(r, N * C, -3f, 5f), g = rand(r, C, 0.5f, 1.5f), b = rand(r, C, -1f, 1f);
            float[] ref = new float[N * C], out = new float[N * C];
            ScalarOps.layerNorm(ref, x, g, b, N, C, 1e-5f);
            Ops.layerNorm(out, x, g, b, N, C, 1e-5f);
            assertClose(ref, out, N * C, 2e-5, "N=" + N + " C=" + C);
            float[] single = new float[N * C];
            Parallel.withMaxThreads(1, () -> Ops.layerNorm(single, x, g, b, N, C, 1e-5f));
            // bitwise: rows are independent and the lane sums have one fixed order in every JIT tier (Vec.sum)
            assertArrayEquals(single, out, "threaded vs single N=" + N + " C=" + C);
            float[] inPlace = x.clone();
            Ops.layerNorm(inPlace, inPlace, g, b, N, C, 1e-5f);
            assertArrayEquals(out, inPlace, "in place");
        }
        // constant rows: variance 0, output = beta
        float[] x = new float[2 * 20];
        java.util.Arrays.fill(x, 3f);
        float[] g = new float[20], b = new float[20], out = new float[40];
        java.util.Arrays.fill(g, 1f);
        for (int i = 0; i < 20; i++) b[i] = i;
        Ops.layerNorm(out, x, g, b, 2, 20, 1e-5f);
        for (int i = 0; i < 40; i++) assertEquals(b[i % 20], out[i], 1e-6);
    }
}
