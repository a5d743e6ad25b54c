package io.clip4j.train;

/**
 * The image side of a training graph: a tower's forward over pixels[B,3,S,S] with its activations saved, and the
 * backward of that forward. Implementations: {@link VisionGraph} (CLIP), {@link SiglipVisionGraph} (SigLIP).
 */
interface ImageGraph {
    /** Image features [B,E] (unnormalised) for pixels[B,3,S,S], saving what {@link #backward} needs. */
    float[] forward(float[] pixels, int B);

    /** Accumulates d loss / d parameter into grads, given dfeat[B,E] = d loss / d features of the last forward. */
    void backward(float[] dfeat, Gradients grads);

    /** Floats per image of the pixels {@link #forward} takes: 3·S·S. */
    int floatsPerImage();

    /** Floats held by the saved activations (buffer capacities). */
    long savedFloats();
}
