package io.clip4j.train;

import io.clip4j.kernel.Backward;
import io.clip4j.kernel.Ops;
import io.clip4j.nn.MapHead;

/**
 * SigLIP's attention-pooling (MAP) head with saved activations, over a {@link MapHead}'s parameters (same float[]
 * objects). For x[B,T,D] (the post-LayerNorm tokens), H heads, MLP width I; in_proj packs the rows q; k; v
 * (torch's nn.MultiheadAttention):
 * <pre>
 *   q    = probe · Wqᵀ + bq                       [D]          (one query, shared by every item)
 *   kv   = x · [Wk; Wv]ᵀ + [bk; bv]               [B·T, 2D]    saved: kv
 *   a    = probeAttention(q, kv)                  [B,D]        saved: probs[B,H,T], a
 *   o    = a · Woᵀ + bo                           [B,D]        saved: o
 *   n    = layernorm(o)                           [B,D]        saved: n, mean/rstd[B]
 *   f    = n · W1ᵀ + b1                           [B,I]        saved: f (pre-activation)
 *   g    = act(f)                                 [B,I]        saved: g
 *   out  = o + g · W2ᵀ + b2                       [B,D]        the pooled row: the image features
 * </pre>
 * No LayerNorm before the attention. Keys at index ≥ validKeys[b] are masked when validKeys is given (NaFlex padding).
 */
final class MapHeadGraph {
    final MapHead head;
    final int D, I, H;

    int B, T;
    int[] validKeys;
    float[] x = new float[0];                       // the input, kept by reference (the caller's saved buffer)
    float[] q = new float[0], wkv = new float[0], bkv = new float[0], kv = new float[0], probs = new float[0], att = new float[0];
    float[] o = new float[0], n = new float[0], mean = new float[0], rstd = new float[0], f = new float[0], g = new float[0];
    private float[] dq = new float[0], dkv = new float[0], datt = new float[0], dout2 = new float[0], dn = new float[0];
    private float[] dg = new float[0], df = new float[0], dwkv = new float[0], dbkv = new float[0];

    MapHeadGraph(MapHead head, int D, int I) {
        this.head = head;
        this.D = D;
        this.I = I;
        this.H = head.heads;
    }

    /** out[B,D] for x[B,T,D] (x must stay unchanged until {@link #backward}); validKeys may be null. */
    float[] forward(float[] x, int B, int T, int[] validKeys) {
        this.x = x;
        this.B = B;
        this.T = T;
        this.validKeys = validKeys == null ? null : validKeys.clone();
        int NT = B * T;
        float[] w = head.inProjWeight.data, bias = head.inProjBias.data;
        q = EncoderGraph.grow(q, D);
        wkv = EncoderGraph.grow(wkv, 2 * D * D); bkv = EncoderGraph.grow(bkv, 2 * D);
        kv = EncoderGraph.grow(kv, NT * 2 * D); probs = EncoderGraph.grow(probs, B * H * T); att = EncoderGraph.grow(att, B * D);
        o = EncoderGraph.grow(o, B * D); n = EncoderGraph.grow(n, B * D); mean = EncoderGraph.grow(mean, B); rstd = EncoderGraph.grow(rstd, B);
        f = EncoderGraph.grow(f, B * I); g = EncoderGraph.grow(g, B * I);

        // q[D] = probe · Wqᵀ + bq: Wq and bq are the first D rows of in_proj (the kernel reads only those)
        Ops.matmul(q, head.probe.data, w, bias, 1, D, D);
        // kv[B·T, 2D] = x · [Wk; Wv]ᵀ + [bk; bv]: rows D..3D of in_proj, copied out (they change every step)
        System.arraycopy(w, D * D, wkv, 0, 2 * D * D);
        System.arraycopy(bias, D, bkv, 0, 2 * D);
        Ops.matmul(kv, x, wkv, bkv, NT, D, 2 * D);
        Backward.probeAttentionForward(att, probs, q, kv, B, T, D, H, validKeys);
        Ops.matmul(o, att, head.outProj.weight.data, head.outProj.bias.data, B, D, D);
        Backward.layerNormForward(n, mean, rstd, o, head.layerNorm.weight.data, head.layerNorm.bias.data, B, D, head.layerNorm.eps);
        Ops.matmul(f, n, head.fc1.weight.data, head.fc1.bias.data, B, D, I);
        System.arraycopy(f, 0, g, 0, B * I);
        EncoderGraph.activate(head.activation, g, B * I);
        float[] out = new float[B * D];
        Ops.matmul(out, g, head.fc2.weight.data, head.fc2.bias.data, B, I, D);
        Ops.addInPlace(out, o, B * D);                                     // out = o + mlp(ln(o))
        return out;
    }

