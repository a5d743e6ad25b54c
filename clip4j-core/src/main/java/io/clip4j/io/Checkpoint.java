package io.clip4j.io;

import io.clip4j.Clip4jException;
import io.clip4j.model.ModelConfig;
import io.clip4j.kernel.WeightMatrix;
import io.clip4j.nn.Param;
import io.clip4j.nn.ParamSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * A model directory as Hugging Face or OpenCLIP publish it, read into clip4j's parameter names.
 *
 * <p>Parameters are asked for by their Hugging Face CLIP names, except that each block's q/k/v projections are
 * one fused tensor {@code self_attn.qkv_proj.{weight [3C,C], bias [3C]}} (rows q, k, v), which the kernels use.
 * Every request is checked against the expected shape; problems are collected and {@link #finish} reports them all
 * at once: missing tensors, shape mismatches, and tensors in the file that nothing used.
 */
public final class Checkpoint implements ParamSource, AutoCloseable {
    public enum Layout { HUGGING_FACE, OPEN_CLIP }

    private final Path dir;
    private final Layout layout;
    private final TensorSource source;
    private final ModelConfig config;
    private final Set<String> used = new HashSet<>();
    private final List<String> missing = new ArrayList<>();
    private final List<String> wrongShape = new ArrayList<>();

    private final boolean mapWeights;

    private Checkpoint(Path dir, Layout layout, TensorSource source, ModelConfig config, boolean mapWeights) {
        this.mapWeights = mapWeights;
        this.dir = dir;
        this.layout = layout;
        this.source = source;
        this.config = config;
    }

    /** Detects the layout of dir (HF: config.json + model.safetensors[.index.json]; OpenCLIP: open_clip_config.json + open_clip_model.safetensors). */
    public static Checkpoint open(Path dir) { return open(dir, false); }

    /**
     * As {@link #open(Path)}; with mapWeights, {@link #matrix} hands out weight matrices that read the mapped file in
     * place (valid after close()) instead of float[] copies.
     */
    public static Checkpoint open(Path dir, boolean mapWeights) {
        if (!Files.isDirectory(dir)) throw new Clip4jException("model directory not found: " + dir);
        if (Files.isRegularFile(dir.resolve("config.json"))) {
            ModelConfig config = ModelConfig.fromHfConfig(dir.resolve("config.json"));
            Path single = dir.resolve("model.safetensors"), index = dir.resolve("model.safetensors.index.json");
            TensorSource src;
            if (Files.isRegularFile(single)) src = SafeTensors.open(single, mapWeights);
            else if (Files.isRegularFile(index)) src = ShardedSafeTensors.open(index, mapWeights);
            else if (Files.isRegularFile(dir.resolve("pytorch_model.bin")))
                throw new Clip4jException(dir + " holds only pytorch_model.bin (a pickle); clip4j reads model.safetensors — convert it or download the safetensors file");
            else throw new Clip4jException("missing model.safetensors in " + dir);
            return new Checkpoint(dir, Layout.HUGGING_FACE, src, config, mapWeights);
        }
        if (Files.isRegularFile(dir.resolve("open_clip_config.json"))) {
            ModelConfig config = ModelConfig.fromOpenClipConfig(dir.resolve("open_clip_config.json"));
            Path weights = dir.resolve("open_clip_model.safetensors");
            if (!Files.isRegularFile(weights)) throw new Clip4jException("missing open_clip_model.safetensors in " + dir);
            return new Checkpoint(dir, Layout.OPEN_CLIP, SafeTensors.open(weights, mapWeights), config, mapWeights);
        }
        throw new Clip4jException(dir + " is not a model directory: expected config.json (Hugging Face) or open_clip_config.json (OpenCLIP)");
    }

    public ModelConfig config() { return config; }
    public Layout layout() { return layout; }
    public Path dir() { return dir; }
    public TensorSource source() { return source; }

    @Override public float[] take(String name, int... shape) {
        int n = 1;
        for (int d : shape) n *= d;
        float[] out = new float[n];
        try {
            if (name.contains(".self_attn.qkv_proj.")) readQkv(name, out, shape);
            else readMapped(name, out, shape);
        } catch (MissingTensor e) {
            missing.add(e.getMessage());
        } catch (WrongShape e) {
            wrongShape.add(e.getMessage());
        }
        return out;
    }

    /**
     * A weight matrix read in place from the mapped file when the checkpoint was opened with mapWeights and the stored
     * tensor(s) are its rows as they are (F32, F16 or BF16; Hugging Face's q, k and v are the three parts of the fused
     * qkv); otherwise (a transposed OpenCLIP projection, another dtype, any problem) a float[] copy through
     * {@link #take}, which also records missing or misshapen tensors.
     */
    @Override public Param matrix(String name, int... shape) {
        if (!mapWeights || shape.length < 2) return param(name, shape);
        List<String> sources;
        if (layout == Layout.HUGGING_FACE && name.contains(".self_attn.qkv_proj.")) {
            sources = List.of(name.replace("qkv_proj", "q_proj"), name.replace("qkv_proj", "k_proj"), name.replace("qkv_proj", "v_proj"));
        } else if (layout == Layout.HUGGING_FACE) {
            sources = List.of(name);
        } else if (name.equals("text_projection.weight") || name.equals("visual_projection.weight")) {
            return param(name, shape); // stored transposed
        } else {
            sources = List.of(openClipName(name));
        }
        int rows = shape[0] / sources.size();
        if (rows * sources.size() != shape[0]) return param(name, shape);
        long cols = 1;
        for (int i = 1; i < shape.length; i++) cols *= shape[i];
        if (cols > Integer.MAX_VALUE) return param(name, shape);
        java.lang.foreign.MemorySegment[] parts = new java.lang.foreign.MemorySegment[sources.size()];
        WeightMatrix.Format format = null;
        for (int i = 0; i < parts.length; i++) {
            String src = sources.get(i);
            if (!source.has(src)) return param(name, shape);
            TensorInfo info = source.info(src);
            long[] expect = new long[shape.length];
            expect[0] = rows;
            for (int d = 1; d < shape.length; d++) expect[d] = shape[d];
            if (!Arrays.equals(info.shape(), expect)) return param(name, shape);
            WeightMatrix.Format f = switch (info.dtype()) {
                case F32 -> WeightMatrix.Format.F32;
                case F16 -> WeightMatrix.Format.F16;
                case BF16 -> WeightMatrix.Format.BF16;
                default -> null;
            };
            if (f == null || (format != null && f != format)) return param(name, shape);
            format = f;
            parts[i] = source.mapped(src);
            if (parts[i] == null) return param(name, shape);
        }
        used.addAll(sources);
        return new Param(name, WeightMatrix.of(format, (int) cols, parts), shape);
    }

    private static final class MissingTensor extends Exception { MissingTensor(String m) { super(m, null, false, false); } }
    private static final class WrongShape extends Exception { WrongShape(String m) { super(m, null, false, false); } }

    /** Fused q/k/v: HF stores three [C,C] (+[C]) tensors; OpenCLIP one in_proj [3C,C] (+[3C]) with rows q, k, v. */
    private void readQkv(String name, float[] out, int[] shape) throws MissingTensor, WrongShape {
        if (layout == Layout.OPEN_CLIP) {
            readMapped(name, out, shape);
            return;
        }
        boolean weight = name.endsWith(".weight");
        int part = out.length / 3;
        String[] qkv = {"q_proj", "k_proj", "v_proj"};
        for (int i = 0; i < 3; i++) {
            String src = name.replace("qkv_proj", qkv[i]);
            int[] partShape = weight ? new int[]{shape[0] / 3, shape[1]} : new int[]{shape[0] / 3};
            read(src, out, i * part, partShape, false);
        }
    }

    private void readMapped(String name, float[] out, int[] shape) throws MissingTensor, WrongShape {
        if (layout == Layout.HUGGING_FACE) {
            read(name, out, 0, shape, false);
            return;
        }
        // OpenCLIP stores the two projections as [in, out] and applies them as x @ proj; we keep [out, in]: transpose.
        if (name.equals("text_projection.weight")) read("text_projection", out, 0, shape, true);
        else if (name.equals("visual_projection.weight")) read("visual.proj", out, 0, shape, true);
        else read(openClipName(name), out, 0, shape, false);
    }

    /** Hugging Face name → OpenCLIP state_dict name (same values, same layout). */
    static String openClipName(String hf) {
        String s = hf;
        if (s.startsWith("text_model.")) {
            s = s.substring("text_model.".length());
            s = s.replace("embeddings.token_embedding.weight", "token_embedding.weight")
                 .replace("embeddings.position_embedding.weight", "positional_embedding")
                 .replace("final_layer_norm.", "ln_final.");
        } else if (s.startsWith("vision_model.")) {
            s = "visual." + s.substring("vision_model.".length());
            s = s.replace("embeddings.class_embedding", "class_embedding")
                 .replace("embeddings.patch_embedding.weight", "conv1.weight")
                 .replace("embeddings.position_embedding.weight", "positional_embedding")
                 .replace("pre_layrnorm.", "ln_pre.")
                 .replace("post_layernorm.", "ln_post.");
        }
        return s.replace("encoder.layers.", "transformer.resblocks.")
                .replace(".layer_norm1.", ".ln_1.").replace(".layer_norm2.", ".ln_2.")
                .replace(".self_attn.qkv_proj.weight", ".attn.in_proj_weight").replace(".self_attn.qkv_proj.bias", ".attn.in_proj_bias")
                .replace(".self_attn.out_proj.", ".attn.out_proj.")
                .replace(".mlp.fc1.", ".mlp.c_fc.").replace(".mlp.fc2.", ".mlp.c_proj.");
    }

    /** Reads tensor src (expected shape, or its transpose when transpose) into out[offset..]. */
    private void read(String src, float[] out, int offset, int[] shape, boolean transpose) throws MissingTensor, WrongShape {
        if (!source.has(src)) throw new MissingTensor(src);
        used.add(src);
        TensorInfo info = source.info(src);
        long[] expect = new long[shape.length];
        for (int i = 0; i < shape.length; i++) expect[i] = shape[transpose ? shape.length - 1 - i : i];
        if (!Arrays.equals(info.shape(), expect)) {
            throw new WrongShape(src + " is " + info.shapeString() + ", expected " + Arrays.toString(expect));
        }
        if (!info.dtype().isFloat()) throw new WrongShape(src + " has dtype " + info.dtype() + ", expected a float type");
        if (!transpose) {
            source.readFloats(src, out, offset);
        } else {
            float[] v = source.floats(src);
            int rows = (int) expect[0], cols = (int) expect[1]; // v[rows, cols] → out[cols, rows]
            for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) out[offset + c * rows + r] = v[r * cols + c];
        }
    }

    /** Throws one error listing every problem seen; tensors nobody read (besides position_ids) count as problems. */
    public void finish() {
        Set<String> unused = new TreeSet<>();
        for (String n : source.names()) if (!used.contains(n) && !n.endsWith("position_ids")) unused.add(n);
        if (missing.isEmpty() && wrongShape.isEmpty() && unused.isEmpty()) return;
        StringBuilder sb = new StringBuilder("checkpoint " + dir + " does not match its config");
        if (!missing.isEmpty()) sb.append("; missing tensors: ").append(String.join(", ", missing));
        if (!wrongShape.isEmpty()) sb.append("; wrong shapes: ").append(String.join(", ", wrongShape));
        if (!unused.isEmpty()) sb.append("; unexpected tensors: ").append(String.join(", ", unused));
        throw new Clip4jException(sb.toString());
    }

    /** logit_scale when the file has one, else the config's initial value. */
    public float logitScale() {
        if (!source.has("logit_scale")) return config.logitScaleInit();
        used.add("logit_scale");
        return source.floats("logit_scale")[0];
    }

    /** logit_bias (SigLIP) when the file has one, else 0. */
    public float logitBias() {
        if (!source.has("logit_bias")) return 0f;
        used.add("logit_bias");
        return source.floats("logit_bias")[0];
    }

    @Override public void close() { source.close(); }
}
