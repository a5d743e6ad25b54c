package io.clip4j.image;

import javax.imageio.ImageIO;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;

/** ImageIO plumbing shared by the decoders. */
final class ImageIoSupport {
    private ImageIoSupport() {}

    private static volatile boolean scanned;

    /** Registers plugins found on the class path (TwelveMonkeys) once. */
    static void init() {
        if (!scanned) {
            synchronized (ImageIoSupport.class) {
                if (!scanned) {
                    ImageIO.scanForPlugins();
                    scanned = true;
                }
            }
        }
    }

    /** The raster's 8-bit samples as interleaved bytes (HWC). */
    static byte[] interleavedBytes(Raster r) {
        int w = r.getWidth(), h = r.getHeight(), nb = r.getNumBands();
        byte[] out = new byte[Math.multiplyExact(Math.multiplyExact(w, h), nb)];
        if (r.getDataBuffer() instanceof DataBufferByte db && r.getSampleModel() instanceof ComponentSampleModel sm
                && db.getNumBanks() == 1 && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0) {
            byte[] src = db.getData();
            int ps = sm.getPixelStride(), ss = sm.getScanlineStride();
            int[] offs = sm.getBandOffsets();
            int base = db.getOffset();
            boolean plain = ps == nb;
            for (int b = 0; b < nb; b++) plain &= offs[b] == b;
            if (plain && ss == w * nb) {
                System.arraycopy(src, base, out, 0, out.length);
                return out;
            }
            int o = 0;
            for (int y = 0; y < h; y++) {
                int row = base + y * ss;
                for (int x = 0; x < w; x++) {
                    int px = row + x * ps;
                    for (int b = 0; b < nb; b++) out[o++] = src[px + offs[b]];
                }
            }
            return out;
        }
        int[] row = new int[w * nb];
        int o = 0;
        for (int y = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, row);
            for (int v : row) out[o++] = (byte) v;
        }
        return out;
    }
}