    /** Accumulates d loss / d parameter into grads and d loss / d x into dx[B,T,D], given dout[B,D]. */
    void backward(float[] dout, float[] dx, Gradients grads) {
        int NT = B * T;
        float[] gIn = grads.of(head.inProjWeight), gInBias = grads.of(head.inProjBias);
        // MLP branch: out = o + fc2(act(fc1(ln(o)))); the residual passes dout on to o unchanged
        dg = VisionGraph.zeroed(dg, B * I);
        Backward.matmulBackward(dg, grads.of(head.fc2.weight), grads.of(head.fc2.bias), dout, g, head.fc2.weight.data, B, I, D);
        df = VisionGraph.zeroed(df, B * I);
        EncoderGraph.activationBackward(head.activation, df, f, dg, B * I);
        dn = VisionGraph.zeroed(dn, B * D);
        Backward.matmulBackward(dn, grads.of(head.fc1.weight), grads.of(head.fc1.bias), df, n, head.fc1.weight.data, B, D, I);
        dout2 = EncoderGraph.grow(dout2, B * D);
        System.arraycopy(dout, 0, dout2, 0, B * D);                          // d loss / d o: the residual ...
        Backward.layerNormBackward(dout2, grads.of(head.layerNorm.weight), grads.of(head.layerNorm.bias), dn, o,
                head.layerNorm.weight.data, mean, rstd, B, D);               // ... plus the LayerNorm branch
        // o = a · Woᵀ + bo
        datt = VisionGraph.zeroed(datt, B * D);
        Backward.matmulBackward(datt, grads.of(head.outProj.weight), grads.of(head.outProj.bias), dout2, att, head.outProj.weight.data, B, D, D);
        // the probe's attention
        dq = VisionGraph.zeroed(dq, D);
        dkv = VisionGraph.zeroed(dkv, NT * 2 * D);
        Backward.probeAttentionBackward(dq, dkv, datt, q, kv, probs, B, T, D, H, validKeys);
        // kv = x · [Wk; Wv]ᵀ + [bk; bv]: weight and bias gradients land in rows D..3D of in_proj
        dwkv = VisionGraph.zeroed(dwkv, 2 * D * D);
        dbkv = VisionGraph.zeroed(dbkv, 2 * D);
        Backward.matmulBackward(dx, dwkv, dbkv, dkv, x, wkv, NT, D, 2 * D);
        for (int i = 0; i < 2 * D * D; i++) gIn[D * D + i] += dwkv[i];
        for (int i = 0; i < 2 * D; i++) gInBias[D + i] += dbkv[i];
        // q = probe · Wqᵀ + bq: rows 0..D of in_proj (the kernel touches only the first D rows of each array)
        Backward.matmulBackward(grads.of(head.probe), gIn, gInBias, dq, head.probe.data, head.inProjWeight.data, 1, D, D);
    }

    /** Floats held by the saved activations (buffer capacities; x belongs to the caller). */
    long savedFloats() {
        return q.length + kv.length + probs.length + att.length + o.length + n.length + mean.length + rstd.length + f.length + g.length;
    }
}
