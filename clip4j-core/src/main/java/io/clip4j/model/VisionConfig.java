package io.clip4j.model;

/** The image tower: a ViT over imageSize² pixels cut in patchSize² patches; grid = imageSize / patchSize. */
public record VisionConfig(TowerConfig tower, int imageSize, int patchSize, int numChannels) {
    public int grid() { return imageSize / patchSize; }
    public int numPatches() { return grid() * grid(); }
    /** Tokens per image: the patches plus the class token. */
    public int numPositions() { return numPatches() + 1; }
}
