package io.clip4j.image;

import java.util.Arrays;

/**
 * Decodes the first frame of a GIF the way Pillow 9.4 opens it: the image is the logical screen (grown to the
 * frame if the frame reaches past it), filled with the frame's transparent index (else 0), with the frame's pixels
 * placed at its offset; mode P with the local colour table if there is one, else the global one; mode L when the
 * table is absent or is the identity grey ramp (Pillow's {@code _is_palette_needed}).
 */
final class GifDecoder {
    private GifDecoder() {}

    static boolean matches(byte[] d) {
        return d.length >= 6 && d[0] == 'G' && d[1] == 'I' && d[2] == 'F' && d[3] == '8'
                && (d[4] == '7' || d[4] == '9') && d[5] == 'a';
    }

    static PilImage decode(byte[] d, long maxPixels) throws DecodeException {
        if (d.length < 13) throw new DecodeException("GIF file is truncated");
        int sw = u16(d, 6), sh = u16(d, 8);
        int flags = d[10] & 0xFF;
        int p = 13;
        byte[] global = null;
        if ((flags & 0x80) != 0) {
            int n = 3 << ((flags & 7) + 1);
            if (p + n > d.length) throw new DecodeException("GIF file is truncated (in the colour table)");
            global = Arrays.copyOfRange(d, p, p + n);
            p += n;
            if (!paletteNeeded(global)) global = null;
        }
        Integer transparency = null;
        while (true) {
            if (p >= d.length) throw new DecodeException("GIF file is truncated (no image found)");
            int b = d[p++] & 0xFF;
            if (b == 0x3B) throw new DecodeException("GIF file has no image");
            if (b == 0x21) { // extension
                if (p >= d.length) throw new DecodeException("GIF file is truncated");
                int label = d[p++] & 0xFF;
                boolean first = true;
                while (true) {
                    if (p >= d.length) throw new DecodeException("GIF file is truncated (in an extension)");
                    int len = d[p++] & 0xFF;
                    if (len == 0) break;
                    if (p + len > d.length) throw new DecodeException("GIF file is truncated (in an extension)");
                    if (label == 0xF9 && first && len >= 4) {
                        transparency = (d[p] & 1) != 0 ? Integer.valueOf(d[p + 3] & 0xFF) : null;
                    }
                    first = false;
                    p += len;
                }
                continue;
            }
            if (b != 0x2C) throw new DecodeException("GIF file is corrupt (unexpected block 0x" + Integer.toHexString(b) + ")");
            if (p + 9 > d.length) throw new DecodeException("GIF file is truncated (in the image descriptor)");
            int x0 = u16(d, p), y0 = u16(d, p + 2), fw = u16(d, p + 4), fh = u16(d, p + 6);
            int fflags = d[p + 8] & 0xFF;
            p += 9;
            int width = Math.max(sw, x0 + fw), height = Math.max(sh, y0 + fh);
            if (width == 0 || height == 0) throw new DecodeException("GIF file has an empty image (" + width + "x" + height + ")");
            ImageDecoder.checkPixels(width, height, maxPixels);
            byte[] palette = global;
            if ((fflags & 0x80) != 0) {
                int n = 3 << ((fflags & 7) + 1);
                if (p + n > d.length) throw new DecodeException("GIF file is truncated (in the colour table)");
                byte[] local = Arrays.copyOfRange(d, p, p + n);
                p += n;
                palette = paletteNeeded(local) ? local : null;
            }
            boolean interlaced = (fflags & 0x40) != 0;
            if (p >= d.length) throw new DecodeException("GIF file is truncated (no image data)");
            int minCode = d[p++] & 0xFF;
            if (minCode < 1 || minCode > 11) throw new DecodeException("GIF file is corrupt (LZW code size " + minCode + ")");
            byte[] pixels = new byte[width * height];
            if (transparency != null) Arrays.fill(pixels, (byte) (int) transparency);
            byte[] frame = lzw(d, p, minCode, (long) fw * fh);
            for (int r = 0; r < fh; r++) {
                int y = y0 + rowOf(r, fh, interlaced);
                System.arraycopy(frame, r * fw, pixels, y * width + x0, fw);
            }
            if (palette == null) return PilImage.of(PilMode.L, width, height, pixels);
            byte[] alpha = null;
            if (transparency != null) {
                alpha = new byte[palette.length / 3];
                Arrays.fill(alpha, (byte) 255);
                if (transparency < alpha.length) alpha[transparency] = 0;
            }
            return PilImage.palette(width, height, pixels, palette, alpha);
        }
    }

