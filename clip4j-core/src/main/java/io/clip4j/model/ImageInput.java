package io.clip4j.model;

import io.clip4j.image.ImagePreprocessor;

/**
 * One preprocessed image: CHW pixels (fixed resolution, gridH = gridW = 0) or NaFlex patches [M, P·P·3] with its
 * gridH × gridW real patches first. Fixed-resolution pixels may instead be held as the 8-bit RGB image they are made
 * from ({@code rgb}, HWC, {@code values} null) with the table that gives each channel's sample value its normalised
 * float ({@code table[channel][value]}, as ToTensor + Normalize compute it): the same values in a quarter of the
 * memory, expanded only where the encoder reads them.
 */
public record ImageInput(float[] values, int gridH, int gridW, ImagePreprocessor.Rgb rgb, float[][] table) {
    public ImageInput(float[] values, int gridH, int gridW) { this(values, gridH, gridW, null, null); }

    public static ImageInput pixels(float[] chw) { return new ImageInput(chw, 0, 0); }

    /** An 8-bit RGB image and its [3][256] normalisation table (not copied). */
    public static ImageInput pixels(ImagePreprocessor.Rgb rgb, float[][] table) {
        if (table.length != 3 || table[0].length != 256 || table[1].length != 256 || table[2].length != 256) {
            throw new IllegalArgumentException("a normalisation table is [3][256]");
        }
        return new ImageInput(null, 0, 0, rgb, table);
    }

    /** The values (CHW pixels or patches); an 8-bit image is expanded into a new array on every call. */
    @Override public float[] values() {
        if (rgb == null) return values;
        float[] out = new float[size()];
        ImagePreprocessor.toTensor(rgb, table, out, 0);
        return out;
    }

    /** How many float values this input has: 3·height·width for pixels. */
    public int size() { return rgb != null ? 3 * rgb.width() * rgb.height() : values.length; }

    /** Whether these are the pixels of an S×S image. */
    public boolean isSquarePixels(int S) {
        return gridH == 0 && (rgb != null ? rgb.width() == S && rgb.height() == S : values.length == 3 * S * S);
    }

    /**
     * dst[off + i] = pixel (channel ch, row y, column x0 + i) for i < len, for pixels of an image of the given height
     * and width (CHW floats, or the 8-bit image through its table).
     */
    public void copyRow(int ch, int y, int x0, int height, int width, float[] dst, int off, int len) {
        if (rgb == null) {
            System.arraycopy(values, (ch * height + y) * width + x0, dst, off, len);
            return;
        }
        byte[] p = rgb.pixels();
        float[] t = table[ch];
        for (int i = 0, at = (y * rgb.width() + x0) * 3 + ch; i < len; i++, at += 3) dst[off + i] = t[p[at] & 0xFF];
    }
}
