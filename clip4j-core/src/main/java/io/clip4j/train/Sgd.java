package io.clip4j.train;

import io.clip4j.nn.Param;

import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * torch.optim.SGD (1.13, single-tensor path), per element in float32:
 * <pre>
 *   d = g + wd·p                                  (when the group's weight decay ≠ 0)
 *   buf = d (first step), else buf = μ·buf + (1 − dampening)·d       (when momentum μ ≠ 0)
 *   d = nesterov ? d + μ·buf : buf
 *   p = p − lr·d
 * </pre>
 * Every {@code x.add_(y, alpha=α)} is one fused multiply-add fma(y, α, x), as torch's vectorised CPU kernels do:
 * with momentum 0 this reproduces torch's weights bit for bit (given the same gradients).
 */
public final class Sgd implements Optimizer {
    private final List<ParamGroup> groups;
    private final double momentum, dampening;
    private final boolean nesterov;
    private final Map<Param, float[]> buffers = new IdentityHashMap<>();

    public Sgd(List<ParamGroup> groups, double momentum, double dampening, boolean nesterov) {
        if (nesterov && (momentum <= 0 || dampening != 0)) throw new IllegalArgumentException("Nesterov momentum requires a momentum and zero dampening");
        this.groups = List.copyOf(groups);
        this.momentum = momentum;
        this.dampening = dampening;
        this.nesterov = nesterov;
    }

    /** Plain SGD, no momentum, no weight decay. */
    public Sgd(List<ParamGroup> groups) { this(groups, 0, 0, false); }

    @Override public List<ParamGroup> groups() { return groups; }

    /** p's momentum buffer (a copy), or null when there is none yet (or no momentum). */
    public float[] buffer(Param p) {
        float[] b = buffers.get(p);
        return b == null ? null : b.clone();
    }

    /** Restores p's momentum buffer (from a checkpoint). */
    public void setBuffer(Param p, float[] buf) {
        if (buf.length != p.numel()) throw new IllegalArgumentException("SGD buffer for " + p.name + " has the wrong size");
        buffers.put(p, buf.clone());
    }

    @Override public void step(Gradients grads, double lr) {
        float negLr = (float) -lr, mu = (float) momentum, oneMinusDamp = (float) (1 - dampening);
        for (ParamGroup group : groups) {
            float wd = (float) group.weightDecay();
            for (Param p : group.params()) {
                float[] w = p.data, g = grads.of(p);
                float[] buf = null;
                boolean first = false;
                if (momentum != 0) {
                    buf = buffers.get(p);
                    if (buf == null) { buf = new float[w.length]; buffers.put(p, buf); first = true; }
                }
                for (int i = 0; i < w.length; i++) {
                    float d = g[i];
                    if (wd != 0) d = Math.fma(w[i], wd, d);
                    if (buf != null) {
                        buf[i] = first ? d : Math.fma(d, oneMinusDamp, buf[i] * mu);
                        d = nesterov ? Math.fma(buf[i], mu, d) : buf[i];
                    }
                    w[i] = Math.fma(d, negLr, w[i]);
                }
            }
        }
    }
}
