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
        FloatVector e = x.mul(-1.702f).lanewise(VectorOperators.EXP);
        return x.div(e.add(1f));
    }

    /** 0.5x(1+tanh(y)) = x · sigmoid(2y) = x / (1 + exp(-2y)), y = √(2/π)(x + 0.044715x³). */
    static FloatVector geluTanh(FloatVector x) {
        FloatVector x2 = x.mul(x);
        FloatVector y2 = x.mul(x2.fma(FloatVector.broadcast(S, 0.044715f * 2f * -TANH_K), FloatVector.broadcast(S, 2f * -TANH_K)));
        return x.div(y2.lanewise(VectorOperators.EXP).add(1f));
    }

    /**
     * Exact GELU through erfc: 0.5x(1+erf(x/√2)) = 0.5x·(2 − erfc(u)) for x ≥ 0 and 0.5x·erfc(u) for x < 0, u = |x|/√2.
     * erfc uses the Chebyshev-fitted form erfc(u) = t·exp(−u² + P(t)), t = 1/(1+u/2) (fractional error < 1.2e-7 for all u ≥ 0,
     * Numerical Recipes' erfcc), with u² split exactly (fma) so the exponent keeps its precision for large u.
     */
    static FloatVector gelu(FloatVector x) {
        FloatVector u = x.abs().mul(INV_SQRT2);
        FloatVector ec = erfcNonNeg(u);
        VectorMask<Float> neg = x.compare(VectorOperators.LT, 0f);
        FloatVector f = ec.neg().add(2f).blend(ec, neg);
        return x.mul(0.5f).mul(f);
    }

    /** erfc(u) for u ≥ 0 (relative error ~2e-7 in float). */
    static FloatVector erfcNonNeg(FloatVector u) {
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
        FloatVector uu = u.mul(u);
        FloatVector lo = u.fma(u, uu.neg());            // u² − fl(u²), exactly
        FloatVector e = p.sub(uu).lanewise(VectorOperators.EXP);
        return t.mul(e).mul(one.sub(lo));                // exp(−lo) ≈ 1 − lo, |lo| ≤ ulp(u²)/2
    }

    /** Scalar twin of {@link #erfcNonNeg} (same formula, for tails). */
    static float erfcNonNeg(float u) {
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
        float uu = u * u;
        float lo = Math.fma(u, u, -uu);
        return t * (float) Math.exp(p - uu) * (1f - lo);
    }

    static float quickGelu(float x) { return x / (1f + (float) Math.exp(-1.702f * x)); }

    static float geluTanh(float x) {
        float y2 = x * Math.fma(x * x, 0.044715f * 2f * -TANH_K, 2f * -TANH_K);
        return x / ((float) Math.exp(y2) + 1f);
    }

    static float gelu(float x) {
        float ec = erfcNonNeg(Math.abs(x) * INV_SQRT2);
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
