package io.clip4j.image;

import java.util.Arrays;
import java.util.Objects;

/**
 * A decoded image in a Pillow mode: what {@code Image.open(file)} holds, sample for sample.
 *
 * <p>8-bit modes keep interleaved samples in {@link #bytes()} ({@code height × width × channels}, row-major, HWC);
 * mode {@link PilMode#I} keeps one int per pixel in {@link #ints()}. Palette images ({@link PilMode#P}) carry their
 * palette as RGB triplets and, where the file had one, a per-index alpha table. Grey and RGB images may carry a
 * transparent colour key (PNG tRNS), as Pillow keeps it in {@code info["transparency"]}; the reference pipeline
 * ignores it.
 *
 * <p>Instances are treated as immutable: the accessors return the internal arrays for speed, so callers must not
 * modify them. Operations ({@link Resample}, {@link #toRgb()}, ...) always return new images.
 */
public final class PilImage {
    private final PilMode mode;
    private final int width;
    private final int height;
    private final byte[] bytes;
    private final int[] ints;
    private final byte[] palette;
    private final byte[] paletteAlpha;
    private final int[] colorKey;

    private PilImage(PilMode mode, int width, int height, byte[] bytes, int[] ints,
                     byte[] palette, byte[] paletteAlpha, int[] colorKey) {
        this.mode = Objects.requireNonNull(mode, "mode");
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        long n = (long) width * height * mode.channels();
        if (mode == PilMode.I) {
            if (ints == null || ints.length != n) throw new IllegalArgumentException("mode I needs " + n + " ints");
            if (bytes != null) throw new IllegalArgumentException("mode I stores ints, not bytes");
        } else {
            if (bytes == null || bytes.length != n) throw new IllegalArgumentException("mode " + mode.pilName() + " needs " + n + " bytes");
            if (ints != null) throw new IllegalArgumentException("mode " + mode.pilName() + " stores bytes, not ints");
        }
        if (mode == PilMode.P) {
            if (palette == null || palette.length % 3 != 0 || palette.length > 768) {
                throw new IllegalArgumentException("mode P needs an RGB palette of at most 256 entries");
            }
        } else if (palette != null || paletteAlpha != null) {
            throw new IllegalArgumentException("only mode P has a palette");
        }
        this.width = width;
        this.height = height;
        this.bytes = bytes;
        this.ints = ints;
        this.palette = palette;
        this.paletteAlpha = paletteAlpha;
        this.colorKey = colorKey;
    }

    /** An 8-bit image (any mode but P and I), HWC interleaved. The array is not copied. */
    public static PilImage of(PilMode mode, int width, int height, byte[] samples) {
        if (mode == PilMode.P || mode == PilMode.I) throw new IllegalArgumentException("use palette()/ofInts() for mode " + mode.pilName());
        return new PilImage(mode, width, height, samples, null, null, null, null);
    }

    /** A mode-I image. The array is not copied. */
    public static PilImage ofInts(int width, int height, int[] values) {
        return new PilImage(PilMode.I, width, height, null, values, null, null, null);
    }

    /**
     * A palette image: {@code indices} one byte per pixel, {@code paletteRgb} 3 bytes per entry (at most 256
     * entries), {@code paletteAlpha} one byte per entry or null. Arrays are not copied.
     */
    public static PilImage palette(int width, int height, byte[] indices, byte[] paletteRgb, byte[] paletteAlpha) {
        return new PilImage(PilMode.P, width, height, indices, null, paletteRgb, paletteAlpha, null);
    }

    /** This image with a transparent colour key (grey: one value; RGB: three), as PNG tRNS gives it. */
    public PilImage withColorKey(int[] key) {
        return new PilImage(mode, width, height, bytes, ints, palette, paletteAlpha, key == null ? null : key.clone());
    }

    PilImage sameKind(int w, int h, byte[] b, int[] i) {
        return new PilImage(mode, w, h, b, i, palette, paletteAlpha, colorKey);
    }

    public PilMode mode() { return mode; }
    public int width() { return width; }
    public int height() { return height; }
    public int channels() { return mode.channels(); }
    /** 8-bit samples, HWC (null for mode I). Not a copy: do not modify. */
    public byte[] bytes() { return bytes; }
    /** Mode-I values (null otherwise). Not a copy: do not modify. */
    public int[] ints() { return ints; }
    /** Mode-P palette, RGB triplets (null otherwise). Not a copy: do not modify. */
    public byte[] palette() { return palette; }
    /** Number of palette entries (0 unless mode P). */
    public int paletteSize() { return palette == null ? 0 : palette.length / 3; }
    /** Mode-P per-entry alpha (PNG tRNS), or null. Entries past its length are opaque. Not a copy. */
    public byte[] paletteAlpha() { return paletteAlpha; }
    /** Transparent colour key of an L / RGB / I image (PNG tRNS), or null. */
    public int[] colorKey() { return colorKey == null ? null : colorKey.clone(); }

    /**
     * The samples as unsigned ints in Pillow's numpy layout ({@code np.array(image)}): HWC for multi-channel
     * modes, one value per pixel otherwise; mode "1" gives 0/1 like numpy's bool array.
     */
    public int[] toIntArray() {
        if (mode == PilMode.I) return ints.clone();
        int[] out = new int[bytes.length];
        boolean bit = mode == PilMode.ONE;
        for (int i = 0; i < out.length; i++) {
            int v = bytes[i] & 0xFF;
            out[i] = bit ? (v != 0 ? 1 : 0) : v;
        }
        return out;
    }

    /** Pillow's {@code convert("RGB")}: HWC bytes. See {@link PilConvert#toRgb(PilImage)}. */
    public byte[] toRgb() { return PilConvert.toRgb(this); }

    /** Pillow's {@code crop((left, top, left + w, top + h))}: areas outside the image are zero (palette index 0). */
    public PilImage crop(int left, int top, int w, int h) {
        if (w <= 0 || h <= 0) throw new IllegalArgumentException("crop size must be positive: " + w + "x" + h);
        if (left == 0 && top == 0 && w == width && h == height) return this;
        int c = channels();
        byte[] nb = bytes == null ? null : new byte[Math.multiplyExact(Math.multiplyExact(w, h), c)];
        int[] ni = ints == null ? null : new int[Math.multiplyExact(w, h)];
        int x0 = Math.max(0, left), x1 = Math.min(width, left + w);
        for (int y = 0; y < h; y++) {
            int sy = top + y;
            if (sy < 0 || sy >= height || x0 >= x1) continue;
            int len = (x1 - x0) * c;
            int src = (sy * width + x0) * c, dst = (y * w + (x0 - left)) * c;
            if (nb != null) System.arraycopy(bytes, src, nb, dst, len);
            else System.arraycopy(ints, src, ni, dst, len);
        }
        return sameKind(w, h, nb, ni);
    }

    @Override public String toString() {
        return "PilImage[" + mode.pilName() + " " + width + "x" + height
                + (palette != null ? ", " + paletteSize() + " colours" : "") + "]";
    }

    @Override public boolean equals(Object o) {
        return o instanceof PilImage p && p.mode == mode && p.width == width && p.height == height
                && Arrays.equals(p.bytes, bytes) && Arrays.equals(p.ints, ints) && Arrays.equals(p.palette, palette)
                && Arrays.equals(p.paletteAlpha, paletteAlpha) && Arrays.equals(p.colorKey, colorKey);
    }

    @Override public int hashCode() {
        return Objects.hash(mode, width, height, Arrays.hashCode(bytes), Arrays.hashCode(ints), Arrays.hashCode(palette));
    }
}
