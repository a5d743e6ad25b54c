package io.clip4j.model;

import io.clip4j.Clip4jException;

/** MLP activations, by their Hugging Face {@code hidden_act} names. */
public enum Activation {
    /** x·sigmoid(1.702x) — OpenAI CLIP. */
    QUICK_GELU("quick_gelu"),
    /** exact GELU with erf. */
    GELU("gelu"),
    /** GELU, tanh approximation — SigLIP. */
    GELU_TANH("gelu_pytorch_tanh");

    public final String hfName;

    Activation(String hfName) { this.hfName = hfName; }

    /** The kernel's activation, for fusing into a matmul epilogue. */
    public io.clip4j.kernel.Activation kernel() {
        return switch (this) {
            case QUICK_GELU -> io.clip4j.kernel.Activation.QUICK_GELU;
            case GELU -> io.clip4j.kernel.Activation.GELU;
            case GELU_TANH -> io.clip4j.kernel.Activation.GELU_TANH;
        };
    }

    public static Activation fromHf(String name, String where) {
        switch (name) {
            case "quick_gelu": return QUICK_GELU;
            case "gelu": return GELU;
            case "gelu_pytorch_tanh": case "gelu_new": case "gelu_fast": return GELU_TANH;
            default: throw new Clip4jException(where + ": unsupported hidden_act \"" + name + "\" (supported: quick_gelu, gelu, gelu_pytorch_tanh)");
        }
    }
}
