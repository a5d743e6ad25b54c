package io.clip4j.model;

import io.clip4j.nn.Param;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;

import java.util.List;

/** The image side of a model: a batch of preprocessed images → features [B,E] (unnormalised). */
public interface ImageEncoder {
    void forward(float[] out, ImageBatch batch, Workspace ws, Trace trace);

    /** Parameters in a stable order (checkpoint names). */
    List<Param> params();
}
