package io.clip4j.model;

/**
 * One preprocessed image: CHW pixels (fixed resolution, gridH = gridW = 0) or NaFlex patches
 * [M, P·P·3] with its gridH × gridW real patches first.
 */
public record ImageInput(float[] values, int gridH, int gridW) {
    public static ImageInput pixels(float[] chw) { return new ImageInput(chw, 0, 0); }
}
