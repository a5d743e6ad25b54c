package io.clip4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;
import io.clip4j.image.ImagePreprocessor;
import io.clip4j.image.PreprocessConfig;
import io.clip4j.io.Checkpoint;
import io.clip4j.nn.Param;
import io.clip4j.nn.ParamSource;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;
import io.clip4j.text.ClipBpeTokenizer;
import io.clip4j.text.Tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;

/**
 * A CLIP model: image tower, text tower, and the learned temperature. Thread-safe: concurrent callers each borrow
 * their own activation workspace from a pool, so buffers are reused across calls without being shared.
 */
public final class ClipModel implements AutoCloseable {
    private final ModelConfig config;
    private final VisionTower vision;
    private final TextTower text;
    private final float logitScale;
    private final ConcurrentLinkedDeque<Workspace> workspaces = new ConcurrentLinkedDeque<>();
    private final Path dir;
    private final Path tokenizerDir;
    private final ImagePreprocessor preprocessor;
    private volatile Tokenizer tokenizer;

    /** Images per forward pass when embedding lists of inputs. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    public ClipModel(ModelConfig config, ParamSource src, float logitScale) {
        this(config, src, logitScale, null, null, ImagePreprocessor.clip(config.vision().imageSize()));
    }

    private ClipModel(ModelConfig config, ParamSource src, float logitScale, Path dir, Path tokenizerDir, ImagePreprocessor preprocessor) {
        this.config = config;
        this.vision = new VisionTower(src, config.vision(), config.projectionDim());
        this.text = new TextTower(src, config.text(), config.projectionDim());
        this.logitScale = logitScale;
        this.dir = dir;
        this.tokenizerDir = tokenizerDir;
        this.preprocessor = preprocessor;
    }

    /**
     * Loading options.
     * @param tokenizerDir where vocab.json / merges.txt are, when not in the model directory (OpenCLIP directories
     *                     ship none); null = the model directory
     * @param preprocess   overrides the directory's preprocessing; null = from preprocessor_config.json, or
     *                     open_clip_config.json's preprocess_cfg, or CLIP's defaults at the model's image size
     */
    public record Options(Path tokenizerDir, PreprocessConfig preprocess) {
        public static Options defaults() { return new Options(null, null); }
        public Options withTokenizerDir(Path d) { return new Options(d, preprocess); }
        public Options withPreprocess(PreprocessConfig p) { return new Options(tokenizerDir, p); }
    }

    /** Loads a Hugging Face or OpenCLIP model directory: weights, image preprocessing and (on first use) the tokenizer. */
    public static ClipModel load(Path dir) { return load(dir, Options.defaults()); }

