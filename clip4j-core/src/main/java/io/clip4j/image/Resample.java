package io.clip4j.image;

import java.util.Locale;

/**
 * Pillow-exact {@code Image.resize(size, filter)} (Pillow 9.4, libImaging/Resample.c and Geometry.c), without a
 * box and without {@code reducing_gap}, in the image's own mode:
 * <ul>
 *   <li>P and 1 are always resized with nearest neighbour (Pillow forces it);</li>
 *   <li>LA and RGBA are premultiplied (Pillow's RGBa / La), resized, then un-premultiplied with Pillow's
 *       truncating integer division;</li>
 *   <li>I (32-bit int) uses double coefficients with round-half-away rounding after each pass;</li>
 *   <li>other 8-bit modes (L, RGB, CMYK) use 22-bit fixed point coefficients, a horizontal pass over the rows the
 *       vertical pass needs, then a vertical pass, each rounded and clamped to 0..255.</li>
 * </ul>
 * Antialiasing follows Pillow: when reducing, the filter support is scaled by the reduction factor. All methods
 * are stateless and thread-safe.
 */
public final class Resample {
    private Resample() {}

    /** Pillow's resampling filters, with their {@code Image.Resampling} numbers (used in HF configs). */
    public enum Filter {
        NEAREST(0, 0.0), LANCZOS(1, 3.0), BILINEAR(2, 1.0), BICUBIC(3, 2.0), BOX(4, 0.5), HAMMING(5, 1.0);

        private final int pilCode;
        private final double support;

        Filter(int pilCode, double support) { this.pilCode = pilCode; this.support = support; }

        /** The number Pillow (and HF's {@code resample}) uses for this filter. */
        public int pilCode() { return pilCode; }

        /** The filter for a Pillow / HF resample number (0 nearest, 1 lanczos, 2 bilinear, 3 bicubic, 4 box, 5 hamming). */
        public static Filter fromPilCode(int code) {
            for (Filter f : values()) if (f.pilCode == code) return f;
            throw new IllegalArgumentException("unknown Pillow resample code " + code + " (expected 0..5)");
        }

        /** The filter for a name such as "bicubic", "BILINEAR", "antialias" (= lanczos), case-insensitive. */
        public static Filter fromName(String name) {
            String n = name.trim().toUpperCase(Locale.ROOT);
            if (n.equals("ANTIALIAS")) return LANCZOS;
            if (n.equals("LINEAR")) return BILINEAR;
            if (n.equals("CUBIC")) return BICUBIC;
            try {
                return valueOf(n);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown resample filter '" + name
                        + "' (expected nearest, bilinear, bicubic, lanczos, box or hamming)");
            }
        }

        double eval(double x) {
            switch (this) {
                case BOX -> { return x > -0.5 && x <= 0.5 ? 1.0 : 0.0; }
                case BILINEAR -> {
                    if (x < 0.0) x = -x;
                    return x < 1.0 ? 1.0 - x : 0.0;
                }
                case HAMMING -> {
                    if (x < 0.0) x = -x;
                    if (x == 0.0) return 1.0;
                    if (x >= 1.0) return 0.0;
                    x = x * Math.PI;
                    // Pillow writes 0.54f and 0.46f: float constants promoted to double
                    return Math.sin(x) / x * ((double) 0.54f + (double) 0.46f * Math.cos(x));
                }
                case BICUBIC -> {
                    final double a = -0.5;
                    if (x < 0.0) x = -x;
                    if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
                    if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
                    return 0.0;
                }
                case LANCZOS -> {
                    if (-3.0 <= x && x < 3.0) return sinc(x) * sinc(x / 3);
                    return 0.0;
                }
                default -> throw new IllegalStateException("nearest has no kernel");
            }
        }

