package io.clip4j.nn;

import io.clip4j.kernel.Ops;
import io.clip4j.model.Activation;

/**
 * SigLIP's multihead attention-pooling head (MAP): one learned query (the probe) attends over the tokens.
 * For x[B,T,D]: q = probe·Wqᵀ + bq; k, v = x·Wkᵀ + bk, x·Wvᵀ + bv (in_proj rows q; k; v as in torch's
 * nn.MultiheadAttention); a = softmax(q·kᵀ · d^-½ + mask)·v per head; o = a·Woᵀ + bo;
 * out[B,D] = o + fc2(act(fc1(layernorm(o)))). No LayerNorm before the attention.
 */
public final class MapHead {
    public final Param probe, inProjWeight, inProjBias;
    public final Linear outProj, fc1, fc2;
    public final LayerNorm layerNorm;
    public final int heads;
    public final Activation activation;

    public MapHead(ParamSource src, String prefix, int D, int intermediate, int heads, float eps, Activation act) {
        probe = src.param(prefix + "probe", 1, 1, D);
        inProjWeight = src.param(prefix + "attention.in_proj_weight", 3 * D, D);
        inProjBias = src.param(prefix + "attention.in_proj_bias", 3 * D);
        outProj = new Linear(src.matrix(prefix + "attention.out_proj.weight", D, D), src.param(prefix + "attention.out_proj.bias", D));
        layerNorm = new LayerNorm(src.param(prefix + "layernorm.weight", D), src.param(prefix + "layernorm.bias", D), eps);
        fc1 = new Linear(src.matrix(prefix + "mlp.fc1.weight", intermediate, D), src.param(prefix + "mlp.fc1.bias", intermediate));
        fc2 = new Linear(src.matrix(prefix + "mlp.fc2.weight", D, intermediate), src.param(prefix + "mlp.fc2.bias", D));
        this.heads = heads;
        this.activation = act;
    }

    /** out[B,D] pooled from x[B,T,D]; keys at index ≥ validKeys[b] are masked (validKeys may be null). */
    public void forward(float[] out, float[] x, int B, int T, int[] validKeys, Trace trace, String tracePrefix) {
        int D = probe.numel(), hd = D / heads, I = fc1.out;
        float[] w = inProjWeight.data, bias = inProjBias.data;
        // q[D] = probe · Wqᵀ + bq (the same for every item)
        float[] q = new float[D];
        Ops.matmul(q, probe.data, java.util.Arrays.copyOfRange(w, 0, D * D), java.util.Arrays.copyOfRange(bias, 0, D), 1, D, D);
        // kv[B·T, 2D] = x · [Wk; Wv]ᵀ + [bk; bv]
        float[] kv = new float[B * T * 2 * D];
        Ops.matmul(kv, x, java.util.Arrays.copyOfRange(w, D * D, 3 * D * D), java.util.Arrays.copyOfRange(bias, D, 3 * D), B * T, D, 2 * D);
        float[] att = new float[B * D];
        float[] probs = trace != null ? new float[B * heads * T] : null;
        double scale = 1.0 / Math.sqrt(hd);
        double[] s = new double[T];
        for (int b = 0; b < B; b++) {
            int valid = validKeys == null ? T : validKeys[b];
            for (int h = 0; h < heads; h++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int t = 0; t < valid; t++) {
                    int kOff = (b * T + t) * 2 * D + h * hd;
                    double dot = 0;
                    for (int d = 0; d < hd; d++) dot += q[h * hd + d] * kv[kOff + d];
                    s[t] = dot * scale;
                    max = Math.max(max, s[t]);
                }
                double sum = 0;
                for (int t = 0; t < valid; t++) { s[t] = Math.exp(s[t] - max); sum += s[t]; }
                for (int t = 0; t < valid; t++) {
                    double p = s[t] / sum;
                    if (probs != null) probs[(b * heads + h) * T + t] = (float) p;
                    int vOff = (b * T + t) * 2 * D + D + h * hd;
                    for (int d = 0; d < hd; d++) att[b * D + h * hd + d] += (float) (p * kv[vOff + d]);
                }
            }
        }
        if (trace != null) trace.record(tracePrefix + "head_attention", probs, B, heads, 1, T);
        float[] o = new float[B * D], ln = new float[B * D], mid = new float[B * I];
        outProj.forward(o, att, B);
        layerNorm.forward(ln, o, B);
        fc1.forward(mid, ln, B);
        Block.activate(activation, mid, B * I);
        fc2.forward(out, mid, B);
        Ops.addInPlace(out, o, B * D);
    }
}
