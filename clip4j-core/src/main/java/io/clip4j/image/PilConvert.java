package io.clip4j.image;

/**
 * Mode conversions with Pillow's integer arithmetic (libImaging/Convert.c).
 */
public final class PilConvert {
    private PilConvert() {}

    /** Pillow's MULDIV255: round(a·b/255) for a, b in 0..255, computed exactly as Pillow does. */
    static int mulDiv255(int a, int b) {
        int t = a * b + 128;
        return ((t >> 8) + t) >> 8;
    }

    static int clip8(int v) { return v < 0 ? 0 : Math.min(v, 255); }

    /**
     * {@code image.convert("RGB")} as Pillow does it: L and 1 replicate the grey value, LA / RGBA drop alpha (no
     * compositing), P looks up the palette (transparency ignored; indices past the palette give black), I clamps to
     * 0..255, CMYK uses R = 255 − K − round(C·(255 − K)/255) (likewise G, B), clamped.
     *
     * @return HWC RGB bytes, {@code width·height·3} long
     */
    public static byte[] toRgb(PilImage im) {
        int n = Math.multiplyExact(im.width(), im.height());
        byte[] out = new byte[Math.multiplyExact(n, 3)];
        byte[] b = im.bytes();
        switch (im.mode()) {
            case RGB -> System.arraycopy(b, 0, out, 0, out.length);
            case L, ONE -> {
                for (int i = 0, o = 0; i < n; i++, o += 3) { byte v = b[i]; out[o] = v; out[o + 1] = v; out[o + 2] = v; }
            }
            case LA -> {
                for (int i = 0, o = 0; i < n; i++, o += 3) { byte v = b[2 * i]; out[o] = v; out[o + 1] = v; out[o + 2] = v; }
            }
            case RGBA -> {
                for (int i = 0, o = 0; i < n; i++, o += 3) {
                    out[o] = b[4 * i]; out[o + 1] = b[4 * i + 1]; out[o + 2] = b[4 * i + 2];
                }
            }
            case P -> {
                byte[] pal = paletteTable(im);
                for (int i = 0, o = 0; i < n; i++, o += 3) {
                    int k = (b[i] & 0xFF) * 3;
                    out[o] = pal[k]; out[o + 1] = pal[k + 1]; out[o + 2] = pal[k + 2];
                }
            }
            case I -> {
                int[] v = im.ints();
                for (int i = 0, o = 0; i < n; i++, o += 3) {
                    byte c = (byte) clip8(v[i]);
                    out[o] = c; out[o + 1] = c; out[o + 2] = c;
                }
            }
            case CMYK -> {
                for (int i = 0, o = 0; i < n; i++, o += 3) {
                    int nk = 255 - (b[4 * i + 3] & 0xFF);
                    out[o] = (byte) clip8(nk - mulDiv255(b[4 * i] & 0xFF, nk));
                    out[o + 1] = (byte) clip8(nk - mulDiv255(b[4 * i + 1] & 0xFF, nk));
                    out[o + 2] = (byte) clip8(nk - mulDiv255(b[4 * i + 2] & 0xFF, nk));
                }
            }
        }
        return out;
    }

    /** A 256-entry RGB table for a palette image; entries past the image's palette are black. */
    private static byte[] paletteTable(PilImage im) {
        byte[] pal = new byte[768];
        System.arraycopy(im.palette(), 0, pal, 0, im.palette().length);
        return pal;
    }

    /**
     * The image's alpha per pixel (0..255) or null when it has none: LA / RGBA alpha, a P palette's tRNS alpha, or
     * a colour key (pixels equal to it are transparent).
     */
    public static byte[] alpha(PilImage im) {
        int n = im.width() * im.height();
        byte[] b = im.bytes();
        switch (im.mode()) {
            case LA, RGBA -> {
                int c = im.channels();
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) a[i] = b[i * c + c - 1];
                return a;
            }
            case P -> {
                byte[] pa = im.paletteAlpha();
                if (pa == null) return null;
                byte[] table = new byte[256];
                java.util.Arrays.fill(table, (byte) 255);
                System.arraycopy(pa, 0, table, 0, Math.min(pa.length, 256));
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) a[i] = table[b[i] & 0xFF];
                return a;
            }
            case L, RGB, I -> {
                int[] key = im.colorKey();
                if (key == null) return null;
                byte[] a = new byte[n];
                for (int i = 0; i < n; i++) {
                    boolean match;
                    if (im.mode() == PilMode.RGB) {
                        match = key.length == 3 && (b[3 * i] & 0xFF) == key[0] && (b[3 * i + 1] & 0xFF) == key[1]
                                && (b[3 * i + 2] & 0xFF) == key[2];
                    } else if (im.mode() == PilMode.I) {
                        match = im.ints()[i] == key[0];
                    } else {
                        match = (b[i] & 0xFF) == key[0];
                    }
                    a[i] = match ? 0 : (byte) 255;
                }
                return a;
            }
            default -> { return null; }
        }
    }

    /**
     * Composites the image onto an opaque RGB background (alpha blending with Pillow's rounding,
     * {@code out = round((c·a + bg·(255 − a))/255)}), giving an RGB image. Images without transparency are simply
     * converted to RGB.
     */
    public static PilImage compositeOnto(PilImage im, int bgR, int bgG, int bgB) {
        byte[] rgb = toRgb(im);
        byte[] a = alpha(im);
        if (a != null) {
            int[] bg = {bgR & 0xFF, bgG & 0xFF, bgB & 0xFF};
            for (int i = 0; i < a.length; i++) {
                int al = a[i] & 0xFF;
                if (al == 255) continue;
                for (int c = 0; c < 3; c++) {
                    int v = rgb[3 * i + c] & 0xFF;
                    rgb[3 * i + c] = (byte) (mulDiv255(v, al) + mulDiv255(bg[c], 255 - al));
                }
            }
        }
        return PilImage.of(PilMode.RGB, im.width(), im.height(), rgb);
    }
}
