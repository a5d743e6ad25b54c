package io.clip4j.image;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * JPEG decoding that matches Pillow + libjpeg-turbo sample for sample. The header is parsed here (size, components,
 * JFIF / Adobe markers, EXIF orientation) so the pixel limit is checked before decoding. The entropy decoding, islow
 * IDCT and fancy upsampling are done by the JDK's libjpeg (through ImageIO's {@code readRaster}, which returns the
 * decoded components without colour conversion); the colour conversion is done here with libjpeg's integer tables,
 * choosing the JPEG colour space by libjpeg's rules. ICC profiles are ignored, as Pillow ignores them. Adobe CMYK is
 * inverted and YCCK converted to CMYK, as Pillow's "CMYK;I" raw mode does.
 */
final class JpegDecoder {
    private JpegDecoder() {}

    static boolean matches(byte[] d) {
        return d.length >= 3 && (d[0] & 0xFF) == 0xFF && (d[1] & 0xFF) == 0xD8 && (d[2] & 0xFF) == 0xFF;
    }

    record Header(int width, int height, int precision, int[] componentIds, boolean jfif, int adobeTransform,
                  int exifOrientation, int sofMarker, int afterSof) {}

    record Result(PilImage image, int exifOrientation) {}

    static Header parseHeader(byte[] d) throws DecodeException {
        int p = 2;
        boolean jfif = false;
        int adobe = -1, orientation = 0;
        while (true) {
            // find the next marker, skipping fill bytes (and junk, as libjpeg does with a warning)
            while (p < d.length && (d[p] & 0xFF) != 0xFF) p++;
            while (p < d.length && (d[p] & 0xFF) == 0xFF) p++;
            if (p >= d.length) throw new DecodeException("JPEG file is truncated (no frame header)");
            int m = d[p++] & 0xFF;
            if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) continue;
            if (m == 0xD9) throw new DecodeException("JPEG file has no image (end marker before the frame header)");
            if (m == 0xDA) throw new DecodeException("JPEG file is corrupt (scan before the frame header)");
            if (p + 2 > d.length) throw new DecodeException("JPEG file is truncated");
            int len = ((d[p] & 0xFF) << 8) | (d[p + 1] & 0xFF);
            if (len < 2) throw new DecodeException("JPEG file is corrupt (bad marker length)");
            int data = p + 2, n = len - 2;
            if (data + n > d.length) throw new DecodeException("JPEG file is truncated");
            boolean sof = m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC;
            if (sof) {
                if (n < 6) throw new DecodeException("JPEG file is corrupt (short frame header)");
                int precision = d[data] & 0xFF;
                int h = ((d[data + 1] & 0xFF) << 8) | (d[data + 2] & 0xFF);
                int w = ((d[data + 3] & 0xFF) << 8) | (d[data + 4] & 0xFF);
                int nc = d[data + 5] & 0xFF;
                if (n < 6 + 3 * nc) throw new DecodeException("JPEG file is corrupt (short frame header)");
                int[] ids = new int[nc];
                for (int i = 0; i < nc; i++) ids[i] = d[data + 6 + 3 * i] & 0xFF;
                return new Header(w, h, precision, ids, jfif, adobe, orientation, m, data + n);
            }
            if (m == 0xE0 && n >= 14 && d[data] == 'J' && d[data + 1] == 'F' && d[data + 2] == 'I' && d[data + 3] == 'F' && d[data + 4] == 0) {
                jfif = true;
            } else if (m == 0xEE && n >= 12 && d[data] == 'A' && d[data + 1] == 'd' && d[data + 2] == 'o' && d[data + 3] == 'b' && d[data + 4] == 'e') {
                adobe = d[data + 11] & 0xFF;
            } else if (m == 0xE1 && orientation == 0 && n >= 14 && d[data] == 'E' && d[data + 1] == 'x' && d[data + 2] == 'i'
                    && d[data + 3] == 'f' && d[data + 4] == 0 && d[data + 5] == 0) {
                orientation = Exif.orientation(d, data + 6, n - 6);
            }
            p = data + n;
        }
    }

    private enum Space { GRAY, YCBCR, RGB, CMYK, YCCK }

    /** libjpeg's guess of the colour space (jdapimin.c default_decompress_parms). */
    private static Space colorSpace(Header h) throws DecodeException {
        int[] id = h.componentIds();
        switch (id.length) {
            case 1 -> { return Space.GRAY; }
            case 3 -> {
                if (h.jfif()) return Space.YCBCR;
                if (h.adobeTransform() >= 0) return h.adobeTransform() == 0 ? Space.RGB : Space.YCBCR;
                if (id[0] == 1 && id[1] == 2 && id[2] == 3) return Space.YCBCR;
                if (id[0] == 'R' && id[1] == 'G' && id[2] == 'B') return Space.RGB;
                return Space.YCBCR;
            }
            case 4 -> {
                if (h.adobeTransform() >= 0) return h.adobeTransform() == 0 ? Space.CMYK : Space.YCCK;
                return Space.CMYK;
            }
            default -> throw new DecodeException("unsupported JPEG: " + id.length + " colour components");
        }
    }

    /**
     * Whether an EOI marker follows the first scan. Pillow fails on any JPEG whose data ends before EOI ("image file
     * is truncated"), while libjpeg only warns and pads with grey. Entropy-coded data cannot contain FF D9 (0xFF is
     * stuffed as FF 00), so the first FF D9 after the frame header's first SOS is the image's end.
     */
    static boolean hasEndMarker(byte[] d, int from) {
        int p = from;
        // walk the marker segments to the first SOS
        while (true) {
            while (p < d.length && (d[p] & 0xFF) != 0xFF) p++;
            while (p < d.length && (d[p] & 0xFF) == 0xFF) p++;
            if (p >= d.length) return false;
            int m = d[p++] & 0xFF;
            if (m == 0xD9) return false;
            if (m == 0x01 || (m >= 0xD0 && m <= 0xD8)) continue;
            if (p + 2 > d.length) return false;
            int len = ((d[p] & 0xFF) << 8) | (d[p + 1] & 0xFF);
            p += len;
            if (m == 0xDA) break;
        }
        for (int i = Math.max(p, from); i + 1 < d.length; i++) {
            if ((d[i] & 0xFF) == 0xFF && (d[i + 1] & 0xFF) == 0xD9) return true;
        }
        return false;
    }

    // libjpeg jdcolor.c tables (SCALEBITS 16)
    private static final int[] CR_R = new int[256], CB_B = new int[256], CR_G = new int[256], CB_G = new int[256];

    static {
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (fix(1.40200) * x + (1 << 15)) >> 16;
            CB_B[i] = (fix(1.77200) * x + (1 << 15)) >> 16;
            CR_G[i] = -fix(0.71414) * x;
            CB_G[i] = -fix(0.34414) * x + (1 << 15);
        }
    }

    private static int fix(double x) { return (int) (x * (1 << 16) + 0.5); }

    private static int clamp(int v) { return v < 0 ? 0 : Math.min(v, 255); }

    static Result decode(byte[] d, long maxPixels) throws DecodeException {
        Header h = parseHeader(d);
        if (h.width() == 0 || h.height() == 0) throw new DecodeException("JPEG file has an invalid size " + h.width() + "x" + h.height());
        ImageDecoder.checkPixels(h.width(), h.height(), maxPixels);
        if (h.precision() != 8) throw new DecodeException("unsupported JPEG: " + h.precision() + "-bit samples");
        Space space = colorSpace(h);
        int nc = h.componentIds().length;
        long n = (long) h.width() * h.height();
        if (n * nc > Integer.MAX_VALUE - 8) throw new DecodeException("JPEG image " + h.width() + "x" + h.height() + " is too large to hold in memory");

        if (!hasEndMarker(d, h.afterSof())) throw new DecodeException("JPEG file is truncated (no end-of-image marker)");
        byte[] samples = readRaw(d, h.width(), h.height(), nc);
        int count = (int) n;
        return switch (space) {
            case GRAY -> new Result(PilImage.of(PilMode.L, h.width(), h.height(), samples), h.exifOrientation());
            case RGB -> new Result(PilImage.of(PilMode.RGB, h.width(), h.height(), samples), h.exifOrientation());
            case YCBCR -> {
                for (int i = 0, q = 0; i < count; i++, q += 3) {
                    int y = samples[q] & 0xFF, cb = samples[q + 1] & 0xFF, cr = samples[q + 2] & 0xFF;
                    samples[q] = (byte) clamp(y + CR_R[cr]);
                    samples[q + 1] = (byte) clamp(y + ((CB_G[cb] + CR_G[cr]) >> 16));
                    samples[q + 2] = (byte) clamp(y + CB_B[cb]);
                }
                yield new Result(PilImage.of(PilMode.RGB, h.width(), h.height(), samples), h.exifOrientation());
            }
            case CMYK -> {
                for (int i = 0; i < samples.length; i++) samples[i] = (byte) (255 - (samples[i] & 0xFF));
                yield new Result(PilImage.of(PilMode.CMYK, h.width(), h.height(), samples), h.exifOrientation());
            }
            case YCCK -> {
                // libjpeg: C = 255 - R(YCC), ..., K unchanged; then Pillow's "CMYK;I" inverts every channel
                for (int i = 0, q = 0; i < count; i++, q += 4) {
                    int y = samples[q] & 0xFF, cb = samples[q + 1] & 0xFF, cr = samples[q + 2] & 0xFF;
                    samples[q] = (byte) clamp(y + CR_R[cr]);
                    samples[q + 1] = (byte) clamp(y + ((CB_G[cb] + CR_G[cr]) >> 16));
                    samples[q + 2] = (byte) clamp(y + CB_B[cb]);
                    samples[q + 3] = (byte) (255 - (samples[q + 3] & 0xFF));
                }
                yield new Result(PilImage.of(PilMode.CMYK, h.width(), h.height(), samples), h.exifOrientation());
            }
        };
    }

    /** The decoded (upsampled, not colour-converted) components, interleaved. */
    private static byte[] readRaw(byte[] d, int w, int h, int nc) throws DecodeException {
        ImageReader reader = reader();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(d))) {
            reader.setInput(in, true, true);
            java.util.List<String> warnings = new java.util.ArrayList<>();
            reader.addIIOReadWarningListener((src, msg) -> warnings.add(msg));
            Raster r;
            try {
                r = reader.readRaster(0, null);
            } catch (IOException | RuntimeException e) {
                throw new DecodeException(describe(e), e);
            }
            // libjpeg only warns when the data ends early (and fills the rest with grey); Pillow fails with
            // "image file is truncated". Other libjpeg warnings (corrupt data it recovers from) are ignored, as in Pillow.
            for (String w0 : warnings) {
                if (w0 != null && w0.contains("Premature end of JPEG file")) {
                    throw new DecodeException("JPEG file is truncated (image data incomplete)");
                }
            }
            if (r.getWidth() != w || r.getHeight() != h || r.getNumBands() != nc) {
                throw new DecodeException("JPEG decoder returned " + r.getWidth() + "x" + r.getHeight() + "x" + r.getNumBands()
                        + " for a " + w + "x" + h + "x" + nc + " frame");
            }
            return ImageIoSupport.interleavedBytes(r);
        } catch (IOException e) {
            throw new DecodeException(describe(e), e);
        } finally {
            reader.dispose();
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage();
        return "JPEG data is corrupt or truncated" + (m == null || m.isBlank() ? "" : " (" + m.trim() + ")");
    }

    private static ImageReader reader() throws DecodeException {
        ImageIoSupport.init();
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg");
        ImageReader fallback = null;
        while (it.hasNext()) {
            ImageReader r = it.next();
            if (r.canReadRaster()) {
                if (r.getClass().getName().startsWith("com.twelvemonkeys")) {
                    if (fallback != null) fallback.dispose();
                    return r;
                }
                if (fallback == null) fallback = r; else r.dispose();
            } else {
                r.dispose();
            }
        }
        if (fallback == null) throw new DecodeException("no JPEG decoder available in this Java runtime");
        return fallback;
    }
}
