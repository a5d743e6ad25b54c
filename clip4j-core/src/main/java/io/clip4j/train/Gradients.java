package io.clip4j.train;

import io.clip4j.nn.Param;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One gradient array per parameter, same length and layout as {@link Param#data} (fused qkv rows q, k, v;
 * Linear weights [out, in]). Keyed by the Param object itself (identity), in a stable order.
 */
public final class Gradients {
    private final List<Param> params;
    private final Map<Param, float[]> grads = new IdentityHashMap<>();

    public Gradients(List<Param> params) {
        this.params = Collections.unmodifiableList(new ArrayList<>(params));
        for (Param p : params) {
            if (grads.put(p, new float[p.numel()]) != null) throw new IllegalArgumentException("parameter listed twice: " + p.name);
        }
    }

    /** The parameters, in order. */
    public List<Param> params() { return params; }

    /** d loss / d p, same layout as p.data. */
    public float[] of(Param p) {
        float[] g = grads.get(p);
        if (g == null) throw new IllegalArgumentException("no gradient for parameter " + p.name);
        return g;
    }

    /** Sets every gradient to 0 (PyTorch's zero_grad). */
    public void zero() {
        for (float[] g : grads.values()) Arrays.fill(g, 0f);
    }

    /** ‖g‖₂ over all parameters together, accumulated in double. */
    public double globalNorm() {
        double s = 0;
        for (Param p : params) for (float v : grads.get(p)) s += (double) v * v;
        return Math.sqrt(s);
    }

    /** g ← g · factor for every gradient. */
    public void scale(float factor) {
        for (float[] g : grads.values()) for (int i = 0; i < g.length; i++) g[i] *= factor;
    }

    /**
     * Gradient-norm clipping as torch.nn.utils.clip_grad_norm_(params, maxNorm): with n = ‖g‖₂ over all parameters,
     * every gradient is multiplied by min(1, maxNorm / (n + 1e-6)). Returns n (before clipping).
     */
    public double clipGlobalNorm(double maxNorm) {
        double n = globalNorm();
        double coef = maxNorm / (n + 1e-6);
        if (coef < 1.0) scale((float) coef);
        return n;
    }
}
