package io.clip4j.nn;

import io.clip4j.kernel.WeightMatrix;

import java.util.Arrays;

/**
 * A named parameter tensor: values in row-major order with its shape. Names follow the HF layout (qkv fused).
 *
 * <p>The values are either a float[] ({@link #data}) or, for inference, a {@link WeightMatrix} ({@link #matrix}:
 * mapped from the checkpoint or stored as BF16; {@link #data} is then null). Training needs float[] values
 * ({@link #onHeap}); {@link #floats} reads either.
 */
public final class Param {
    public final String name;
    public final int[] shape;
    /** The values, or null when they live in {@link #matrix}. */
    public final float[] data;
    /** The values as a [shape[0], rest] matrix, or null when they are in {@link #data}. */
    public final WeightMatrix matrix;

    public Param(String name, float[] data, int... shape) {
        long n = numel(shape);
        if (n != data.length) throw new IllegalArgumentException(name + ": " + data.length + " values for shape " + Arrays.toString(shape));
        this.name = name;
        this.shape = shape.clone();
        this.data = data;
        this.matrix = null;
    }

    /** A parameter of shape [rows, …] whose values are the matrix W[rows, product of the other dimensions]. */
    public Param(String name, WeightMatrix matrix, int... shape) {
        if (shape.length < 2 || shape[0] != matrix.rows || numel(shape) != (long) matrix.rows * matrix.cols)
            throw new IllegalArgumentException(name + ": a " + matrix.rows + "×" + matrix.cols + " matrix for shape " + Arrays.toString(shape));
        this.name = name;
        this.shape = shape.clone();
        this.data = null;
        this.matrix = matrix;
    }

    private static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public int numel() { return data != null ? data.length : matrix.rows * matrix.cols; }

    /** Whether the values are a float[] (trainable in place). */
    public boolean onHeap() { return data != null; }

    /** The values as floats: {@link #data} itself, or a new array widened from {@link #matrix}. */
    public float[] floats() { return data != null ? data : matrix.toFloats(); }

    /** dst[off .. off + n) = row r of the [shape[0], rest] view, where n is the row length. */
    public void readRow(int r, float[] dst, int off) {
        if (data != null) {
            int n = data.length / shape[0];
            System.arraycopy(data, r * n, dst, off, n);
        } else {
            matrix.readRow(r, 0, matrix.cols, dst, off);
        }
    }
}
