package io.clip4j.nn;

import java.util.Arrays;

/** A named parameter tensor: values in row-major order with its shape. Names follow the HF layout (qkv fused). */
public final class Param {
    public final String name;
    public final int[] shape;
    public final float[] data;

    public Param(String name, float[] data, int... shape) {
        long n = 1;
        for (int d : shape) n *= d;
        if (n != data.length) throw new IllegalArgumentException(name + ": " + data.length + " values for shape " + Arrays.toString(shape));
        this.name = name;
        this.shape = shape.clone();
        this.data = data;
    }

    public int numel() { return data.length; }
}
