package io.clip4j.model;

/** The model families clip4j runs. The public API is the same for all of them. */
public enum Family {
    /** OpenAI CLIP and OpenCLIP: softmax over scaled cosine similarities. */
    CLIP,
    /** SigLIP and SigLIP 2 fixed resolution: sigmoid over scaled cosine + bias. */
    SIGLIP,
    /** SigLIP 2 NaFlex: native aspect ratio, variable patch grid. */
    SIGLIP2
}
