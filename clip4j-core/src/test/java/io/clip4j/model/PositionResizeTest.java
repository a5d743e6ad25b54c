package io.clip4j.model;

import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link PositionResize} (F.interpolate bilinear, align_corners=False, antialias=True) and its transpose
 * {@link PositionResize#resizeBackward}. The forward is restated here in float64 from the fixture README's formula and
 * checked against the kernel and against the fixture's resized embeddings; the backward is checked by central finite
 * differences of φ = Σ R·resize(grid) on that float64 forward, by the adjoint identity ⟨R, A·x⟩ = ⟨Aᵀ·R, x⟩, and
 * for accumulation. Shapes cover upsampling, downsampling (antialias), identity and mixed axes.
 */
class PositionResizeTest {
    static final int[][] SHAPES = {{8, 8}, {3, 21}, {18, 3}, {6, 10}, {1, 1}, {5, 3}, {13, 19}, {2, 9}};

    /** Per-axis weights [out][in] of torch's antialiased bilinear (the README's Pillow-style filter). */
    static double[][] axis(int in, int out) {
        double scale = (double) in / out, support = scale >= 1 ? scale : 1, inv = scale >= 1 ? 1 / scale : 1;
        double[][] w = new double[out][in];
        for (int i = 0; i < out; i++) {
            double center = scale * (i + 0.5), total = 0;
            int lo = Math.max((int) (center - support + 0.5), 0), hi = Math.min((int) (center + support + 0.5), in);
            for (int j = lo; j < hi; j++) {
                double x = Math.abs((j - center + 0.5) * inv);
                w[i][j] = Math.max(0, 1 - x);
                total += w[i][j];
            }
            for (int j = lo; j < hi; j++) w[i][j] /= total;
        }
        return w;
    }

    static double[] resizeD(double[] grid, int G, int D, int h, int w) {
        double[][] wy = axis(G, h), wx = axis(G, w);
        double[] out = new double[h * w * D];
        for (int oy = 0; oy < h; oy++) for (int ox = 0; ox < w; ox++) for (int y = 0; y < G; y++) for (int x = 0; x < G; x++) {
            double wt = wy[oy][y] * wx[ox][x];
            if (wt == 0) continue;
            for (int d = 0; d < D; d++) out[(oy * w + ox) * D + d] += wt * grid[(y * G + x) * D + d];
        }
        return out;
    }

    static float[] rand(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) r.nextGaussian();
        return a;
    }

    static double[] d(float[] a) {
        double[] o = new double[a.length];
        for (int i = 0; i < a.length; i++) o[i] = a[i];
        return o;
    }

    @Test void forwardMatchesTheFloat64Formula() {
        Random r = new Random(1);
        int G = 8, D = 5;
        float[] grid = rand(r, G * G * D);
        for (int[] s : SHAPES) {
            double[] want = resizeD(d(grid), G, D, s[0], s[1]);
            float[] got = PositionResize.resize(grid, G, D, s[0], s[1]);
            for (int i = 0; i < want.length; i++) assertEquals(want[i], got[i], 1e-6, s[0] + "x" + s[1] + " at " + i);
        }
        // the grid's own size is the identity
        assertArrayEquals(grid, PositionResize.resize(grid, G, D, G, G));
    }

    @Test void forwardMatchesTheFixtureResizedEmbeddings() throws Exception {
        try (SafeTensors model = SafeTensors.open(Fixtures.path("siglip/siglip2_tiny/model.safetensors"));
             SafeTensors exp = SafeTensors.open(Fixtures.path("siglip/expected_siglip2.safetensors"))) {
            float[] grid = model.floats("vision_model.embeddings.position_embedding.weight");
            int D = 64, G = 8;
            for (int mnp : new int[]{16, 64}) {
                float[] want = exp.floats("mnp" + mnp + ".resized_position_embeddings");
                int[] shapes = exp.ints("mnp" + mnp + ".spatial_shapes");
                int N = shapes.length / 2;
                double worst = 0;
                for (int b = 0; b < N; b++) {
                    int h = shapes[2 * b], w = shapes[2 * b + 1];
                    float[] got = PositionResize.resize(grid, G, D, h, w);
                    for (int i = 0; i < h * w * D; i++) worst = Math.max(worst, Math.abs(got[i] - want[(b * mnp) * D + i]));
                }
                assertTrue(worst < 1e-6, "mnp" + mnp + ": " + worst);
            }
        }
    }

    @Test void backwardIsTheTransposeByFiniteDifferences() {
        Random r = new Random(2);
        int G = 8, D = 3;
        double hStep = 1e-5;
        for (int[] s : SHAPES) {
            int h = s[0], w = s[1];
            float[] grid = rand(r, G * G * D), R = rand(r, h * w * D);
            // dout is read at an offset: the training graph passes one item's rows of a batch buffer
            int off = 7 * D;
            float[] dout = new float[off + R.length];
            System.arraycopy(R, 0, dout, off, R.length);
            float[] dgrid = new float[grid.length];
            PositionResize.resizeBackward(dgrid, dout, off, G, D, h, w);
            double[] x = d(grid);
            double worst = 0, maxNum = 0;
            for (int i = 0; i < x.length; i++) {
                double keep = x[i];
                x[i] = keep + hStep;
                double up = dot(resizeD(x, G, D, h, w), R);
                x[i] = keep - hStep;
                double dn = dot(resizeD(x, G, D, h, w), R);
                x[i] = keep;
                double num = (up - dn) / (2 * hStep);
                maxNum = Math.max(maxNum, Math.abs(num));
                worst = Math.max(worst, Math.abs(num - dgrid[i]));
            }
            System.out.printf("gradcheck resize 8x8 -> %-6s n=%-4d max|g|=%.3e  max|Δ|=%.2e  rel=%.2e%n", h + "x" + w, x.length, maxNum, worst, worst / maxNum);
            assertTrue(worst <= 1e-6 * maxNum + 1e-7, h + "x" + w + ": " + worst);

            // adjoint identity in float64: <R, A x> = <Aᵀ R, x>
            double lhs = dot(resizeD(d(grid), G, D, h, w), R), rhs = 0;
            for (int i = 0; i < grid.length; i++) rhs += (double) dgrid[i] * grid[i];
            assertEquals(lhs, rhs, 1e-5 * Math.max(1, Math.abs(lhs)), h + "x" + w + " adjoint identity");

            // accumulation: a second call adds the same again
            float[] twice = dgrid.clone();
            PositionResize.resizeBackward(twice, dout, off, G, D, h, w);
            for (int i = 0; i < grid.length; i++) assertEquals(2 * dgrid[i], twice[i], 1e-6 * Math.max(1, Math.abs(dgrid[i])));
        }
    }

    static double dot(double[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
