package io.clip4j.io;

import java.util.Map;
import java.util.Set;

/** Named tensors readable as floats or ints: one safetensors file or a sharded checkpoint. */
public interface TensorSource extends AutoCloseable {
    /** Tensor names, in file order. */
    Set<String> names();

    boolean has(String name);

    /** The header entry; an error naming the tensor and the file if absent. */
    TensorInfo info(String name);

    /** The tensor widened to float32 (F32, F16, BF16, F64). */
    float[] floats(String name);

    /** Widens the tensor into dst[offset .. offset + numel) without an intermediate array. */
    default void readFloats(String name, float[] dst, int offset) {
        float[] v = floats(name);
        System.arraycopy(v, 0, dst, offset, v.length);
    }

    /**
     * The tensor's little-endian bytes, valid after {@link #close} (the source was opened to keep its mapping), or null
     * when this source does not keep them.
     */
    default java.lang.foreign.MemorySegment mapped(String name) { return null; }

    /** The tensor as ints (I8..I64, U8..U32, BOOL); I64 values must fit an int. */
    int[] ints(String name);

    /** String metadata from the header's {@code __metadata__}. */
    Map<String, String> metadata();

    @Override void close();
}
