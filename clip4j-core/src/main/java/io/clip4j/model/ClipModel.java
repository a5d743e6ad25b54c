package io.clip4j.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.Clip4jException;
import io.clip4j.image.ImageDecoder;
import io.clip4j.image.ImagePreprocessor;
import io.clip4j.image.PilImage;
import io.clip4j.image.NaFlexPreprocessor;
import io.clip4j.image.PreprocessConfig;
import io.clip4j.io.Checkpoint;
import io.clip4j.nn.Param;
import io.clip4j.nn.ParamSource;
import io.clip4j.nn.Trace;
import io.clip4j.nn.Workspace;
import io.clip4j.text.Tokenizer;
import io.clip4j.text.Tokenizers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.stream.IntStream;

/**
 * A CLIP-family model: image encoder, text encoder, temperature (and SigLIP's bias), with the preprocessing and the
 * tokenizer its directory prescribes. The same API serves CLIP, SigLIP and SigLIP 2: swapping the model directory is
 * the only change a caller makes.
 *
 * <p>Thread-safe: concurrent callers share the weights and each borrow their own activation workspace from a pool,
 * so buffers are reused across calls without being shared.
 */
public final class ClipModel implements AutoCloseable {
    private final ModelConfig config;
    private final ImageEncoder vision;
    private final TextEncoder text;
    private final float logitScale, logitBias;
    private final ConcurrentLinkedDeque<Workspace> workspaces = new ConcurrentLinkedDeque<>();
    private final Path dir;
    private final Path tokenizerDir;
    private final ImagePreprocessor preprocessor;
    /** The preprocessor's [channel][8-bit value] → normalised float table (null for NaFlex). */
    private final float[][] pixelTable;
    private final NaFlexPreprocessor naflex;
    private volatile Tokenizer tokenizer;
    private volatile java.util.concurrent.CompletableFuture<Tokenizer> tokenizerLoad;

    /** Images or texts per forward pass when embedding lists of inputs. */
    public static final int DEFAULT_BATCH_SIZE = 32;

    /** A model built in memory (e.g. freshly initialised) with its family's default preprocessing and no tokenizer. */
    public ClipModel(ModelConfig config, ParamSource src, float logitScale) {
        this(config, src, logitScale, 0f, null, null, Options.defaults());
    }

    /** As {@link #ClipModel(ModelConfig, ParamSource, float)} with a logit bias (SigLIP families; CLIP has none). */
    public ClipModel(ModelConfig config, ParamSource src, float logitScale, float logitBias) {
        this(config, src, logitScale, logitBias, null, null, Options.defaults());
    }

    private ClipModel(ModelConfig config, ParamSource src, float logitScale, float logitBias, Path dir, Path tokenizerDir, Options options) {
        this.config = config;
        switch (config.family()) {
            case CLIP -> {
                this.vision = new VisionTower(src, config.vision(), config.projectionDim());
                this.text = new TextTower(src, config.text(), config.projectionDim());
            }
            default -> {
                this.vision = new SiglipVisionTower(src, config.vision(), config.family() == Family.SIGLIP2);
                this.text = new SiglipTextTower(src, config.text(), config.projectionDim());
            }
        }
        this.logitScale = logitScale;
        this.logitBias = logitBias;
        this.dir = dir;
        this.tokenizerDir = tokenizerDir;
        if (config.family() == Family.SIGLIP2) {
            Path pre = dir == null ? null : dir.resolve("preprocessor_config.json");
            this.naflex = pre != null && Files.isRegularFile(pre) ? NaFlexPreprocessor.fromHfFile(pre, options.maxNumPatches())
                    : new NaFlexPreprocessor(config.vision().patchSize(), options.maxNumPatches() > 0 ? options.maxNumPatches() : 256,
                    io.clip4j.image.Resample.Filter.BILINEAR, new float[]{.5f, .5f, .5f}, new float[]{.5f, .5f, .5f}, 1.0 / 255,
                    io.clip4j.image.ImageDecoder.defaults());
            this.preprocessor = null;
            this.pixelTable = null;
        } else {
            this.naflex = null;
            PreprocessConfig pre = options.preprocess() != null ? options.preprocess() : preprocessConfig(dir, config);
            this.preprocessor = ImagePreprocessor.fromConfig(pre);
            this.pixelTable = preprocessor.normalisationTable();
        }
    }

