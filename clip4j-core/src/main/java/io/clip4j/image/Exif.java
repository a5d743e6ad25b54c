package io.clip4j.image;

/** Reads the Orientation tag (0x0112) from a TIFF-structured EXIF block. */
final class Exif {
    private Exif() {}

    /** The orientation (1..8) in the TIFF data at {@code off..off+len}, or 0 when absent or unreadable. */
    static int orientation(byte[] d, int off, int len) {
        try {
            if (len < 8) return 0;
            boolean le;
            if (d[off] == 'I' && d[off + 1] == 'I') le = true;
            else if (d[off] == 'M' && d[off + 1] == 'M') le = false;
            else return 0;
            if (u16(d, off + 2, le) != 42) return 0;
            long ifd = u32(d, off + 4, le);
            if (ifd < 8 || ifd + 2 > len) return 0;
            int p = off + (int) ifd;
            int count = u16(d, p, le);
            p += 2;
            for (int i = 0; i < count; i++, p += 12) {
                if (p + 12 > off + len) return 0;
                if (u16(d, p, le) == 0x0112) {
                    int type = u16(d, p + 2, le);
                    int v = type == 3 ? u16(d, p + 8, le) : type == 4 ? (int) u32(d, p + 8, le) : -1;
                    return v >= 1 && v <= 8 ? v : 0;
                }
            }
            return 0;
        } catch (ArrayIndexOutOfBoundsException e) {
            return 0;
        }
    }

    private static int u16(byte[] d, int p, boolean le) {
        int a = d[p] & 0xFF, b = d[p + 1] & 0xFF;
        return le ? a | (b << 8) : (a << 8) | b;
    }

    private static long u32(byte[] d, int p, boolean le) {
        long a = d[p] & 0xFF, b = d[p + 1] & 0xFF, c = d[p + 2] & 0xFF, e = d[p + 3] & 0xFF;
        return le ? a | (b << 8) | (c << 16) | (e << 24) : (a << 24) | (b << 16) | (c << 8) | e;
    }
}
