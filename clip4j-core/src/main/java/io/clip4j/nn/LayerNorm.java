package io.clip4j.nn;

import io.clip4j.kernel.Ops;

/** y[N,C] = (x − mean) / √(var + eps) · γ + β per row. */
public final class LayerNorm {
    public final Param weight, bias;
    public final float eps;

    public LayerNorm(Param weight, Param bias, float eps) {
        this.weight = weight;
        this.bias = bias;
        this.eps = eps;
    }

    public void forward(float[] y, float[] x, int N) {
        Ops.layerNorm(y, x, weight.data, bias.data, N, weight.numel(), eps);
    }
}
