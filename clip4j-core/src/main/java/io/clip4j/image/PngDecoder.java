package io.clip4j.image;

import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A PNG decoder that yields exactly what Pillow 9.4 gives for {@code Image.open(png)}: the mode from bit depth and
 * colour type (1-bit grey → "1", 2/4-bit grey → "L" scaled by 85 / 17, 16-bit grey → "I", 16-bit colour → the high
 * byte of each sample, 16-bit grey+alpha → "RGBA", palette → "P" with PLTE and tRNS), Adam7 interlacing, and the
 * pixel limit checked from IHDR before any image data is inflated. Gamma, ICC and other colour chunks are ignored,
 * as Pillow ignores them.
 */
final class PngDecoder {
    private PngDecoder() {}

    static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    record Result(PilImage image, int exifOrientation) {}

    static boolean matches(byte[] d) {
        if (d.length < 8) return false;
        for (int i = 0; i < 8; i++) if (d[i] != SIGNATURE[i]) return false;
        return true;
    }

    static Result decode(byte[] d, long maxPixels) throws DecodeException {
        int p = 8;
        int width = 0, height = 0, bitDepth = 0, colorType = 0, interlace = 0;
        boolean haveHeader = false;
        byte[] palette = null, trns = null;
        int exifOrientation = 0;
        CRC32 crc = new CRC32();
        // pass 1: header chunks up to the first IDAT (CRC-checked, as Pillow checks them)
        int firstIdat = -1;
        while (true) {
            if (p + 8 > d.length) throw new DecodeException(haveHeader ? "PNG file is truncated (no image data)" : "PNG file is truncated");
            long len = u32(d, p);
            String type = new String(d, p + 4, 4, java.nio.charset.StandardCharsets.ISO_8859_1);
            if (!haveHeader && !type.equals("IHDR")) throw new DecodeException("not a valid PNG file (IHDR chunk missing)");
            if (type.equals("IDAT")) { firstIdat = p; break; }
            if (len > Integer.MAX_VALUE || p + 12 + len > d.length) throw new DecodeException("PNG file is truncated (in chunk " + clean(type) + ")");
            int data = p + 8, n = (int) len;
            crc.reset();
            crc.update(d, p + 4, 4 + n);
            if ((int) crc.getValue() != (int) u32(d, data + n)) {
                throw new DecodeException("PNG file is corrupt (bad checksum in " + clean(type) + " chunk)");
            }
            switch (type) {
                case "IHDR" -> {
                    if (n < 13) throw new DecodeException("PNG file is corrupt (short IHDR)");
                    long w = u32(d, data), h = u32(d, data + 4);
                    bitDepth = d[data + 8] & 0xFF;
                    colorType = d[data + 9] & 0xFF;
                    interlace = d[data + 12] & 0xFF;
                    if (w == 0 || h == 0 || w > Integer.MAX_VALUE || h > Integer.MAX_VALUE) {
                        throw new DecodeException("PNG file has invalid size " + w + "x" + h);
                    }
                    ImageDecoder.checkPixels(w, h, maxPixels);
                    width = (int) w;
                    height = (int) h;
                    if (!validDepth(colorType, bitDepth)) {
                        throw new DecodeException("unsupported PNG: bit depth " + bitDepth + " with colour type " + colorType);
                    }
                    if (d[data + 10] != 0 || d[data + 11] != 0 || interlace > 1) {
                        throw new DecodeException("unsupported PNG compression, filter or interlace method");
                    }
                    haveHeader = true;
                }
                case "PLTE" -> {
                    if (n % 3 != 0 || n == 0) throw new DecodeException("PNG file is corrupt (bad PLTE length " + n + ")");
                    palette = java.util.Arrays.copyOfRange(d, data, data + Math.min(n, 768));
                }
                case "tRNS" -> trns = java.util.Arrays.copyOfRange(d, data, data + n);
                case "eXIf" -> exifOrientation = Exif.orientation(d, data, n);
                case "IEND" -> throw new DecodeException("PNG file has no image data");
                default -> { }
            }
            p = data + n + 4;
        }
        if (colorType == 3 && palette == null) throw new DecodeException("PNG palette image has no PLTE chunk");

        PilMode mode = switch (colorType) {
            case 0 -> bitDepth == 1 ? PilMode.ONE : bitDepth == 16 ? PilMode.I : PilMode.L;
            case 2 -> PilMode.RGB;
            case 3 -> PilMode.P;
            case 4 -> bitDepth == 16 ? PilMode.RGBA : PilMode.LA;
            default -> PilMode.RGBA;
        };
        int channelsIn = switch (colorType) { case 0, 3 -> 1; case 2 -> 3; case 4 -> 2; default -> 4; };
        int bitsPerPixel = channelsIn * bitDepth;
        int bpp = Math.max(1, bitsPerPixel / 8);
        long outLen = (long) width * height * mode.channels();
        if (outLen > Integer.MAX_VALUE - 8) throw new DecodeException("PNG image " + width + "x" + height + " is too large to hold in memory");
        byte[] out = mode == PilMode.I ? null : new byte[(int) outLen];
        int[] outInts = mode == PilMode.I ? new int[(int) outLen] : null;

        IdatReader idat = new IdatReader(d, firstIdat);
        try {
            if (interlace == 0) {
                decodePass(idat, width, height, 0, 0, 1, 1, width, bitsPerPixel, bpp, bitDepth, colorType, mode, out, outInts);
            } else {
                int[][] adam7 = {{0, 0, 8, 8}, {4, 0, 8, 8}, {0, 4, 4, 8}, {2, 0, 4, 4}, {0, 2, 2, 4}, {1, 0, 2, 2}, {0, 1, 1, 2}};
                for (int[] a : adam7) {
                    int pw = (width - a[0] + a[2] - 1) / a[2];
                    int ph = (height - a[1] + a[3] - 1) / a[3];
                    if (pw <= 0 || ph <= 0) continue;
                    decodePass(idat, pw, ph, a[0], a[1], a[2], a[3], width, bitsPerPixel, bpp, bitDepth, colorType, mode, out, outInts);
                }
            }
        } finally {
            idat.inflater.end();
        }

        PilImage im;
        if (mode == PilMode.P) {
            byte[] alpha = trns == null ? null : java.util.Arrays.copyOf(trns, Math.min(trns.length, 256));
            im = PilImage.palette(width, height, out, palette, alpha);
        } else if (mode == PilMode.I) {
            im = PilImage.ofInts(width, height, outInts);
        } else {
            im = PilImage.of(mode, width, height, out);
        }
        if (trns != null && colorType == 0 && trns.length >= 2) {
            int v = ((trns[0] & 0xFF) << 8) | (trns[1] & 0xFF);
            int scaled = switch (bitDepth) { case 1 -> v != 0 ? 255 : 0; case 2 -> v * 85; case 4 -> v * 17; default -> v; };
            im = im.withColorKey(new int[] {scaled});
        } else if (trns != null && colorType == 2 && trns.length >= 6) {
            int sh = bitDepth == 16 ? 8 : 0;
            im = im.withColorKey(new int[] {(((trns[0] & 0xFF) << 8 | (trns[1] & 0xFF)) >> sh),
                    (((trns[2] & 0xFF) << 8 | (trns[3] & 0xFF)) >> sh), (((trns[4] & 0xFF) << 8 | (trns[5] & 0xFF)) >> sh)});
        }
        return new Result(im, exifOrientation);
    }

