package io.clip4j.model;

/**
 * Resizes a G×G grid of position embeddings to h×w as PyTorch's
 * {@code F.interpolate(mode="bilinear", align_corners=False, antialias=True)} does (SigLIP 2 NaFlex).
 *
 * <p>Per axis (in → out): scale = in/out; support = scale when downsampling, else 1; for output index i the centre is
 * scale·(i + 0.5) and input j gets weight tri((j − centre + 0.5)/max(scale, 1)) with tri(x) = max(0, 1 − |x|),
 * over j ∈ [max(⌊centre − support + 0.5⌋, 0), min(⌊centre + support + 0.5⌋, in)), normalised to sum 1.
 * Upsampling this is plain bilinear with edge clamping; downsampling it averages (antialias). Computed in double.
 * The map is linear in the grid; {@link #resizeBackward} is its transpose (training through the resize).
 */
public final class PositionResize {
    private PositionResize() {}

    /** grid[G·G, D] (row-major over the grid) → out[h·w, D]. */
    public static float[] resize(float[] grid, int G, int D, int h, int w) {
        double[][] wy = weights(G, h), wx = weights(G, w);
        int[] y0 = start(G, h), x0 = start(G, w);
        float[] out = new float[h * w * D];
        double[] acc = new double[D];
        for (int oy = 0; oy < h; oy++) {
            for (int ox = 0; ox < w; ox++) {
                java.util.Arrays.fill(acc, 0);
                for (int a = 0; a < wy[oy].length; a++) {
                    for (int b = 0; b < wx[ox].length; b++) {
                        double wt = wy[oy][a] * wx[ox][b];
                        if (wt == 0) continue;
                        int src = ((y0[oy] + a) * G + (x0[ox] + b)) * D;
                        for (int d = 0; d < D; d++) acc[d] += wt * grid[src + d];
                    }
                }
                int dst = (oy * w + ox) * D;
                for (int d = 0; d < D; d++) out[dst + d] = (float) acc[d];
            }
        }
        return out;
    }

    /**
     * The adjoint of {@link #resize}: resize is linear, out = A·grid with A[(oy·w + ox), (y·G + x)] = wy[oy][y]·wx[ox][x]
     * (the same weights, per channel), so d loss / d grid = Aᵀ · d loss / d out. For dout[h·w, D] read from
     * dout[doutOffset ..] this ADDS Aᵀ·dout into dgrid[G·G, D] (summed in double per grid cell, in a fixed order,
     * then added once as float).
     */
    public static void resizeBackward(float[] dgrid, float[] dout, int doutOffset, int G, int D, int h, int w) {
        double[][] wy = weights(G, h), wx = weights(G, w);
        int[] y0 = start(G, h), x0 = start(G, w);
        double[] acc = new double[G * G * D];
        for (int oy = 0; oy < h; oy++) {
            for (int ox = 0; ox < w; ox++) {
                int src = doutOffset + (oy * w + ox) * D;
                for (int a = 0; a < wy[oy].length; a++) {
                    for (int b = 0; b < wx[ox].length; b++) {
                        double wt = wy[oy][a] * wx[ox][b];
                        if (wt == 0) continue;
                        int dst = ((y0[oy] + a) * G + (x0[ox] + b)) * D;
                        for (int d = 0; d < D; d++) acc[dst + d] += wt * dout[src + d];
                    }
                }
            }
        }
        for (int i = 0; i < acc.length; i++) dgrid[i] += (float) acc[i];
    }

    private static int[] start(int in, int out) {
        double scale = (double) in / out, support = scale >= 1 ? scale : 1.0;
        int[] s = new int[out];
        for (int i = 0; i < out; i++) s[i] = Math.max((int) (scale * (i + 0.5) - support + 0.5), 0);
        return s;
    }

    private static double[][] weights(int in, int out) {
        double scale = (double) in / out, support = scale >= 1 ? scale : 1.0, inv = scale >= 1 ? 1.0 / scale : 1.0;
        double[][] w = new double[out][];
        for (int i = 0; i < out; i++) {
            double center = scale * (i + 0.5);
            int xmin = Math.max((int) (center - support + 0.5), 0);
            int xmax = Math.min((int) (center + support + 0.5), in);
            w[i] = new double[Math.max(xmax - xmin, 0)];
            double total = 0;
            for (int j = 0; j < w[i].length; j++) {
                double x = Math.abs((j + xmin - center + 0.5) * inv);
                w[i][j] = x < 1 ? 1 - x : 0;
                total += w[i][j];
            }
            if (total != 0) for (int j = 0; j < w[i].length; j++) w[i][j] /= total;
        }
        return w;
    }
}