    /**
     * Loading options.
     * @param tokenizerDir  where the tokenizer files are, when not in the model directory (OpenCLIP directories ship
     *                      none); null = the model directory
     * @param preprocess    overrides the directory's fixed-resolution preprocessing; null = from
     *                      preprocessor_config.json, or open_clip_config.json's preprocess_cfg, or CLIP's defaults
     * @param maxNumPatches NaFlex models: overrides preprocessor_config.json's max_num_patches (0 = keep)
     * @param weights       how the weight matrices are held (default {@link WeightStorage#MAPPED})
     */
    public record Options(Path tokenizerDir, PreprocessConfig preprocess, int maxNumPatches, WeightStorage weights) {
        public Options {
            if (weights == null) weights = WeightStorage.MAPPED;
        }
        public static Options defaults() { return new Options(null, null, 0, WeightStorage.MAPPED); }
        public Options withTokenizerDir(Path d) { return new Options(d, preprocess, maxNumPatches, weights); }
        public Options withPreprocess(PreprocessConfig p) { return new Options(tokenizerDir, p, maxNumPatches, weights); }
        public Options withMaxNumPatches(int n) { return new Options(tokenizerDir, preprocess, n, weights); }
        public Options withWeights(WeightStorage w) { return new Options(tokenizerDir, preprocess, maxNumPatches, w); }
    }

    /**
     * Where the weight matrices (the blocks' projections, patch and token embeddings, output projections: nearly all
     * the bytes) live after loading. Biases, norms and position embeddings are always float[] copies.
     */
    public enum WeightStorage {
        /** Read in place from the memory-mapped checkpoint, in its own dtype (F32, F16 or BF16; widened as the GEMM
         *  packs them): loading copies nothing, and only what a run uses becomes resident. Results equal HEAP's. */
        MAPPED,
        /** float[] copies on the heap: what training needs (the trainer loads this way). */
        HEAP,
        /** Rounded to BF16 copies in native memory (round to nearest even), each straight from the mapped file, whose pages are then dropped: half of F32's memory; cosine to the F32 embeddings about 0.99998 on ViT-B/32. */
        BF16
    }

    /** Loads a Hugging Face or OpenCLIP model directory: weights, image preprocessing and (on first use) the tokenizer. */
    public static ClipModel load(Path dir) { return load(dir, Options.defaults()); }

    public static ClipModel load(Path dir, Options options) {
        return open(dir, options.weights(), config -> options);
    }

