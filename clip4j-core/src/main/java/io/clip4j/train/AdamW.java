package io.clip4j.train;

import io.clip4j.kernel.Parallel;
import io.clip4j.nn.Param;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * torch.optim.AdamW as torch 1.13's {@code _single_tensor_adamw} computes it (amsgrad off). Per parameter tensor,
 * state m = v = 0 and t = 0; each step:
 * <pre>
 *   t ← t + 1
 *   p ← p · (1 − lr·wd)                                   decoupled decay first, with this step's lr
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g·g
 *   p ← p − (lr / (1 − β1ᵗ)) · m / ( √v / √(1 − β2ᵗ) + ε )    ε added after the bias correction
 * </pre>
 * Scalars (1 − lr·wd, lr/(1 − β1ᵗ), √(1 − β2ᵗ), 1 − β1, 1 − β2, β1, β2, ε) are computed in double and rounded to
 * float; tensor arithmetic is float32 with torch's CPU roundings: {@code m.add_(g, alpha)} = fma(g, α, β1·m),
 * {@code v.addcmul_(g, g, value)} = fma(value·g, g, β2·v), {@code p.addcdiv_(m, denom, value)} = p + (value·m)/denom,
 * and the division by √(1 − β2ᵗ) a true division. Given the same gradients this reproduces torch's weights bit for
 * bit (the fixtures README's "torch_cpu" restatement).
 */
public final class AdamW implements Optimizer {
    private final List<ParamGroup> groups;
    private final double beta1, beta2, eps;
    private final Map<Param, State> state = new IdentityHashMap<>();

    private static final class State {
        final float[] m, v;
        int t;
        State(int n) { m = new float[n]; v = new float[n]; }
    }

    public AdamW(List<ParamGroup> groups, double beta1, double beta2, double eps) {
        this.groups = List.copyOf(groups);
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
    }

    /** open_clip's defaults for ViT CLIP: β = (0.9, 0.98), ε = 1e-6. */
    public static AdamW openClip(List<ParamGroup> groups) { return new AdamW(groups, 0.9, 0.98, 1e-6); }

    @Override public List<ParamGroup> groups() { return groups; }

    /** Steps taken so far for p (0 before its first update). */
    public int steps(Param p) {
        State s = state.get(p);
        return s == null ? 0 : s.t;
    }

    /** The β1, β2, ε this optimizer was built with. */
    public double beta1() { return beta1; }
    public double beta2() { return beta2; }
    public double eps() { return eps; }

    /** A snapshot of one parameter's moments (copies) and step count, for checkpoints. */
    public record ParamState(float[] m, float[] v, int t) {}

    /** The state of p (copies), or null before its first update. */
    public ParamState state(Param p) {
        State s = state.get(p);
        return s == null ? null : new ParamState(s.m.clone(), s.v.clone(), s.t);
    }

    /** Restores p's moments and step count (from a checkpoint); lengths must match p. */
    public void setState(Param p, float[] m, float[] v, int t) {
        if (m.length != p.numel() || v.length != p.numel()) throw new IllegalArgumentException("AdamW state for " + p.name + " has the wrong size");
        State s = new State(p.numel());
        System.arraycopy(m, 0, s.m, 0, m.length);
        System.arraycopy(v, 0, s.v, 0, v.length);
        s.t = t;
        state.put(p, s);
    }

    @Override public void step(Gradients grads, double lr) {
        float b1 = (float) beta1, b2 = (float) beta2, omb1 = (float) (1 - beta1), omb2 = (float) (1 - beta2), epsf = (float) eps;
        for (ParamGroup group : groups) {
            float decay = (float) (1 - lr * group.weightDecay());
            for (Param p : group.params()) {
                State s = state.computeIfAbsent(p, k -> new State(k.numel()));
                s.t++;
                double bc1 = 1 - Math.pow(beta1, s.t), bc2 = 1 - Math.pow(beta2, s.t);
                float negStepSize = (float) -(lr / bc1), bc2Sqrt = (float) Math.sqrt(bc2);
                float[] w = p.data, g = grads.of(p), m = s.m, v = s.v;
                // element-wise: threaded over index ranges for large tensors, the same values as one thread
                Parallel.RangeBody update = (lo, hi) -> {
                    for (int i = lo; i < hi; i++) {
                        float gi = g[i];
                        float wi = w[i] * decay;
                        float mi = Math.fma(gi, omb1, m[i] * b1);
                        float vi = Math.fma(omb2 * gi, gi, v[i] * b2);
                        float denom = (float) Math.sqrt(vi) / bc2Sqrt + epsf;
                        w[i] = wi + (negStepSize * mi) / denom;
                        m[i] = mi;
                        v[i] = vi;
                    }
                };
                Parallel.forWork(w.length, 8, update);
            }
        }
    }
}
