package io.clip4j.image;

import io.clip4j.Clip4jException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Decodes image files into {@link PilImage}s in the mode Pillow 9.4 opens them in ({@code Image.open(file)}), so
 * the preprocessing that follows sees the same samples as the reference.
 *
 * <ul>
 *   <li>PNG: own decoder (all bit depths and colour types, Adam7, PLTE / tRNS), exact.</li>
 *   <li>JPEG: header parsed here; decoding by the JDK's libjpeg through ImageIO with libjpeg's colour conversion
 *       done here (YCbCr, RGB, grey, Adobe CMYK, YCCK); exact against the libjpeg-turbo reference.</li>
 *   <li>GIF: own decoder, first frame, as Pillow composes it.</li>
 *   <li>BMP, WebP: ImageIO (TwelveMonkeys) mapped to Pillow's modes; not verified against Pillow.</li>
 * </ul>
 *
 * <p>The image size is read from the header and checked against {@link Options#maxPixels()} before any pixel data is
 * decoded. Failures (empty, truncated, corrupt, unsupported or oversized files) throw {@link Clip4jException} with
 * one message naming the file. The EXIF orientation is ignored unless {@link Options#applyExifOrientation()} is set
 * (the reference ignores it). Instances are immutable and thread-safe.
 */
public final class ImageDecoder {
    /**
     * Default pixel limit: Pillow's decompression-bomb error threshold, {@code 2 × Image.MAX_IMAGE_PIXELS}
     * = 2 × 89,478,485. Images the reference refuses are refused here too.
     */
    public static final long DEFAULT_MAX_PIXELS = 178_956_970L;

    /** File name extensions (lower case) of the formats this decoder reads: what a folder scan takes for an image. */
    public static final java.util.Set<String> FILE_EXTENSIONS = java.util.Set.of("jpg", "jpeg", "jpe", "jfif", "png", "gif", "bmp", "webp");

    /**
     * @param maxPixels            largest width × height accepted (checked from the header, before decoding)
     * @param applyExifOrientation rotate / flip JPEGs (and PNGs with eXIf) as their EXIF Orientation says
     */
    public record Options(long maxPixels, boolean applyExifOrientation) {
        public Options {
            if (maxPixels <= 0) throw new IllegalArgumentException("maxPixels must be positive");
        }

        /** Pillow's limit, EXIF orientation ignored (the reference behaviour). */
        public static Options defaults() { return new Options(DEFAULT_MAX_PIXELS, false); }

        public Options withMaxPixels(long max) { return new Options(max, applyExifOrientation); }

        public Options withExifOrientation(boolean apply) { return new Options(maxPixels, apply); }
    }

    /** A decoded image with what the file said about it. */
    public record Decoded(PilImage image, String format, int exifOrientation) {}

    private static final ImageDecoder DEFAULT = new ImageDecoder(Options.defaults());

    private final Options options;

    public ImageDecoder(Options options) {
        this.options = java.util.Objects.requireNonNull(options, "options");
    }

    /** The decoder with default options. */
    public static ImageDecoder defaults() { return DEFAULT; }

    public Options options() { return options; }

    /** Decodes a file with the default options. */
    public static PilImage read(Path file) { return DEFAULT.decode(file); }

    /** Decodes a file. */
    public PilImage decode(Path file) { return decodeDetailed(file).image(); }

    /** Decodes in-memory file bytes; {@code name} is used in error messages. */
    public PilImage decode(byte[] data, String name) { return decodeDetailed(data, name).image(); }

    /** Decodes a file, also reporting its format and EXIF orientation. */
    public Decoded decodeDetailed(Path file) {
        byte[] data;
        try {
            long size = Files.size(file);
            if (size > Integer.MAX_VALUE - 8) {
                throw new Clip4jException("cannot decode image " + file + ": the file is too large (" + size + " bytes)");
            }
            data = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Clip4jException("cannot read image " + file + ": no such file", e);
        } catch (IOException e) {
            throw new Clip4jException("cannot read image " + file + ": " + e.getMessage(), e);
        }
        return decodeDetailed(data, file.toString());
    }

    /** Decodes in-memory file bytes, also reporting the format and EXIF orientation. */
    public Decoded decodeDetailed(byte[] data, String name) {
        try {
            Decoded d = decodeInternal(data);
            if (options.applyExifOrientation() && d.exifOrientation() > 1) {
                return new Decoded(Orientation.apply(d.image(), d.exifOrientation()), d.format(), d.exifOrientation());
            }
            return d;
        } catch (DecodeException e) {
            throw new Clip4jException("cannot decode image " + name + ": " + e.getMessage(), e);
        } catch (OutOfMemoryError e) {
            throw new Clip4jException("cannot decode image " + name + ": not enough memory", e);
        }
    }

    private Decoded decodeInternal(byte[] d) throws DecodeException {
        long max = options.maxPixels();
        if (d.length == 0) throw new DecodeException("the file is empty");
        if (PngDecoder.matches(d)) {
            PngDecoder.Result r = PngDecoder.decode(d, max);
            return new Decoded(r.image(), "PNG", r.exifOrientation());
        }
        if (JpegDecoder.matches(d)) {
            JpegDecoder.Result r = JpegDecoder.decode(d, max);
            return new Decoded(r.image(), "JPEG", r.exifOrientation());
        }
        if (GifDecoder.matches(d)) return new Decoded(GifDecoder.decode(d, max), "GIF", 0);
        if (ImageIoDecoder.isBmp(d)) return new Decoded(ImageIoDecoder.decode(d, "bmp", max), "BMP", 0);
        if (ImageIoDecoder.isWebp(d)) return new Decoded(ImageIoDecoder.decode(d, "webp", max), "WEBP", 0);
        throw new DecodeException("not a supported image format (expected JPEG, PNG, GIF, BMP or WebP)");
    }

    /** Throws when width × height exceeds the limit. */
    static void checkPixels(long width, long height, long maxPixels) throws DecodeException {
        long n = width * height;
        if (n > maxPixels) {
            throw new DecodeException("image is " + width + "x" + height + " = " + n + " pixels, more than the limit of "
                    + maxPixels + " (a decompression bomb?)");
        }
    }
}
