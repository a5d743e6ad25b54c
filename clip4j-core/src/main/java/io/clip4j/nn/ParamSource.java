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

    /**
     * A weight matrix [shape[0], rest] that inference reads only through the GEMM or by rows ({@link Param#readRow}):
     * a source may hand it out without a float[] copy (a checkpoint maps it). By default the same as {@link #param}.
     */
    default Param matrix(String name, int... shape) {
        return param(name, shape);
    }
}
