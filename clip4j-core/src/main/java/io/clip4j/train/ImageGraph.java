package io.clip4j.train;

import io.clip4j.model.ImageBatch;

/**
 * The image side of a training graph: a tower's forward with its activations saved, and the backward of that
 * forward. Implementations: {@link VisionGraph} (CLIP), {@link SiglipVisionGraph} (SigLIP, fixed resolution),
 * {@link NaFlexVisionGraph} (SigLIP 2 NaFlex: patches with per-image grids, masked padding).
 */
interface ImageGraph {
    /** Image features [B,E] (unnormalised) for pixels[B,3,S,S], saving what {@link #backward} needs. */
    float[] forward(float[] pixels, int B);

    /**
     * Image features [B,E] for a batch as {@link io.clip4j.model.ImageEncoder}s take it: pixels for fixed-resolution
     * towers (the default), NaFlex patches with their grids for {@link NaFlexVisionGraph}.
     */
    default float[] forward(ImageBatch images) {
        if (images.isPatches()) throw new IllegalArgumentException("this image tower takes pixels, not NaFlex patches");
        return forward(images.values(), images.batch());
    }

    /** Accumulates d loss / d parameter into grads, given dfeat[B,E] = d loss / d features of the last forward. */
    void backward(float[] dfeat, Gradients grads);

    /** Floats per image of the pixels {@link #forward} takes: 3·S·S (0 for NaFlex: its batches carry their own size). */
    int floatsPerImage();

    /** Floats held by the saved activations (buffer capacities). */
    long savedFloats();
}