    /** The one loading path: options may depend on the checkpoint's config (see {@link #loadWeights}). */
    private static ClipModel open(Path dir, WeightStorage storage, java.util.function.Function<ModelConfig, Options> options) {
        io.clip4j.kernel.Warmup.startInBackground(); // compiles the kernels on the idle core while the weights load
        warnAboutSlowCollector();
        // BF16 maps too: each matrix is rounded straight from the mapping, whose pages are then dropped
        try (Checkpoint ckpt = Checkpoint.open(dir, storage != WeightStorage.HEAP)) {
            Options o = options.apply(ckpt.config());
            ClipModel m = new ClipModel(ckpt.config(), weightSource(ckpt, storage), ckpt.logitScale(), ckpt.logitBias(), dir,
                    o.tokenizerDir() != null ? o.tokenizerDir() : dir, o);
            ckpt.finish();
            return m;
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean COLLECTOR_CHECKED = new java.util.concurrent.atomic.AtomicBoolean();

    /**
     * Warns once when the JVM runs the Serial or Parallel collector: the kernels measured about 1.8× slower under
     * them than under G1, even on one thread (ViT-B/32 image batches, JDK 25). The cause is loop strip mining, on by
     * default only under G1 (and ZGC, Shenandoah): C2 compiles the GEMM micro-kernel's k loop well only in that shape.
     * The JVM picks Serial by itself when it sees one CPU or less than about 2 GB, as in small containers;
     * bin/clip4j asks for G1.
     */
    private static void warnAboutSlowCollector() {
        if (!COLLECTOR_CHECKED.compareAndSet(false, true)) return;
        for (var gc : java.lang.management.ManagementFactory.getGarbageCollectorMXBeans()) {
            String n = gc.getName();
            if (n.equals("Copy") || n.equals("MarkSweepCompact") || n.startsWith("PS ")) {
                System.getLogger("io.clip4j").log(System.Logger.Level.WARNING, "clip4j: the JVM runs the "
                        + (n.startsWith("PS ") ? "Parallel" : "Serial") + " garbage collector, under which clip4j's kernels run about"
                        + " 1.8x slower than under G1: start the JVM with -XX:+UseG1GC, or keep this collector and add"
                        + " -XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000");
                return;
            }
        }
    }

    /** The checkpoint as a parameter source for the storage: HEAP takes float[] copies of the matrices too, BF16 rounds them. */
    private static ParamSource weightSource(Checkpoint ckpt, WeightStorage storage) {
        return switch (storage) {
            case MAPPED -> ckpt;
            case HEAP -> new ParamSource() {
                @Override public float[] take(String name, int... shape) { return ckpt.take(name, shape); }
            };
            case BF16 -> new ParamSource() {
                @Override public float[] take(String name, int... shape) { return ckpt.take(name, shape); }
                @Override public Param matrix(String name, int... shape) {
                    Param p = ckpt.matrix(name, shape);
                    if (p.matrix == null) return new Param(name, io.clip4j.kernel.WeightMatrix.bf16(p.data, shape[0], p.data.length / shape[0]), shape);
                    Param rounded = new Param(name, p.matrix.toBf16(), shape);
                    p.matrix.unload();          // resident once, as BF16 (peak RSS: the largest matrix, not the file)
                    return rounded;
                }
            };
        };
    }

    /** Loads only the weights: CLIP's default preprocessing at the model's size (not the directory's), tokenizer from dir. */
    public static ClipModel loadWeights(Path dir) { return loadWeights(dir, WeightStorage.MAPPED); }

    /** As {@link #loadWeights(Path)} with the weights held as storage says (HEAP to train the model). */
    public static ClipModel loadWeights(Path dir, WeightStorage storage) {
        return open(dir, storage, config -> config.family() == Family.SIGLIP2 ? Options.defaults()
                : Options.defaults().withPreprocess(PreprocessConfig.clip(config.vision().imageSize())));
    }

    private static PreprocessConfig preprocessConfig(Path dir, ModelConfig config) {
        if (dir != null) {
            Path hf = dir.resolve("preprocessor_config.json");
            if (Files.isRegularFile(hf)) {
                PreprocessConfig p = PreprocessConfig.fromHfFile(hf);
                // SigLIP's processor converts to RGB before resizing (alpha dropped, not resized premultiplied)
                return config.family() == Family.CLIP ? p : p.withConvertRgbFirst(true);
            }
            Path oc = dir.resolve("open_clip_config.json");
            if (Files.isRegularFile(oc)) {
                try {
                    return PreprocessConfig.fromOpenClipJson(new ObjectMapper().readTree(oc.toFile()));
                } catch (IOException | IllegalArgumentException e) {
                    throw new Clip4jException("invalid preprocessing in " + oc + ": " + e.getMessage(), e);
                }
            }
        }
        return config.family() == Family.CLIP ? PreprocessConfig.clip(config.vision().imageSize()) : PreprocessConfig.siglip(config.vision().imageSize());
    }

    public ModelConfig config() { return config; }
    public Family family() { return config.family(); }
    public ImageEncoder vision() { return vision; }
    public TextEncoder text() { return text; }
    /** ln of the temperature; logits use its exp. */
    public float logitScale() { return logitScale; }
    /** SigLIP's logit bias (0 for CLIP). */
    public float logitBias() { return logitBias; }
    public int embedDim() { return config.projectionDim(); }
    /** The model directory this was loaded from (null for a model built in memory). */
    public Path dir() { return dir; }
    /** Fixed-resolution preprocessing (null for NaFlex models, see {@link #naflexPreprocessor()}). */
    public ImagePreprocessor preprocessor() { return preprocessor; }
    public NaFlexPreprocessor naflexPreprocessor() { return naflex; }

    /** All parameters in a stable order (image encoder, then text encoder; logit scale and bias are separate). */
    public List<Param> params() {
        List<Param> out = new ArrayList<>(vision.params());
        out.addAll(text.params());
        return out;
    }

    /** The tokenizer, loaded on first use from the tokenizer directory (CLIP BPE or SentencePiece, by the files there). */
    public Tokenizer tokenizer() {
        Tokenizer t = tokenizer;
        if (t != null) return t;
        java.util.concurrent.CompletableFuture<Tokenizer> pending = tokenizerLoad;
        if (pending != null) {
            try {
                return tokenizer = pending.join();
            } catch (java.util.concurrent.CompletionException e) {
                if (e.getCause() instanceof RuntimeException r) throw r;
                throw e;
            }
        }
        synchronized (this) {
            if (tokenizer == null) tokenizer = readTokenizer();
            return tokenizer;
        }
    }

    /**
     * Starts reading the tokenizer files on a background thread, for a caller that will tokenize soon (a command with
     * captions, while it loads or encodes images); {@link #tokenizer} then waits for it and reports its errors.
     * Does nothing when the tokenizer is loaded or loading, or the model has none.
     */
    public void prefetchTokenizer() {
        if (tokenizer != null || tokenizerLoad != null || tokenizerDir == null) return;
        synchronized (this) {
            if (tokenizer != null || tokenizerLoad != null) return;
            var f = new java.util.concurrent.CompletableFuture<Tokenizer>();
            Thread t = new Thread(() -> {
                try {
                    f.complete(readTokenizer());
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            }, "clip4j-tokenizer");
            t.setDaemon(true);
            tokenizerLoad = f;
            t.start();
        }
    }

    private Tokenizer readTokenizer() {
        if (tokenizerDir == null) throw new Clip4jException("this model has no tokenizer files");
        try {
            return Tokenizers.load(tokenizerDir);
        } catch (IOException e) {
            throw new Clip4jException(e.getMessage() + (Files.isRegularFile(tokenizerDir.resolve("open_clip_config.json"))
                    ? " (OpenCLIP directories ship no tokenizer: point at one with vocab.json and merges.txt)" : ""), e);
        }
    }

    /** Token rows for texts at the model's context length, padded as the model's processor pads. */
    public int[][] tokenize(List<String> texts) {
        return tokenizer().tokenize(texts, config.text().maxPositions(), true);
    }

    // ------------------------------------------------------------------ embeddings (the public contract)

    /** L2-normalised image embeddings [n][E], in batches of {@link #DEFAULT_BATCH_SIZE}. */
    public float[][] embedImages(List<Path> files) { return Vectors.normalizeRows(imageFeatures(files, DEFAULT_BATCH_SIZE)); }

    /** L2-normalised text embeddings [n][E]. */
    public float[][] embedTexts(List<String> texts) { return Vectors.normalizeRows(textFeatures(texts, DEFAULT_BATCH_SIZE)); }

    public float[] embedImage(Path file) { return embedImages(List.of(file))[0]; }

    public float[] embedText(String text) { return embedTexts(List.of(text))[0]; }

    /**
     * Unnormalised image features, batchSize images per forward pass. Each batch is decoded and preprocessed in
     * parallel, and the next batch is prepared while the current one is encoded ({@link BatchPipeline}).
     */
    public float[][] imageFeatures(List<Path> files, int batchSize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1");
        float[][] out = new float[files.size()][];
        int batches = (files.size() + batchSize - 1) / batchSize;
        BatchPipeline.run(batches, k -> {
            int s0 = k * batchSize, B = Math.min(batchSize, files.size() - s0);
            ImageInput[] inputs = new ImageInput[B];
            IntStream.range(0, B).parallel().forEach(i -> inputs[i] = preprocess(files.get(s0 + i)));
            return inputs;
        }, (k, inputs) -> System.arraycopy(encodeImages(Arrays.asList(inputs)), 0, out, k * batchSize, inputs.length));
        return out;
    }

    /** The decoder this model's preprocessing uses (its pixel limit, EXIF option and alpha background). */
    public ImageDecoder imageDecoder() { return naflex != null ? naflex.decoder() : preprocessor.decoder(); }

    /**
     * Decodes and preprocesses one image file as this model requires: the resized, cropped 8-bit RGB image with its
     * normalisation table (a quarter of the floats' memory; {@link ImageInput#values()} expands it), or NaFlex patches.
     */
    public ImageInput preprocess(Path file) { return preprocess(imageDecoder().decode(file), file.toString()); }

    /** Preprocesses a decoded image as this model requires ({@code name} for error messages). */
    public ImageInput preprocess(PilImage image, String name) {
        if (naflex != null) {
            NaFlexPreprocessor.Patches p = naflex.apply(image);
            return new ImageInput(p.values(), p.gridH(), p.gridW());
        }
        // kept as the 8-bit image (a quarter of the floats' memory); the encoder normalises each pixel as it reads it
        ImagePreprocessor.Rgb rgb = preprocessor.resizedRgb(image);
        int S = config.vision().imageSize();
        if (rgb.width() != S || rgb.height() != S) throw new Clip4jException("preprocessing " + name + " gave a " + rgb.width() + "×" + rgb.height()
                + " image, the model takes " + S + "×" + S + " (check preprocessor_config.json's sizes against the model's image_size)");
        return ImageInput.pixels(rgb, pixelTable);
    }

    /** Unnormalised features for preprocessed images (one forward pass). */
    public float[][] encodeImages(List<ImageInput> inputs) {
        int B = inputs.size();
        if (B == 0) return new float[0][];
        if (naflex != null) {
            int M = naflex.maxNumPatches(), K = 3 * naflex.patchSize() * naflex.patchSize();
            float[] values = new float[B * M * K];
            int[][] grids = new int[B][];
            for (int b = 0; b < B; b++) {
                ImageInput in = inputs.get(b);
                System.arraycopy(in.values(), 0, values, b * M * K, M * K);
                grids[b] = new int[]{in.gridH(), in.gridW()};
            }
            return encode(new ImageBatch(values, B, M, grids), null);
        }
        return encode(ImageBatch.pixels(inputs.toArray(ImageInput[]::new)), null);
    }

    /**
     * Unnormalised text features, batchSize texts per forward pass. Texts are grouped by token length first, so that
     * each batch of a causal (CLIP) text tower runs only as many positions as its longest caption needs.
     */
    public float[][] textFeatures(List<String> texts, int batchSize) {
        int[][] ids = tokenize(texts);
        Integer[] order = new Integer[ids.length];
        int[] len = new int[ids.length];
        for (int i = 0; i < ids.length; i++) { order[i] = i; len[i] = text.poolIndex(ids[i], 0, ids[i].length); }
        Arrays.sort(order, Comparator.comparingInt(i -> len[i]));
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

    // ------------------------------------------------------------------ forward passes

    /** Unnormalised image features [B][E] for pixels[B,3,S,S] (CHW, already normalised). */
    public float[][] encodePixels(float[] pixels, int B) { return encode(ImageBatch.pixels(pixels, B), null); }

    public float[][] encodePixels(float[] pixels, int B, Trace trace) { return encode(ImageBatch.pixels(pixels, B), trace); }

    /** Unnormalised image features [B][E] for a batch of pixels or NaFlex patches. */
    public float[][] encode(ImageBatch batch, Trace trace) {
        int B = batch.batch(), E = embedDim();
        if (!batch.isPatches()) {
            int S = config.vision().imageSize();
            if (!batch.holdsPixels(S)) {
                throw new IllegalArgumentException("the batch does not hold " + B + " images of " + S + "×" + S + " pixels");
            }
        }
        float[] out = new float[B * E];
        Workspace ws = borrow();
        try {
            vision.forward(out, batch, ws, trace);
        } catch (InternalError e) {
            throw mappedFault(e);
        } finally {
            giveBack(ws);
        }
        return rows(out, B, E);
    }

    /** Unnormalised text features [B][E] for token ids (rows of equal length ≤ the model's context length). */
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
        // several captions: let the kernel warm-up finish first (one caption runs sooner without waiting)
        if (B >= 4) io.clip4j.kernel.Warmup.awaitIfRunning(3000);
        Workspace ws = borrow();
        try {
            text.forward(out, flat, B, L, ws, trace);
        } catch (InternalError e) {
            throw mappedFault(e);
        } finally {
            giveBack(ws);
        }
        return rows(out, B, E);
    }

    /** logits[i][j] = exp(logit_scale) · cos(image_i, text_j) + logit_bias. */
    public float[][] logits(float[][] imageFeatures, float[][] textFeatures) {
        float scale = (float) Math.exp(logitScale);
        float[][] img = Vectors.normalizeRows(imageFeatures), txt = Vectors.normalizeRows(textFeatures);
        float[][] out = new float[img.length][txt.length];
        for (int i = 0; i < img.length; i++) for (int j = 0; j < txt.length; j++) out[i][j] = scale * Vectors.dot(img[i], txt[j]) + logitBias;
        return out;
    }

    /**
     * The JVM reports a fault in mapped memory (the checkpoint file truncated or replaced in place while mapped) as an
     * InternalError from the access; say what happened instead. Other InternalErrors pass through.
     */
    private Error mappedFault(InternalError e) {
        String m = String.valueOf(e.getMessage());
        if (!m.contains("unsafe memory access")) return e;
        throw new Clip4jException("cannot read the weights of " + (dir == null ? "the model" : dir)
                + ": the memory-mapped checkpoint file was truncated or rewritten in place while in use; load the model again"
                + " (--weights heap / WeightStorage.HEAP copies the weights into memory instead)", e);
    }

    private Workspace borrow() {
        Workspace w = workspaces.pollFirst();
        return w != null ? w : new Workspace();
    }

    private void giveBack(Workspace w) { workspaces.offerFirst(w); }

    private static float[][] rows(float[] flat, int B, int E) {
        float[][] r = new float[B][E];
        for (int b = 0; b < B; b++) System.arraycopy(flat, b * E, r[b], 0, E);
        return r;
    }

    @Override public void close() { workspaces.clear(); }
}
