package io.clip4j.model;

/**
 * Preprocessed images ready for an {@link ImageEncoder}.
 * Fixed resolution (CLIP, SigLIP): pixels[B,3,S,S] (CHW per image), either in one array ({@code values}) or as the
 * preprocessed images themselves ({@code inputs}: a batch is then neither copied into one array nor expanded from
 * 8-bit images before the encoder reads it), and {@code gridShapes} null.
 * NaFlex (SigLIP 2): {@code values} = patches[B,M,P·P·3] (each patch flattened row, column, channel; rows past an
 * image's h·w patches are zero padding), {@code gridShapes[b]} = {h, w} its patch grid, M = maxPatches.
 */
public record ImageBatch(float[] values, int batch, int maxPatches, int[][] gridShapes, ImageInput[] inputs) {
    public ImageBatch(float[] values, int batch, int maxPatches, int[][] gridShapes) {
        this(values, batch, maxPatches, gridShapes, null);
    }

    public static ImageBatch pixels(float[] pixels, int B) { return new ImageBatch(pixels, B, 0, null, null); }

    /** Fixed-resolution images as preprocessing made them (used as they are, not copied). */
    public static ImageBatch pixels(ImageInput[] inputs) { return new ImageBatch(null, inputs.length, 0, null, inputs); }

    public boolean isPatches() { return gridShapes != null; }

    /** All values in one array: for a batch of preprocessed images, a new array holding them one after another. */
    @Override public float[] values() {
        if (inputs == null) return values;
        int per = inputs.length == 0 ? 0 : inputs[0].size();
        float[] flat = new float[inputs.length * per];
        for (int b = 0; b < inputs.length; b++) System.arraycopy(inputs[b].values(), 0, flat, b * per, per);
        return flat;
    }

    /** Whether this batch holds B images of S×S pixels. */
    public boolean holdsPixels(int S) {
        if (isPatches()) return false;
        if (inputs == null) return values.length >= (long) batch * 3 * S * S;
        for (ImageInput in : inputs) if (!in.isSquarePixels(S)) return false;
        return true;
    }

    /** dst[off + i] = pixel (channel ch, row y, column x0 + i) of image b, i < len, in a batch of S×S images. */
    public void copyRow(int b, int ch, int y, int x0, int S, float[] dst, int off, int len) {
        if (inputs != null) inputs[b].copyRow(ch, y, x0, S, S, dst, off, len);
        else System.arraycopy(values, ((b * 3 + ch) * S + y) * S + x0, dst, off, len);
    }
}
