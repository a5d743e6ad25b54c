package io.clip4j.image;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.DirectColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.color.ColorSpace;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;

/**
 * BMP and WebP through ImageIO (TwelveMonkeys plugins), mapped to the mode Pillow would open them in: palette
 * BMPs as P (or 1 / L when the palette is black-white / the identity grey ramp, as Pillow's BmpImagePlugin decides),
 * other images as RGB, or RGBA when they carry alpha. Not verified against the reference data (no fixture).
 */
final class ImageIoDecoder {
    private ImageIoDecoder() {}

    static boolean isBmp(byte[] d) { return d.length >= 2 && d[0] == 'B' && d[1] == 'M'; }

    static boolean isWebp(byte[] d) {
        return d.length >= 12 && d[0] == 'R' && d[1] == 'I' && d[2] == 'F' && d[3] == 'F'
                && d[8] == 'W' && d[9] == 'E' && d[10] == 'B' && d[11] == 'P';
    }

    static PilImage decode(byte[] d, String format, long maxPixels) throws DecodeException {
        ImageIoSupport.init();
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName(format);
        if (!it.hasNext()) throw new DecodeException("no " + format.toUpperCase() + " decoder available");
        ImageReader reader = it.next();
        try (ImageInputStream in = new MemoryCacheImageInputStream(new ByteArrayInputStream(d))) {
            reader.setInput(in, true, true);
            BufferedImage bi;
            try {
                int w = reader.getWidth(0), h = reader.getHeight(0);
                if (w <= 0 || h <= 0) throw new DecodeException(format.toUpperCase() + " file has an invalid size " + w + "x" + h);
                ImageDecoder.checkPixels(w, h, maxPixels);
                bi = reader.read(0);
            } catch (IOException | RuntimeException e) {
                String m = e.getMessage();
                throw new DecodeException(format.toUpperCase() + " data is corrupt or truncated"
                        + (m == null || m.isBlank() ? "" : " (" + m.trim() + ")"), e);
            }
            return toPil(bi);
        } catch (IOException e) {
            throw new DecodeException(format.toUpperCase() + " data cannot be read (" + e.getMessage() + ")", e);
        } finally {
            reader.dispose();
        }
    }

    static PilImage toPil(BufferedImage bi) throws DecodeException {
        int w = bi.getWidth(), h = bi.getHeight();
        Raster r = bi.getRaster();
        if (bi.getColorModel() instanceof IndexColorModel icm) {
            int n = icm.getMapSize();
            byte[] pal = new byte[Math.min(n, 256) * 3];
            boolean grey = true, bilevel = n == 2;
            for (int i = 0; i < pal.length / 3; i++) {
                pal[3 * i] = (byte) icm.getRed(i);
                pal[3 * i + 1] = (byte) icm.getGreen(i);
                pal[3 * i + 2] = (byte) icm.getBlue(i);
                int want = bilevel ? (i == 0 ? 0 : 255) : i;
                grey &= icm.getRed(i) == want && icm.getGreen(i) == want && icm.getBlue(i) == want;
            }
            byte[] idx = new byte[Math.multiplyExact(w, h)];
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
                for (int x = 0; x < w; x++) idx[y * w + x] = (byte) row[x];
            }
            if (grey && bilevel) {
                for (int i = 0; i < idx.length; i++) idx[i] = (byte) (idx[i] != 0 ? 255 : 0);
                return PilImage.of(PilMode.ONE, w, h, idx);
            }
            if (grey) return PilImage.of(PilMode.L, w, h, idx);
            byte[] alpha = null;
            if (icm.hasAlpha()) {
                alpha = new byte[pal.length / 3];
                for (int i = 0; i < alpha.length; i++) alpha[i] = (byte) icm.getAlpha(i);
            }
            return PilImage.palette(w, h, idx, pal, alpha);
        }
        boolean alpha = bi.getColorModel().hasAlpha();
        if (bi.getColorModel() instanceof ComponentColorModel ccm && ccm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && !alpha && r.getNumBands() == 1 && r.getSampleModel().getSampleSize(0) == 8) {
            return PilImage.of(PilMode.L, w, h, ImageIoSupport.interleavedBytes(r));
        }
        if (bi.getColorModel() instanceof DirectColorModel dcm && !dcm.isAlphaPremultiplied()) {
            // raw fields scaled to 8 bits like Pillow's unpackers: v·255/max (exact for 8-bit fields)
            int nb = alpha ? 4 : 3;
            int[] sizes = dcm.getComponentSize();
            byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), nb)];
            int[] row = new int[w * r.getNumBands()];
            int o = 0;
            for (int y = 0; y < h; y++) {
                r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
                for (int x = 0; x < w; x++) {
                    for (int b = 0; b < nb; b++) {
                        int max = (1 << sizes[b]) - 1;
                        int v = row[x * r.getNumBands() + b];
                        out[o++] = (byte) (max == 255 ? v : v * 255 / max);
                    }
                }
            }
            return PilImage.of(alpha ? PilMode.RGBA : PilMode.RGB, w, h, out);
        }
        // anything else: ask Java 2D for sRGB (exact for the usual 8-bit sRGB models)
        int nb = alpha ? 4 : 3;
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), nb)];
        int[] argb = new int[w];
        int o = 0;
        for (int y = 0; y < h; y++) {
            bi.getRGB(0, y, w, 1, argb, 0, w);
            for (int x = 0; x < w; x++) {
                int v = argb[x];
                out[o++] = (byte) (v >> 16);
                out[o++] = (byte) (v >> 8);
                out[o++] = (byte) v;
                if (alpha) out[o++] = (byte) (v >>> 24);
            }
        }
        return PilImage.of(alpha ? PilMode.RGBA : PilMode.RGB, w, h, out);
    }
}
