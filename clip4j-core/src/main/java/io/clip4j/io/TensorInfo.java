package io.clip4j.io;

import java.util.Arrays;

/** One tensor's header entry: type, shape, and byte range [begin, end) inside the data section. */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {
    /** Number of elements (1 for a scalar of shape []). */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** The shape as ints (every dimension of a loadable tensor fits). */
    public int[] intShape() {
        int[] s = new int[shape.length];
        for (int i = 0; i < s.length; i++) s[i] = Math.toIntExact(shape[i]);
        return s;
    }

    public String shapeString() { return Arrays.toString(shape); }
}