        private static double sinc(double x) {
            if (x == 0.0) return 1.0;
            x = x * Math.PI;
            return Math.sin(x) / x;
        }
    }

    private static final int PRECISION_BITS = 32 - 8 - 2;

    /**
     * {@code image.resize((width, height), filter)} as Pillow 9.4 computes it. Returns the same instance when the
     * size is unchanged (Pillow returns a copy; images here are immutable).
     */
    public static PilImage resize(PilImage im, int width, int height, Filter filter) {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("target size must be positive: " + width + "x" + height);
        if (im.width() == width && im.height() == height) return im;
        if (im.mode() == PilMode.P || im.mode() == PilMode.ONE) filter = Filter.NEAREST;
        if (filter == Filter.NEAREST) return nearest(im, width, height);
        if (im.mode() == PilMode.I) {
            return im.sameKind(width, height, null, resampleInt(im.ints(), im.width(), im.height(), width, height, filter));
        }
        byte[] src = im.bytes();
        int c = im.channels();
        boolean premul = im.mode() == PilMode.RGBA || im.mode() == PilMode.LA;
        if (premul) src = premultiply(src, c);
        byte[] out = resample8(src, im.width(), im.height(), c, width, height, filter);
        if (premul) unpremultiply(out, c);
        return im.sameKind(width, height, out, null);
    }

    // ---- coefficients (precompute_coeffs) ----

    /** Per output pixel: first input index, count, and ksize coefficients. */
    record Coeffs(int ksize, int[] bounds, double[] k) {}

    static Coeffs precompute(int inSize, int outSize, Filter filter) {
        double scale = (double) ((float) inSize - 0.0f) / outSize;
        double filterscale = scale < 1.0 ? 1.0 : scale;
        double support = filter.support * filterscale;
        int ksize = (int) Math.ceil(support) * 2 + 1;
        if ((long) outSize * ksize > Integer.MAX_VALUE - 8) throw new IllegalArgumentException("resize too large");
        double[] kk = new double[outSize * ksize];
        int[] bounds = new int[outSize * 2];
        for (int xx = 0; xx < outSize; xx++) {
            double center = 0.0 + (xx + 0.5) * scale;
            double ww = 0.0;
            double ss = 1.0 / filterscale;
            int xmin = (int) (center - support + 0.5);
            if (xmin < 0) xmin = 0;
            int xmax = (int) (center + support + 0.5);
            if (xmax > inSize) xmax = inSize;
            xmax -= xmin;
            int base = xx * ksize;
            for (int x = 0; x < xmax; x++) {
                double w = filter.eval((x + xmin - center + 0.5) * ss);
                kk[base + x] = w;
                ww += w;
            }
            if (ww != 0.0) for (int x = 0; x < xmax; x++) kk[base + x] /= ww;
            bounds[xx * 2] = xmin;
            bounds[xx * 2 + 1] = xmax;
        }
        return new Coeffs(ksize, bounds, kk);
    }

    static int[] fixedPoint(double[] prekk) {
        int[] kk = new int[prekk.length];
        double one = 1 << PRECISION_BITS;
        for (int i = 0; i < prekk.length; i++) {
            double v = prekk[i];
            kk[i] = v < 0 ? (int) (-0.5 + v * one) : (int) (0.5 + v * one);
        }
        return kk;
    }

    private static int clip8(int ss) {
        int v = ss >> PRECISION_BITS;
        return v < 0 ? 0 : (v > 255 ? 255 : v);
    }

    // ---- 8 bits per channel ----

    static byte[] resample8(byte[] in, int inW, int inH, int c, int outW, int outH, Filter filter) {
        boolean needH = outW != inW;
        boolean needV = outH != inH;
        Coeffs vert = precompute(inH, outH, filter);
        int yFirst = vert.bounds[0];
        int yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
        byte[] cur = in;
        int curW = inW, curH = inH;
        int[] vb = vert.bounds.clone();
        if (needH) {
            Coeffs hor = precompute(inW, outW, filter);
            for (int i = 0; i < outH; i++) vb[i * 2] -= yFirst;
            int rows = yLast - yFirst;
            cur = horizontal8(in, inW, c, yFirst, rows, outW, hor.ksize, hor.bounds, fixedPoint(hor.k));
            curW = outW;
            curH = rows;
        }
        if (needV) {
            cur = vertical8(cur, curW, c, outH, vert.ksize, vb, fixedPoint(vert.k));
        } else if (!needH) {
            cur = in.clone();
        }
        return cur;
    }

    private static byte[] horizontal8(byte[] in, int inW, int c, int yOffset, int rows, int outW,
                                      int ksize, int[] bounds, int[] kk) {
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(outW, rows), c)];
        final int half = 1 << (PRECISION_BITS - 1);
        int[] ss = new int[c];
        for (int yy = 0; yy < rows; yy++) {
            int rowBase = (yy + yOffset) * inW;
            int o = yy * outW * c;
            for (int xx = 0; xx < outW; xx++) {
                int xmin = bounds[xx * 2], xmax = bounds[xx * 2 + 1];
                int kb = xx * ksize;
                if (c == 1) {
                    int s = half;
                    int p = rowBase + xmin;
                    for (int x = 0; x < xmax; x++) s += (in[p + x] & 0xFF) * kk[kb + x];
                    out[o++] = (byte) clip8(s);
                } else if (c == 3) {
                    int s0 = half, s1 = half, s2 = half;
                    int p = (rowBase + xmin) * 3;
                    for (int x = 0; x < xmax; x++, p += 3) {
                        int k = kk[kb + x];
                        s0 += (in[p] & 0xFF) * k;
                        s1 += (in[p + 1] & 0xFF) * k;
                        s2 += (in[p + 2] & 0xFF) * k;
                    }
                    out[o++] = (byte) clip8(s0);
                    out[o++] = (byte) clip8(s1);
                    out[o++] = (byte) clip8(s2);
                } else {
                    java.util.Arrays.fill(ss, half);
                    int p = (rowBase + xmin) * c;
                    for (int x = 0; x < xmax; x++, p += c) {
                        int k = kk[kb + x];
                        for (int ch = 0; ch < c; ch++) ss[ch] += (in[p + ch] & 0xFF) * k;
                    }
                    for (int ch = 0; ch < c; ch++) out[o++] = (byte) clip8(ss[ch]);
                }
            }
        }
        return out;
    }

    private static byte[] vertical8(byte[] in, int w, int c, int outH, int ksize, int[] bounds, int[] kk) {
        int rowLen = w * c;
        byte[] out = new byte[Math.multiplyExact(outH, rowLen)];
        final int half = 1 << (PRECISION_BITS - 1);
        int[] acc = new int[rowLen];
        for (int yy = 0; yy < outH; yy++) {
            int ymin = bounds[yy * 2], ymax = bounds[yy * 2 + 1];
            int kb = yy * ksize;
            java.util.Arrays.fill(acc, half);
            // accumulate row by row: same sums as Pillow's per-pixel loop (integer addition is associative)
            for (int y = 0; y < ymax; y++) {
                int k = kk[kb + y];
                int p = (y + ymin) * rowLen;
                for (int i = 0; i < rowLen; i++) acc[i] += (in[p + i] & 0xFF) * k;
            }
            int o = yy * rowLen;
            for (int i = 0; i < rowLen; i++) out[o + i] = (byte) clip8(acc[i]);
        }
        return out;
    }

    // ---- mode I (32-bit int), double coefficients ----

    private static int roundUp(double f) {
        return (int) (f >= 0.0 ? f + 0.5 : f - 0.5);
    }

    static int[] resampleInt(int[] in, int inW, int inH, int outW, int outH, Filter filter) {
        boolean needH = outW != inW;
        boolean needV = outH != inH;
        Coeffs vert = precompute(inH, outH, filter);
        int yFirst = vert.bounds[0];
        int yLast = vert.bounds[outH * 2 - 2] + vert.bounds[outH * 2 - 1];
        int[] cur = in;
        int curW = inW;
        int[] vb = vert.bounds.clone();
        if (needH) {
            Coeffs hor = precompute(inW, outW, filter);
            for (int i = 0; i < outH; i++) vb[i * 2] -= yFirst;
            int rows = yLast - yFirst;
            int[] out = new int[Math.multiplyExact(outW, rows)];
            for (int yy = 0; yy < rows; yy++) {
                int rowBase = (yy + yFirst) * inW;
                for (int xx = 0; xx < outW; xx++) {
                    int xmin = hor.bounds[xx * 2], xmax = hor.bounds[xx * 2 + 1];
                    int kb = xx * hor.ksize;
                    double ss = 0.0;
                    for (int x = 0; x < xmax; x++) ss += in[rowBase + xmin + x] * hor.k[kb + x];
                    out[yy * outW + xx] = roundUp(ss);
                }
            }
            cur = out;
            curW = outW;
        }
        if (needV) {
            int[] out = new int[Math.multiplyExact(outH, curW)];
            for (int yy = 0; yy < outH; yy++) {
                int ymin = vb[yy * 2], ymax = vb[yy * 2 + 1];
                int kb = yy * vert.ksize;
                for (int xx = 0; xx < curW; xx++) {
                    double ss = 0.0;
                    for (int y = 0; y < ymax; y++) ss += cur[(y + ymin) * curW + xx] * vert.k[kb + y];
                    out[yy * curW + xx] = roundUp(ss);
                }
            }
            cur = out;
        } else if (!needH) {
            cur = in.clone();
        }
        return cur;
    }

    // ---- premultiplied alpha (RGBA <-> RGBa, LA <-> La) ----

    static byte[] premultiply(byte[] in, int c) {
        byte[] out = new byte[in.length];
        for (int p = 0; p < in.length; p += c) {
            int a = in[p + c - 1] & 0xFF;
            for (int ch = 0; ch < c - 1; ch++) out[p + ch] = (byte) PilConvert.mulDiv255(in[p + ch] & 0xFF, a);
            out[p + c - 1] = (byte) a;
        }
        return out;
    }

    static void unpremultiply(byte[] px, int c) {
        for (int p = 0; p < px.length; p += c) {
            int a = px[p + c - 1] & 0xFF;
            if (a == 255 || a == 0) continue;
            for (int ch = 0; ch < c - 1; ch++) px[p + ch] = (byte) Math.min(255, (255 * (px[p + ch] & 0xFF)) / a);
        }
    }

    // ---- nearest neighbour (ImagingScaleAffine) ----

    static PilImage nearest(PilImage im, int outW, int outH) {
        int inW = im.width(), inH = im.height();
        double a0 = (double) ((float) inW - 0.0f) / outW;
        double a4 = (double) ((float) inH - 0.0f) / outH;
        int[] xin = new int[outW];
        boolean[] xok = new boolean[outW];
        double xo = 0.0 + a0 * 0.5;
        for (int x = 0; x < outW; x++) {
            int xi = xo < 0.0 ? -1 : (int) xo;
            if (xi >= 0 && xi < inW) { xin[x] = xi; xok[x] = true; }
            xo += a0;
        }
        int c = im.channels();
        byte[] ob = im.bytes() == null ? null : new byte[Math.multiplyExact(Math.multiplyExact(outW, outH), c)];
        int[] oi = im.ints() == null ? null : new int[Math.multiplyExact(outW, outH)];
        double yo = 0.0 + a4 * 0.5;
        for (int y = 0; y < outH; y++) {
            int yi = yo < 0.0 ? -1 : (int) yo;
            if (yi >= 0 && yi < inH) {
                for (int x = 0; x < outW; x++) {
                    if (!xok[x]) continue;
                    if (ob != null) {
                        System.arraycopy(im.bytes(), (yi * inW + xin[x]) * c, ob, (y * outW + x) * c, c);
                    } else {
                        oi[y * outW + x] = im.ints()[yi * inW + xin[x]];
                    }
                }
            }
            yo += a4;
        }
        return im.sameKind(outW, outH, ob, oi);
    }
}