    private static String clean(String type) {
        return type.chars().allMatch(ch -> ch >= 'A' && ch <= 'z') ? type : "unknown";
    }

    private static boolean validDepth(int ct, int bd) {
        return switch (ct) {
            case 0 -> bd == 1 || bd == 2 || bd == 4 || bd == 8 || bd == 16;
            case 3 -> bd == 1 || bd == 2 || bd == 4 || bd == 8;
            case 2, 4, 6 -> bd == 8 || bd == 16;
            default -> false;
        };
    }

    private static void decodePass(IdatReader idat, int pw, int ph, int x0, int y0, int dx, int dy, int width,
                                   int bitsPerPixel, int bpp, int bitDepth, int colorType, PilMode mode,
                                   byte[] out, int[] outInts) throws DecodeException {
        int rowBytes = (int) (((long) pw * bitsPerPixel + 7) / 8);
        byte[] prev = new byte[rowBytes];
        byte[] cur = new byte[rowBytes];
        byte[] filter = new byte[1];
        int oc = mode.channels();
        for (int r = 0; r < ph; r++) {
            idat.readFully(filter, 1);
            idat.readFully(cur, rowBytes);
            unfilter(filter[0] & 0xFF, cur, prev, bpp);
            int y = y0 + r * dy;
            for (int i = 0; i < pw; i++) {
                int x = x0 + i * dx;
                int o = (y * width + x) * oc;
                switch (colorType) {
                    case 0 -> {
                        if (bitDepth == 16) outInts[o] = ((cur[2 * i] & 0xFF) << 8) | (cur[2 * i + 1] & 0xFF);
                        else if (bitDepth == 8) out[o] = cur[i];
                        else {
                            int v = packed(cur, i, bitDepth);
                            out[o] = (byte) (bitDepth == 1 ? (v != 0 ? 255 : 0) : bitDepth == 2 ? v * 85 : v * 17);
                        }
                    }
                    case 3 -> out[o] = (byte) (bitDepth == 8 ? cur[i] & 0xFF : packed(cur, i, bitDepth));
                    case 2 -> {
                        int s = bitDepth == 16 ? 2 : 1, q = i * 3 * s;
                        out[o] = cur[q]; out[o + 1] = cur[q + s]; out[o + 2] = cur[q + 2 * s];
                    }
                    case 4 -> {
                        if (bitDepth == 8) { out[o] = cur[2 * i]; out[o + 1] = cur[2 * i + 1]; }
                        else { byte l = cur[4 * i]; out[o] = l; out[o + 1] = l; out[o + 2] = l; out[o + 3] = cur[4 * i + 2]; }
                    }
                    default -> {
                        int s = bitDepth == 16 ? 2 : 1, q = i * 4 * s;
                        out[o] = cur[q]; out[o + 1] = cur[q + s]; out[o + 2] = cur[q + 2 * s]; out[o + 3] = cur[q + 3 * s];
                    }
                }
            }
            byte[] t = prev; prev = cur; cur = t;
        }
    }

