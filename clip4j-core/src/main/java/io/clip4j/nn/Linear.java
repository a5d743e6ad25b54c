package io.clip4j.nn;

import io.clip4j.kernel.Activation;
import io.clip4j.kernel.Ops;

/** y[N,OUT] = x[N,IN] · W[OUT,IN]ᵀ + b[OUT]; b may be absent. W is a float[] or a {@link io.clip4j.kernel.WeightMatrix}. */
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
        forward(y, x, N, Activation.NONE);
    }

    /** y = act(x · Wᵀ + b), the activation fused into the GEMM's epilogue. */
    public void forward(float[] y, float[] x, int N, Activation act) {
        matmul(y, x, weight, bias == null ? null : bias.data, N, in, out, act);
    }

    /** y[N,OUT] += x · Wᵀ + b: a residual branch added onto y in the GEMM's epilogue. */
    public void forwardAdd(float[] y, float[] x, int N) {
        float[] b = bias == null ? null : bias.data;
        if (weight.data != null) Ops.matmulAdd(y, x, weight.data, b, N, in, out);
        else Ops.matmulAdd(y, x, weight.matrix, b, N, in, out);
    }

    /** out[N,OC] = act(inp[N,C] · W[OC,C]ᵀ + bias) for a weight parameter stored either way (W: the [OC, C] view). */
    public static void matmul(float[] out, float[] inp, Param w, float[] bias, int N, int C, int OC, Activation act) {
        if (w.data != null) Ops.matmul(out, inp, w.data, bias, N, C, OC, act);
        else Ops.matmul(out, inp, w.matrix, bias, N, C, OC, act);
    }
}
