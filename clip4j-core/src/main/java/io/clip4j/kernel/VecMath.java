package io.clip4j.kernel;

import static io.clip4j.kernel.Vec.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/** Vectorised activations (float lanes) used by the element-wise ops and by the GEMM epilogue. */
final class VecMath {
    private VecMath() {}

    private static final float INV_SQRT2 = (float) (1.0 / Math.sqrt(2.0));
    private static final float TANH_K = (float) Math.sqrt(2.0 / Math.PI);

    private static FloatVector c(float v) { return FloatVector.broadcast(S, v); }

    /** e^x on float lanes: the platform's vector exp (SVML on x86; measured faster than a Cephes-style polynomial here). */
    static FloatVector exp(FloatVector x) {
        return x.lanewise(VectorOperators.EXP);
    }

    static FloatVector apply(Activation act, FloatVector v) {
        return switch (act) {
            case NONE -> v;
            case QUICK_GELU -> quickGelu(v);
            case GELU -> gelu(v);
            case GELU_TANH -> geluTanh(v);
        };
    }

    /** x / (1 + exp(-1.702 x)). */
    static FloatVector quickGelu(FloatVector x) {
        FloatVector e = exp(x.mul(-1.702f));
        return x.div(e.add(1f));
    }

    /** 0.5x(1+tanh(y)) = x · sigmoid(2y) = x / (1 + exp(-2y)), y = √(2/π)(x + 0.044715x³). */
    static FloatVector geluTanh(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector y2 = x.mul(x2.fma(FloatVector.broadcast(S, 0.044715f * 2f * -TANH_K), FloatVector.broadcast(S, 2f * -TANH_K)));
        return x.div(exp(y2).add(1f));
    }

    /**
     * Exact GELU through erfc: 0.5x(1+erf(x/√2)) = 0.5x·(2 − erfc(u)) for x ≥ 0 and 0.5x·erfc(u) for x < 0, u = |x|/√2.
     * erfc uses the Chebyshev-fitted form erfc(u) = t·exp(−u² + P(t)), t = 1/(1+u/2) (fractional error < 1.2e-7 for all u ≥ 0,
     * Numerical Recipes' erfcc), with u² split exactly (fma) so the exponent keeps its precision for large u.
     */
    static FloatVector gelu(FloatVector x) {
        FloatVector xc = x.max(-14f).min(14f);                   // |x|/√2 ≤ 9.9: erfc there is below float's range anyway
        FloatVector u = xc.abs().mul(INV_SQRT2);
        FloatVector hi = xc.mul(xc);
        FloatVector lo = xc.fma(xc, hi.neg());                   // x² = hi + lo exactly, so u² = hi/2 + lo/2 exactly
        FloatVector ec = erfc(u, hi.mul(0.5f), lo.mul(0.5f));
        ec = ec.blend(0f, x.abs().compare(VectorOperators.GT, 14f));
        VectorMask<Float> neg = x.compare(VectorOperators.LT, 0f);
        FloatVector f = ec.neg().add(2f).blend(ec, neg);
        return x.mul(0.5f).mul(f);
    }

    /** erfc(u) for u ≥ 0 given u² = uuHi + uuLo (relative error ~2e-7 in float). */
    static FloatVector erfc(FloatVector u, FloatVector uuHi, FloatVector uuLo) {
        FloatVector one = FloatVector.broadcast(S, 1f);
        FloatVector t = one.div(u.fma(FloatVector.broadcast(S, 0.5f), one));
        FloatVector p = t.fma(FloatVector.broadcast(S, 0.17087277f), FloatVector.broadcast(S, -0.82215223f));
        p = p.fma(t, c(1.48851587f));
        p = p.fma(t, c(-1.13520398f));
        p = p.fma(t, c(0.27886807f));
        p = p.fma(t, c(-0.18628806f));
        p = p.fma(t, c(0.09678418f));
        p = p.fma(t, c(0.37409196f));
        p = p.fma(t, c(1.00002368f));
        p = p.fma(t, c(-1.26551223f));
        FloatVector e = exp(p.sub(uuHi));
        return t.mul(e).mul(one.sub(uuLo));                      // exp(−lo) ≈ 1 − lo, |lo| ≤ ulp(u²)
    }

    /** erfc(u) for u ≥ 0 (u² rounded once; see {@link #erfc(FloatVector, FloatVector, FloatVector)}). */
    static FloatVector erfcNonNeg(FloatVector u) {
        FloatVector uu = u.mul(u);
        return erfc(u, uu, u.fma(u, uu.neg()));
    }

    /** Scalar twin of {@link #erfc(FloatVector, FloatVector, FloatVector)} (same formula, for tails). */
    static float erfc(float u, float uuHi, float uuLo) {
        float t = 1f / (1f + 0.5f * u);
        float p = Math.fma(t, 0.17087277f, -0.82215223f);
        p = Math.fma(p, t, 1.48851587f);
        p = Math.fma(p, t, -1.13520398f);
        p = Math.fma(p, t, 0.27886807f);
        p = Math.fma(p, t, -0.18628806f);
        p = Math.fma(p, t, 0.09678418f);
        p = Math.fma(p, t, 0.37409196f);
        p = Math.fma(p, t, 1.00002368f);
        p = Math.fma(p, t, -1.26551223f);
        return t * (float) Math.exp(p - uuHi) * (1f - uuLo);
    }

    static float erfcNonNeg(float u) { float uu = u * u; return erfc(u, uu, Math.fma(u, u, -uu)); }

    static float quickGelu(float x) { return x / (1f + (float) Math.exp(-1.702f * x)); }

    static float geluTanh(float x) {
        float y2 = x * Math.fma(x * x, 0.044715f * 2f * -TANH_K, 2f * -TANH_K);
        return x / ((float) Math.exp(y2) + 1f);
    }

    static float gelu(float x) {
        if (Float.isNaN(x)) return x;
        float ax = Math.abs(x);
        if (ax > 14f) return x < 0 ? -0f * x : x;
        float hi = x * x, lo = Math.fma(x, x, -hi);
        float ec = erfc(ax * INV_SQRT2, 0.5f * hi, 0.5f * lo);
        return 0.5f * x * (x < 0 ? ec : 2f - ec);
    }

    /** Fast scalar activation with the same formula as the vector one (used on tails). */
    static float apply(Activation act, float x) {
        return switch (act) {
            case NONE -> x;
            case QUICK_GELU -> quickGelu(x);
            case GELU -> gelu(x);
            case GELU_TANH -> geluTanh(x);
        };
    }
}