    public static ClipModel load(Path dir, Options options) {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            PreprocessConfig pre = options.preprocess() != null ? options.preprocess() : preprocessConfig(dir, ckpt.config());
            ClipModel m = new ClipModel(ckpt.config(), ckpt, ckpt.logitScale(), dir,
                    options.tokenizerDir() != null ? options.tokenizerDir() : dir, ImagePreprocessor.fromConfig(pre));
            ckpt.finish();
            return m;
        }
    }

    /** Loads only the weights (preprocessing: CLIP defaults; tokenizer from the same directory). */
    public static ClipModel loadWeights(Path dir) {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            ClipModel m = new ClipModel(ckpt.config(), ckpt, ckpt.logitScale(), dir, dir, ImagePreprocessor.clip(ckpt.config().vision().imageSize()));
            ckpt.finish();
            return m;
        }
    }

    private static PreprocessConfig preprocessConfig(Path dir, ModelConfig config) {
        Path hf = dir.resolve("preprocessor_config.json");
        if (Files.isRegularFile(hf)) return PreprocessConfig.fromHfFile(hf);
        Path oc = dir.resolve("open_clip_config.json");
        if (Files.isRegularFile(oc)) {
            try {
                return PreprocessConfig.fromOpenClipJson(new ObjectMapper().readTree(oc.toFile()));
            } catch (IOException | IllegalArgumentException e) {
                throw new Clip4jException("invalid preprocessing in " + oc + ": " + e.getMessage(), e);
            }
        }
        return PreprocessConfig.clip(config.vision().imageSize());
    }

    /** The model directory this was loaded from (null for a model built in memory). */
    public Path dir() { return dir; }

    public ImagePreprocessor preprocessor() { return preprocessor; }

    /** The tokenizer, loaded on first use from the tokenizer directory. */
    public Tokenizer tokenizer() {
        Tokenizer t = tokenizer;
        if (t != null) return t;
        synchronized (this) {
            if (tokenizer == null) {
                if (tokenizerDir == null) throw new Clip4jException("this model has no tokenizer files (vocab.json, merges.txt)");
                try {
                    tokenizer = ClipBpeTokenizer.load(tokenizerDir);
                } catch (IOException e) {
                    throw new Clip4jException(e.getMessage() + (Files.isRegularFile(tokenizerDir.resolve("open_clip_config.json"))
                            ? " (OpenCLIP directories ship no tokenizer: point at one with vocab.json and merges.txt)" : ""), e);
                }
            }
            return tokenizer;
        }
    }

    /** Token rows for texts, at the model's context length. */
    public int[][] tokenize(List<String> texts) {
        return tokenizer().tokenize(texts, config.text().maxPositions(), true);
    }

    /** L2-normalised image embeddings [n][E], in batches of {@link #DEFAULT_BATCH_SIZE}. */
    public float[][] embedImages(List<Path> files) { return Vectors.normalizeRows(imageFeatures(files, DEFAULT_BATCH_SIZE)); }

    /** L2-normalised text embeddings [n][E]. */
    public float[][] embedTexts(List<String> texts) { return Vectors.normalizeRows(textFeatures(texts, DEFAULT_BATCH_SIZE)); }

    public float[] embedImage(Path file) { return embedImages(List.of(file))[0]; }

    public float[] embedText(String text) { return embedTexts(List.of(text))[0]; }

    /** Unnormalised image features; images are decoded and preprocessed in parallel, then encoded batchSize at a time. */
    public float[][] imageFeatures(List<Path> files, int batchSize) {
        int per = 3 * config.vision().imageSize() * config.vision().imageSize();
        float[][] out = new float[files.size()][];
        for (int start = 0; start < files.size(); start += batchSize) {
            int B = Math.min(batchSize, files.size() - start);
            float[] pixels = new float[B * per];
            int s0 = start;
            java.util.stream.IntStream.range(0, B).parallel().forEach(i -> preprocessInto(files.get(s0 + i), pixels, i * per));
            float[][] f = encodePixels(pixels, B);
            System.arraycopy(f, 0, out, start, B);
        }
        return out;
    }

    /** Preprocesses one image file into dst[offset .. offset + 3·S·S). */
    public void preprocessInto(Path file, float[] dst, int offset) {
        float[] px = preprocessor.apply(file);
        int per = 3 * config.vision().imageSize() * config.vision().imageSize();
        if (px.length != per) throw new Clip4jException("preprocessing " + file + " gave " + px.length + " values, the model takes " + per
                + " (check preprocessor_config.json's crop size against the model's image_size)");
        System.arraycopy(px, 0, dst, offset, per);
    }

    /**
     * Unnormalised text features, batchSize texts per forward pass. Texts are grouped by token length first, so that
     * each batch runs only as many positions as its longest caption needs (see {@link TextTower}).
     */
    public float[][] textFeatures(List<String> texts, int batchSize) {
        int[][] ids = tokenize(texts);
        int L = config.text().maxPositions();
        Integer[] order = new Integer[ids.length];
        int[] len = new int[ids.length];
        for (int i = 0; i < ids.length; i++) { order[i] = i; len[i] = text.poolIndex(ids[i], 0, L); }
        java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> len[i]));
        float[][] out = new float[texts.size()][];
        for (int start = 0; start < ids.length; start += batchSize) {
            int B = Math.min(batchSize, ids.length - start);
            int[][] batch = new int[B][];
            for (int i = 0; i < B; i++) batch[i] = ids[order[start + i]];
            float[][] f = encodeTokens(batch);
            for (int i = 0; i < B; i++) out[order[start + i]] = f[i];
        }
        return out;
    }

    public ModelConfig config() { return config; }
    public VisionTower vision() { return vision; }
    public TextTower text() { return text; }
    /** ln of the temperature; logits use its exp. */
    public float logitScale() { return logitScale; }
    public int embedDim() { return config.projectionDim(); }

    /** All parameters in a stable order (vision, then text; logit_scale is separate). */
    public List<Param> params() {
        List<Param> out = new ArrayList<>(vision.params());
        out.addAll(text.params());
        return out;
    }

    private Workspace borrow() {
        Workspace w = workspaces.pollFirst();
        return w != null ? w : new Workspace();
    }

    private void giveBack(Workspace w) { workspaces.offerFirst(w); }

    /** Unnormalised image features [B][E] for pixels[B,3,S,S] (CHW, already normalised). */
    public float[][] encodePixels(float[] pixels, int B) { return encodePixels(pixels, B, null); }

    public float[][] encodePixels(float[] pixels, int B, Trace trace) {
        int S = config.vision().imageSize();
        if (pixels.length < (long) B * 3 * S * S) throw new IllegalArgumentException("pixels hold " + pixels.length + " values, " + B + " images of " + S + "² need " + (long) B * 3 * S * S);
        int E = embedDim();
        float[] out = new float[B * E];
        Workspace ws = borrow();
        try {
            vision.forward(out, pixels, B, ws, trace);
        } finally {
            giveBack(ws);
        }
        return rows(out, B, E);
    }

    /** Unnormalised text features [B][E] for token ids (each row of the model's context length or shorter, all rows equal length). */
    public float[][] encodeTokens(int[][] ids) { return encodeTokens(ids, null); }

    public float[][] encodeTokens(int[][] ids, Trace trace) {
        int B = ids.length;
        if (B == 0) return new float[0][];
        int L = ids[0].length;
        int[] flat = new int[B * L];
        for (int b = 0; b < B; b++) {
            if (ids[b].length != L) throw new IllegalArgumentException("token rows differ in length: " + ids[b].length + " vs " + L);
            System.arraycopy(ids[b], 0, flat, b * L, L);
        }
        int E = embedDim();
        float[] out = new float[B * E];
        Workspace ws = borrow();
        try {
            text.forward(out, flat, B, L, ws, trace);
        } finally {
            giveBack(ws);
        }
        return rows(out, B, E);
    }

    /** logits[i][j] = exp(logit_scale) · cos(image_i, text_j). */
    public float[][] logits(float[][] imageFeatures, float[][] textFeatures) {
        float scale = (float) Math.exp(logitScale);
        float[][] img = Vectors.normalizeRows(imageFeatures), txt = Vectors.normalizeRows(textFeatures);
        float[][] out = new float[img.length][txt.length];
        for (int i = 0; i < img.length; i++) for (int j = 0; j < txt.length; j++) out[i][j] = scale * Vectors.dot(img[i], txt[j]);
        return out;
    }

    private static float[][] rows(float[] flat, int B, int E) {
        float[][] r = new float[B][E];
        for (int b = 0; b < B; b++) System.arraycopy(flat, b * E, r[b], 0, E);
        return r;
    }

    @Override public void close() { workspaces.clear(); }

    static Clip4jException error(String m) { return new Clip4jException(m); }
}
