package io.clip4j.image;

/** EXIF orientation (1..8) applied as Pillow's {@code ImageOps.exif_transpose} does. */
public final class Orientation {
    private Orientation() {}

    /**
     * The image transposed so it displays upright: 2 flip left-right, 3 rotate 180°, 4 flip top-bottom,
     * 5 transpose, 6 rotate 90° clockwise, 7 transverse, 8 rotate 90° counter-clockwise; 1 (and anything else)
     * returns the image unchanged.
     */
    public static PilImage apply(PilImage im, int orientation) {
        if (orientation < 2 || orientation > 8) return im;
        int w = im.width(), h = im.height();
        boolean swap = orientation >= 5;
        int ow = swap ? h : w, oh = swap ? w : h;
        int c = im.channels();
        byte[] src = im.bytes();
        int[] srcI = im.ints();
        byte[] ob = src == null ? null : new byte[src.length];
        int[] oi = srcI == null ? null : new int[srcI.length];
        for (int y = 0; y < oh; y++) {
            for (int x = 0; x < ow; x++) {
                int sx, sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }
                    case 4 -> { sx = x; sy = h - 1 - y; }
                    case 5 -> { sx = y; sy = x; }
                    case 6 -> { sx = y; sy = h - 1 - x; }
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }
                    default -> { sx = w - 1 - y; sy = x; }
                }
                int s = sy * w + sx, o = y * ow + x;
                if (ob != null) System.arraycopy(src, s * c, ob, o * c, c);
                else oi[o] = srcI[s];
            }
        }
        return im.sameKind(ow, oh, ob, oi);
    }
}
