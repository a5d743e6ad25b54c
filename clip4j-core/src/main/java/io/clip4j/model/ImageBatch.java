package io.clip4j.model;

/**
 * Preprocessed images ready for an {@link ImageEncoder}.
 * Fixed resolution (CLIP, SigLIP): {@code values} = pixels[B,3,S,S] (CHW per image) and {@code gridShapes} null.
 * NaFlex (SigLIP 2): {@code values} = patches[B,M,P·P·3] (each patch flattened row, column, channel; rows past an
 * image's h·w patches are zero padding), {@code gridShapes[b]} = {h, w} its patch grid, M = maxPatches.
 */
public record ImageBatch(float[] values, int batch, int maxPatches, int[][] gridShapes) {
    public static ImageBatch pixels(float[] pixels, int B) { return new ImageBatch(pixels, B, 0, null); }

    public boolean isPatches() { return gridShapes != null; }
}
