package io.clip4j.kernel;

import static io.clip4j.kernel.Vec.S;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;

/** Vectorised activations (float lanes) used by the element-wise ops and by the GEMM epilogue. */
final class VecMath {
    private VecMath() {}

    private static final float INV_SQRT2 = (float) (1.0 / Math.sqrt(2.0));
    private static final float TANH_K = (float) Math.sqrt(2.0 / Math.PI);

    private static FloatVector c(float v) { return FloatVector.broadcast(S, v); }

    // e^x, float. Not VectorOperators.EXP: the JIT-compiled vector exp (SVML on x86) and the Java fallback the same
    // code runs before compilation round differently in about 4% of the lanes, so results (and a training run's loss
    // curve) would depend on when the JIT kicked in. This one uses only lane-wise add/mul/fma/compare/blend and integer
    // bit operations, each exactly rounded in every tier, and {@link #exp(float)} is its scalar twin (the same
    // operations in the same order): the same bits in the interpreter, C1, C2, on vector lanes and on scalar tails.
    //
    //   n = round(x·log2 e) (the 1.5·2²³ trick, inside one fma), r = x − n·ln2 (Cody–Waite: n·LN2_HI is exact),
    //   e^r = 1 + r + r²·q(r) on |r| ≤ ln2/2, q of degree 4 fitted for minimal relative error (3.6e-9 with the
    //   float coefficients, 0.03 ulp), 2ⁿ applied as 2^(n − ⌊n/2⌋)·2^⌊n/2⌋ so that results down in the subnormal
    //   range round once and e^x up to FLT_MAX is reached without overflow.
    // Accuracy, measured over all 2.2·10⁹ floats in [−104, 89] against StrictMath.exp: 99.2% of the results are the
    // correctly rounded float, the others 1 ulp off (13 of them by up to 1.009 ulp); subnormal results round once; e^x
    // overflows to +∞ and underflows to 0 where the true value rounds to them; NaN stays NaN (payloads not kept).
    // ExpTest checks a dense sweep of that range and the special values.
    private static final float EXP_HI = 89f, EXP_LO = -104f;
    private static final float LOG2E = 1.44269504088896341f;
    private static final float ROUND_MAGIC = 0x1.8p23f;                      // 1.5·2²³: adding it rounds to an integer
    private static final int ROUND_MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);
    private static final float LN2_HI = 0.693145751953125f;                 // 16 significant bits: n·LN2_HI is exact
    private static final float LN2_LO = 1.42860682030941723212e-6f;         // ln 2 − LN2_HI
    private static final float Q0 = 0.4999999403953552f, Q1 = 0.1666652113199234f, Q2 = 0.04166838899254799f,
            Q3 = 0.00836874544620514f, Q4 = 0.0013814539415761828f;

    /** e^x on float lanes (see the notes above: within 1.01 ulp, bit-identical in every JIT tier and to {@link #exp(float)}). */
    static FloatVector exp(FloatVector x) {
        FloatVector t = x.fma(c(LOG2E), c(ROUND_MAGIC));                      // ROUND_MAGIC + n, rounded once
        // Fast path, when every lane has −86 ≤ x ≤ 88 (n in [−125, 127], a normal result): 2ⁿ is added to p's exponent
        // bits; the bits of t shifted by 23 are n·2²³ (ROUND_MAGIC's own bits shift out). Other lanes (NaN too) take
        // expSlow, which clamps x and scales in two steps; for in-range lanes both give the same bits.
        if (!x.compare(VectorOperators.GE, EXP_FAST_LO).and(x.compare(VectorOperators.LE, EXP_FAST_HI)).allTrue()) return expSlow(x);
        FloatVector p = expReduced(x, t.sub(ROUND_MAGIC));
        return p.reinterpretAsInts().add(t.reinterpretAsInts().lanewise(VectorOperators.LSHL, 23)).reinterpretAsFloats();
    }

    private static final float EXP_FAST_LO = -86f, EXP_FAST_HI = 88f;

    /** e^r for r = x − n·ln 2 (n a float holding an integer). */
    private static FloatVector expReduced(FloatVector x, FloatVector n) {
        FloatVector r = n.fma(c(-LN2_HI), x);                                 // exact
        r = n.fma(c(-LN2_LO), r);
        FloatVector q = r.fma(c(Q4), c(Q3));
        q = q.fma(r, c(Q2));
        q = q.fma(r, c(Q1));
        q = q.fma(r, c(Q0));
        return q.fma(r.mul(r), r).add(1f);
    }

    /** {@link #exp(FloatVector)} for any lanes: x clamped to [−104, 89], 2ⁿ applied as 2^(n − ⌊n/2⌋)·2^⌊n/2⌋. */
    private static FloatVector expSlow(FloatVector x) {
        FloatVector xc = x.blend(EXP_HI, x.compare(VectorOperators.GT, EXP_HI)).blend(EXP_LO, x.compare(VectorOperators.LT, EXP_LO));
        FloatVector t = xc.fma(c(LOG2E), c(ROUND_MAGIC));
        FloatVector p = expReduced(xc, t.sub(ROUND_MAGIC));
        IntVector ni = t.reinterpretAsInts().sub(ROUND_MAGIC_BITS);            // n as an int
        IntVector n1 = ni.lanewise(VectorOperators.ASHR, 1), n2 = ni.sub(n1);
        FloatVector s1 = n1.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        FloatVector s2 = n2.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return p.mul(s1).mul(s2);
    }

    /** Scalar twin of {@link #exp(FloatVector)}: the same operations, so the same bits as a vector lane. */
    static float exp(float x) {
        float xc = x > EXP_HI ? EXP_HI : x;
        xc = xc < EXP_LO ? EXP_LO : xc;
        float t = Math.fma(xc, LOG2E, ROUND_MAGIC);
        float n = t - ROUND_MAGIC;
        float r = Math.fma(n, -LN2_HI, xc);
        r = Math.fma(n, -LN2_LO, r);
        float q = Math.fma(r, Q4, Q3);
        q = Math.fma(q, r, Q2);
        q = Math.fma(q, r, Q1);
        q = Math.fma(q, r, Q0);
        float p = Math.fma(q, r * r, r) + 1f;
        int ni = Float.floatToRawIntBits(t) - ROUND_MAGIC_BITS;
        int n1 = ni >> 1, n2 = ni - n1;
        return p * Float.intBitsToFloat((n1 + 127) << 23) * Float.intBitsToFloat((n2 + 127) << 23);
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
        float t = 1f / Math.fma(u, 0.5f, 1f);
        float p = Math.fma(t, 0.17087277f, -0.82215223f);
        p = Math.fma(p, t, 1.48851587f);
        p = Math.fma(p, t, -1.13520398f);
        p = Math.fma(p, t, 0.27886807f);
        p = Math.fma(p, t, -0.18628806f);
        p = Math.fma(p, t, 0.09678418f);
        p = Math.fma(p, t, 0.37409196f);
        p = Math.fma(p, t, 1.00002368f);
        p = Math.fma(p, t, -1.26551223f);
        return t * exp(p - uuHi) * (1f - uuLo);
    }

    static float erfcNonNeg(float u) { float uu = u * u; return erfc(u, uu, Math.fma(u, u, -uu)); }

    static float quickGelu(float x) { return x / (exp(-1.702f * x) + 1f); }

    static float geluTanh(float x) {
        float y2 = x * Math.fma(x * x, 0.044715f * 2f * -TANH_K, 2f * -TANH_K);
        return x / (exp(y2) + 1f);
    }

    /** Scalar twin of {@link #gelu(FloatVector)} (the same operations: the same bits as a vector lane). */
    static float gelu(float x) {
        if (Float.isNaN(x)) return x;
        float xc = Math.min(Math.max(x, -14f), 14f);
        float hi = xc * xc, lo = Math.fma(xc, xc, -hi);
        float ec = erfc(Math.abs(xc) * INV_SQRT2, hi * 0.5f, lo * 0.5f);
        if (Math.abs(x) > 14f) ec = 0f;
        return x * 0.5f * (x < 0f ? ec : 2f - ec);
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
