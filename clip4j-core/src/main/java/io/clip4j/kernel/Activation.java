package io.clip4j.kernel;

/** Element-wise activation that {@link Ops#matmul(float[], float[], float[], float[], int, int, int, Activation)} can fuse into its epilogue. */
public enum Activation {
    /** Identity. */
    NONE,
    /** x · sigmoid(1.702 x) (OpenAI CLIP). */
    QUICK_GELU,
    /** 0.5 x (1 + erf(x/√2)) (exact GELU). */
    GELU,
    /** 0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³))) (GELU, tanh approximation; SigLIP). */
    GELU_TANH;

    /** Reference (scalar, double-precision where it matters) value of this activation. */
    public float apply(float x) {
        return switch (this) {
            case NONE -> x;
            case QUICK_GELU -> ScalarOps.quickGelu(x);
            case GELU -> ScalarOps.gelu(x);
            case GELU_TANH -> ScalarOps.geluTanh(x);
        };
    }
}
