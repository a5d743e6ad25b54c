package io.clip4j.nn;

import io.clip4j.kernel.Ops;

/** y[N,OUT] = x[N,IN] · W[OUT,IN]ᵀ + b[OUT]; b may be absent. */
public final class Linear {
    public final Param weight;
    public final Param bias;
    public final int in, out;

    public Linear(Param weight, Param bias) {
        this.weight = weight;
        this.bias = bias;
        this.out = weight.shape[0];
        this.in = weight.shape[1];
    }

    public void forward(float[] y, float[] x, int N) {
        Ops.matmul(y, x, weight.data, bias == null ? null : bias.data, N, in, out);
    }
}