    private static int packed(byte[] row, int i, int bd) {
        int bit = i * bd;
        return (row[bit >> 3] >> (8 - bd - (bit & 7))) & ((1 << bd) - 1);
    }

    private static void unfilter(int f, byte[] cur, byte[] prev, int bpp) throws DecodeException {
        int n = cur.length;
        switch (f) {
            case 0 -> { }
            case 1 -> { for (int i = bpp; i < n; i++) cur[i] += cur[i - bpp]; }
            case 2 -> { for (int i = 0; i < n; i++) cur[i] += prev[i]; }
            case 3 -> {
                for (int i = 0; i < n; i++) {
                    int a = i >= bpp ? cur[i - bpp] & 0xFF : 0;
                    cur[i] += (byte) ((a + (prev[i] & 0xFF)) >>> 1);
                }
            }
            case 4 -> {
                for (int i = 0; i < n; i++) {
                    int a = i >= bpp ? cur[i - bpp] & 0xFF : 0;
                    int b = prev[i] & 0xFF;
                    int c = i >= bpp ? prev[i - bpp] & 0xFF : 0;
                    int pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
                    int pred = (pa <= pb && pa <= pc) ? a : (pb <= pc ? b : c);
                    cur[i] += (byte) pred;
                }
            }
            default -> throw new DecodeException("PNG file is corrupt (unknown row filter " + f + ")");
        }
    }

    static long u32(byte[] d, int p) {
        return ((long) (d[p] & 0xFF) << 24) | ((d[p + 1] & 0xFF) << 16) | ((d[p + 2] & 0xFF) << 8) | (d[p + 3] & 0xFF);
    }

    /** Streams the inflated concatenation of consecutive IDAT chunks. */
    private static final class IdatReader {
        final byte[] d;
        int next; // offset of the next chunk to examine
        boolean noMoreIdat;
        final Inflater inflater = new Inflater();

        IdatReader(byte[] d, int firstIdat) {
            this.d = d;
            this.next = firstIdat;
        }

        void readFully(byte[] buf, int len) throws DecodeException {
            int got = 0;
            try {
                while (got < len) {
                    int k = inflater.inflate(buf, got, len - got);
                    got += k;
                    if (got == len) break;
                    if (k == 0) {
                        if (inflater.finished()) throw new DecodeException("PNG image data is truncated");
                        if (inflater.needsDictionary()) throw new DecodeException("PNG image data is corrupt (zlib dictionary)");
                        if (inflater.needsInput() && !feed()) throw new DecodeException("PNG file is truncated (image data incomplete)");
                    }
                }
            } catch (DataFormatException e) {
                throw new DecodeException("PNG image data is corrupt (" + e.getMessage() + ")");
            }
        }

        private boolean feed() {
            while (!noMoreIdat) {
                if (next + 8 > d.length) { noMoreIdat = true; return false; }
                long len = u32(d, next);
                boolean idat = d[next + 4] == 'I' && d[next + 5] == 'D' && d[next + 6] == 'A' && d[next + 7] == 'T';
                if (!idat) { noMoreIdat = true; return false; }
                int data = next + 8;
                int avail = (int) Math.max(0, Math.min(len, d.length - data)); // a truncated last chunk still gives its bytes
                next = (int) Math.min((long) d.length, data + len + 4);
                if (avail > 0) {
                    inflater.setInput(d, data, avail);
                    return true;
                }
            }
            return false;
        }
    }
}
