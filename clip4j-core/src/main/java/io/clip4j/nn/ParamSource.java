package io.clip4j.nn;

/**
 * Supplies parameter values by name (Hugging Face CLIP names, with q/k/v fused as
 * {@code self_attn.qkv_proj.{weight,bias}} [3C,C] / [3C]) and expected shape: a checkpoint, or an initialiser.
 */
public interface ParamSource {
    float[] take(String name, int... shape);

    default Param param(String name, int... shape) {
        return new Param(name, take(name, shape), shape);
    }
}