    /** Pillow keeps a palette unless it is the identity grey ramp (entry i = (i, i, i)). */
    private static boolean paletteNeeded(byte[] p) {
        for (int i = 0; i < p.length; i += 3) {
            int v = i / 3;
            if ((p[i] & 0xFF) != v || (p[i + 1] & 0xFF) != v || (p[i + 2] & 0xFF) != v) return true;
        }
        return false;
    }

    /** The frame row that the r-th decoded row fills. */
    private static int rowOf(int r, int h, boolean interlaced) {
        if (!interlaced) return r;
        int n1 = (h + 7) / 8;
        if (r < n1) return r * 8;
        r -= n1;
        int n2 = (h + 3) / 8;
        if (r < n2) return 4 + r * 8;
        r -= n2;
        int n3 = (h + 1) / 4;
        if (r < n3) return 2 + r * 4;
        r -= n3;
        return 1 + r * 2;
    }

    /** LZW-decodes the sub-blocks at p into {@code count} indices (missing trailing pixels stay 0). */
    private static byte[] lzw(byte[] d, int p, int minCode, long count) throws DecodeException {
        if (count > Integer.MAX_VALUE - 8) throw new DecodeException("GIF frame too large");
        byte[] out = new byte[(int) count];
        int clear = 1 << minCode, end = clear + 1;
        short[] prefix = new short[4096];
        byte[] suffix = new byte[4096];
        byte[] first = new byte[4096];
        int[] length = new int[4096];
        for (int i = 0; i < clear; i++) { suffix[i] = (byte) i; first[i] = (byte) i; length[i] = 1; prefix[i] = -1; }
        int codeSize = minCode + 1, next = end + 1, old = -1;
        int o = 0;
        int bitBuf = 0, bits = 0;
        int blockLeft = 0;
        byte[] stack = new byte[4097];
        outer:
        while (o < out.length) {
            while (bits < codeSize) {
                if (blockLeft == 0) {
                    if (p >= d.length) throw new DecodeException("GIF file is truncated (image data incomplete)");
                    blockLeft = d[p++] & 0xFF;
                    if (blockLeft == 0) break outer; // data ended early: Pillow leaves the rest as is
                }
                if (p >= d.length) throw new DecodeException("GIF file is truncated (image data incomplete)");
                bitBuf |= (d[p++] & 0xFF) << bits;
                bits += 8;
                blockLeft--;
            }
            int code = bitBuf & ((1 << codeSize) - 1);
            bitBuf >>>= codeSize;
            bits -= codeSize;
            if (code == clear) { codeSize = minCode + 1; next = end + 1; old = -1; continue; }
            if (code == end) break;
            int emit;
            if (old == -1) {
                if (code >= clear) throw new DecodeException("GIF image data is corrupt (bad LZW code)");
                out[o++] = (byte) code;
                old = code;
                continue;
            }
            if (code < next) {
                emit = code;
                if (next < 4096) {
                    prefix[next] = (short) old; suffix[next] = first[code]; first[next] = first[old];
                    length[next] = length[old] + 1; next++;
                }
            } else if (code == next && next < 4096) {
                prefix[next] = (short) old; suffix[next] = first[old]; first[next] = first[old];
                length[next] = length[old] + 1; next++;
                emit = code;
            } else {
                throw new DecodeException("GIF image data is corrupt (bad LZW code)");
            }
            int sp = 0;
            for (int c = emit; c >= 0 && sp < stack.length; c = prefix[c]) stack[sp++] = suffix[c];
            while (sp > 0 && o < out.length) out[o++] = stack[--sp];
            old = code;
            if (next == (1 << codeSize) && codeSize < 12) codeSize++;
        }
        return out;
    }

    private static int u16(byte[] d, int p) { return (d[p] & 0xFF) | ((d[p + 1] & 0xFF) << 8); }
}
