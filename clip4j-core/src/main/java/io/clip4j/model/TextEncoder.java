package io.clip4j.model;

import io.clip4j.nn.Param;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;

import java.util.List;

/** The text side of a model: token ids [B,L] → features [B,E] (unnormalised). */
public interface TextEncoder {
    void forward(float[] out, int[] ids, int B, int L, Workspace ws, Trace trace);

    /** The position whose hidden state is pooled, for one row of ids[offset .. offset + L). */
    int poolIndex(int[] ids, int offset, int L);

    /** Parameters in a stable order (checkpoint names). */
    List<Param> params();
}
