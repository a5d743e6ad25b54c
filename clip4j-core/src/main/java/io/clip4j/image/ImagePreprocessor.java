package io.clip4j.image;

import io.clip4j.Clip4jException;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The CLIP image preprocessing, matching OpenAI CLIP's torchvision pipeline ({@code clip._transform(n)}) on
 * Pillow 9.4 exactly:
 * <ol>
 *   <li>decode in the file's own Pillow mode ({@link ImageDecoder});</li>
 *   <li>Resize: the shorter side becomes n, the longer {@code int(n·long/short)}, skipped when already that size;
 *       Pillow's resize in the image's own mode ({@link Resample});</li>
 *   <li>CenterCrop: offsets {@code int(round((size − n)/2))} with Python's round-half-even; an image smaller than the
 *       crop is zero-padded first, left/top by {@code (n − size)//2}, as torchvision 0.14 does;</li>
 *   <li>{@code convert("RGB")} with Pillow's rules ({@link PilConvert#toRgb});</li>
 *   <li>ToTensor ({@code v / 255f} in float32) and Normalize ({@code (x − mean) / std} in float32), CHW.</li>
 * </ol>
 * Options in {@link PreprocessConfig} cover HF / OpenCLIP / SigLIP configurations (exact resize sizes, other
 * filters, mean/std, compositing transparent images on a background). Instances are immutable and thread-safe.
 */
public final class ImagePreprocessor {
    private final PreprocessConfig config;
    private final ImageDecoder decoder;
    /** [channel][sample value] → normalised float. */
    private final float[][] lut;

    public ImagePreprocessor(PreprocessConfig config, ImageDecoder decoder) {
        this.config = Objects.requireNonNull(config, "config");
        this.decoder = Objects.requireNonNull(decoder, "decoder");
        this.lut = buildLut(config);
    }

    public ImagePreprocessor(PreprocessConfig config) { this(config, ImageDecoder.defaults()); }

    /** A preprocessor for a config with the default decoder. */
    public static ImagePreprocessor fromConfig(PreprocessConfig config) { return new ImagePreprocessor(config); }

    /** A preprocessor for an HF {@code preprocessor_config.json}. */
    public static ImagePreprocessor fromHfConfig(Path preprocessorConfigJson) {
        return new ImagePreprocessor(PreprocessConfig.fromHfFile(preprocessorConfigJson));
    }

    /** OpenAI CLIP's {@code _transform(size)}. */
    public static ImagePreprocessor clip(int size) { return new ImagePreprocessor(PreprocessConfig.clip(size)); }

    public PreprocessConfig config() { return config; }

    public ImageDecoder decoder() { return decoder; }

    private static float[][] buildLut(PreprocessConfig c) {
        float[] mean = c.mean(), std = c.std();
        boolean div255 = Math.abs((double) c.rescaleFactor() * 255.0 - 1.0) < 1e-6;
        float[][] t = new float[3][256];
        for (int ch = 0; ch < 3; ch++) {
            for (int v = 0; v < 256; v++) {
                float x = v;
                if (c.doRescale()) x = div255 ? (float) v / 255f : (float) v * c.rescaleFactor();
                if (c.doNormalize()) x = (x - mean[ch]) / std[ch];
                t[ch][v] = x;
            }
        }
        return t;
    }

    /**
     * A copy of the table [channel][8-bit sample value] → the float ToTensor + Normalize give it. The tensor of an
     * image is this table applied to its {@link #resizedRgb} pixels.
     */
    public float[][] normalisationTable() {
        return new float[][]{lut[0].clone(), lut[1].clone(), lut[2].clone()};
    }

    /** Decodes and preprocesses a file: CHW float32, {@code 3 × height × width}. */
    public float[] apply(Path file) {
        return apply(decoder.decode(file));
    }

    /** Decodes and preprocesses in-memory file bytes ({@code name} for error messages). */
    public float[] apply(byte[] data, String name) {
        return apply(decoder.decode(data, name));
    }

    /** Preprocesses a decoded image: CHW float32. */
    public float[] apply(PilImage image) {
        Rgb rgb = resizedRgb(image);
        float[] out = new float[3 * rgb.width() * rgb.height()];
        toTensor(rgb, lut, out, 0);
        return out;
    }

    /** Preprocesses into {@code dst} at {@code offset} (for batches); returns the number of floats written. */
    public int applyInto(PilImage image, float[] dst, int offset) {
        Rgb rgb = resizedRgb(image);
        return toTensor(rgb, lut, dst, offset);
    }

    /**
     * ToTensor + Normalize of an 8-bit image through a {@link #normalisationTable}: dst[offset + ch·h·w + i] =
     * table[ch][pixel i's sample of ch] (CHW). Returns the number of floats written.
     */
    public static int toTensor(Rgb rgb, float[][] table, float[] dst, int offset) {
        int hw = rgb.width() * rgb.height();
        if (offset < 0 || dst.length - offset < 3 * hw) {
            throw new IllegalArgumentException("destination too small: need " + 3 * hw + " floats at offset " + offset);
        }
        byte[] p = rgb.pixels();
        float[] l0 = table[0], l1 = table[1], l2 = table[2];
        for (int i = 0; i < hw; i++) {
            dst[offset + i] = l0[p[3 * i] & 0xFF];
            dst[offset + hw + i] = l1[p[3 * i + 1] & 0xFF];
            dst[offset + 2 * hw + i] = l2[p[3 * i + 2] & 0xFF];
        }
        return 3 * hw;
    }

    /** Resized, cropped, RGB-converted 8-bit pixels (HWC), before ToTensor. */
    public record Rgb(int width, int height, byte[] pixels) {}

    /** Decodes a file and returns the uint8 RGB image the tensor is made from. */
    public Rgb resizedRgb(Path file) { return resizedRgb(decoder.decode(file)); }

    /** The resize + centre crop + {@code convert("RGB")} of an image, as uint8 HWC. */
    public Rgb resizedRgb(PilImage image) {
        PilImage im = resizedAndCropped(image);
        return new Rgb(im.width(), im.height(), im.toRgb());
    }

    /** Resize and centre crop in the image's own mode (or RGB, per the config's alpha / convert options). */
    public PilImage resizedAndCropped(PilImage image) {
        Objects.requireNonNull(image, "image");
        PilImage im = image;
        int[] bg = config.alphaBackground();
        if (bg != null && PilConvert.alpha(im) != null) {
            im = PilConvert.compositeOnto(im, bg[0], bg[1], bg[2]);
        } else if (config.convertRgbFirst() && im.mode() != PilMode.RGB) {
            im = PilImage.of(PilMode.RGB, im.width(), im.height(), im.toRgb());
        }
        if (config.doResize()) {
            int[] size = resizedSize(im.width(), im.height());
            if (size[0] != im.width() || size[1] != im.height()) {
                im = Resample.resize(im, size[0], size[1], config.resample());
            }
        }
        if (config.doCenterCrop()) {
            im = centerCrop(im, config.cropWidth(), config.cropHeight());
        }
        return im;
    }

    /** The size after the resize step, {@code [width, height]}, as torchvision computes it. */
    public int[] resizedSize(int width, int height) {
        if (!config.doResize()) return new int[] {width, height};
        if (config.shortestEdge() == 0) return new int[] {config.resizeWidth(), config.resizeHeight()};
        int n = config.shortestEdge();
        boolean wShort = width <= height;
        long shortSide = wShort ? width : height, longSide = wShort ? height : width;
        // Python: int(n * long / short), a correctly rounded true division then truncation
        long newLong = (long) ((double) (n * longSide) / (double) shortSide);
        if (newLong > Integer.MAX_VALUE) throw new Clip4jException("image " + width + "x" + height + " is too elongated to resize");
        return wShort ? new int[] {n, (int) newLong} : new int[] {(int) newLong, n};
    }

    /** torchvision 0.14 {@code center_crop}: {@code [left, top]} of the crop box (negative = zero padding). */
    public static int[] centerCropOffsets(int width, int height, int cropWidth, int cropHeight) {
        int left = cropWidth > width ? -((cropWidth - width) / 2) : (int) Math.rint((width - cropWidth) / 2.0);
        int top = cropHeight > height ? -((cropHeight - height) / 2) : (int) Math.rint((height - cropHeight) / 2.0);
        return new int[] {left, top};
    }

    static PilImage centerCrop(PilImage im, int cw, int ch) {
        int[] o = centerCropOffsets(im.width(), im.height(), cw, ch);
        return im.crop(o[0], o[1], cw, ch);
    }
}
