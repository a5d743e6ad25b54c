package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.Clip4jException;
import io.clip4j.image.NaFlexPreprocessor;
import io.clip4j.image.PreprocessConfig;
import io.clip4j.model.Architectures;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.RandomInit;
import io.clip4j.nn.Param;
import io.clip4j.text.Tokenizer;
import io.clip4j.text.Tokenizers;
import io.clip4j.train.data.CaptionTable;
import io.clip4j.train.data.DataSource;
import io.clip4j.train.data.Loader;
import io.clip4j.train.data.WebDataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The training loop behind {@code clip4j train}: model (loaded, randomly initialised, or a checkpoint to resume),
 * data with the reader pool, open_clip's optimizer recipe through {@link TrainStep}, metrics, evaluation, atomic
 * checkpoints, and the final model in Hugging Face layout in the output directory.
 */
public final class Trainer {
    /** Progress callbacks (the CLI draws a progress bar). */
    public interface Listener {
        default void start(int totalSteps, int firstStep, int batchSize) {}
        default void step(ObjectNode record) {}
        default void eval(int step, Evaluation.Report report) {}
        default void message(String line) { System.err.println(line); }
        default void end() {}
    }

    /** What a run did. */
    public record Summary(int steps, int stepsThisRun, float lastLoss, List<Float> losses, int skippedImages, double samplesPerSecond,
                          Path modelDir, Path checkpoint, Evaluation.Report lastEval) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    private final TrainOptions o;
    private final Listener listener;

    public Trainer(TrainOptions options, Listener listener) {
        this.o = options;
        this.listener = listener == null ? new Listener() {} : listener;
    }

    public Summary run() throws IOException {
        validate();
        Path out = o.out;
        Files.createDirectories(out);
        Path ckptDir = out.resolve("checkpoints");
        Checkpoints.cleanTemporaries(ckptDir);
        ModelFiles.cleanTemporaries(out);

        // ---- model, tokenizer, preprocessing
        Path resumeFrom = o.resume == null ? null : Checkpoints.resolve(o.resume);
        if (resumeFrom == null) {
            // a new run would mix its checkpoints with another run's, and pruning and --resume would pick among both
            List<Path> earlier = Checkpoints.list(ckptDir);
            if (!earlier.isEmpty())
                throw new Clip4jException(ckptDir + " already holds checkpoints of an earlier run (newest: "
                        + earlier.getLast().getFileName() + "): continue it with --resume " + out + ", or train into another --out");
        }
        JsonNode state = resumeFrom == null ? null : Checkpoints.readState(resumeFrom);
        ClipModel model;
        Tokenizer tokenizer;
        Path tokenizerDir, preprocessSource;
        if (resumeFrom != null) {
            model = ModelFiles.load(resumeFrom, null);
            tokenizerDir = resumeFrom;
            preprocessSource = resumeFrom;
            listener.message("resuming from " + resumeFrom + " at step " + state.path("step").asInt());
        } else if (o.model != null) {
            tokenizerDir = o.tokenizerFrom != null ? o.tokenizerFrom : o.model;
            model = ModelFiles.load(o.model, o.tokenizerFrom);
            preprocessSource = o.model;
        } else {
            tokenizerDir = o.tokenizerFrom;
            // the vocabulary and special ids of the tokenizer (CLIP BPE, or SigLIP's SentencePiece)
            ModelConfig config = Architectures.forTokenizer(Architectures.byName(o.initArch), tokenizerDir);
            model = new ClipModel(config, new RandomInit(config, o.seed), config.logitScaleInit(), Architectures.logitBiasInit(config));
            preprocessSource = null;
        }
        // the family's graph and loss (CLIP: contrastive; SigLIP and SigLIP 2 NaFlex: sigmoid)
        TrainingGraph<?> graph = TrainingGraph.of(model);
        tokenizer = Tokenizers.load(tokenizerDir);
        // read once: the run writes them into each checkpoint and the final model, and may itself prune or replace the
        // directory they come from (the checkpoint resumed from, a checkpoint under --out given as --model)
        ModelFiles.TokenizerFiles tokenizerFiles = ModelFiles.TokenizerFiles.read(tokenizerDir);
        ModelConfig config = model.config();
        int S = config.vision().imageSize();
        int[] alphaBg = o.alphaBackground != null ? o.alphaBackground : preprocessSource != null ? ModelFiles.alphaBackground(preprocessSource) : null;
        // the model's own processor (CLIP: resize the shorter side + centre crop; SigLIP: resize to the square; SigLIP 2
        // NaFlex: aspect-preserving resize to max_num_patches patches), the eval transform and, for fixed resolution,
        // the normalisation of the augmented one
        ObjectNode preJson = ModelFiles.preprocessorJson(preprocessSource, config, alphaBg);
        Augment trainTf, evalTf;
        if (config.family() == Family.SIGLIP2) {
            // the NaFlex processor of the preprocessor_config.json written with the model (max_num_patches, filter,
            // normalisation, alpha_background): training sees what inference of the trained model will see
            NaFlexPreprocessor naflex;
            try {
                naflex = NaFlexPreprocessor.fromHfJson(preJson, 0);
            } catch (IllegalArgumentException e) {
                throw new Clip4jException("invalid NaFlex preprocessor config: " + e.getMessage(), e);
            }
            trainTf = new Augment(naflex, o.augment, o.cropScaleMin, o.cropScaleMax);
            evalTf = new Augment(naflex, false, 0.9, 1.0);
        } else {
            PreprocessConfig basePre = ModelFiles.preprocessConfig(preprocessSource, config.family(), S);
            trainTf = new Augment(basePre, S, o.augment, o.cropScaleMin, o.cropScaleMax, alphaBg);
            evalTf = new Augment(basePre, S, false, 0.9, 1.0, alphaBg);
        }

        // ---- data
        DataSource train = openData(o.data, o.splitJson, o.split, o.limit);
        CaptionTable valTable = o.val == null ? null : (CaptionTable) openTable(o.val, o.splitJson, o.valSplit, o.valLimit);
        Map<Path, JsonNode> metadata = null;
        if (valTable != null) {
            Path meta = o.metadata != null ? o.metadata : valTable.source().toAbsolutePath().getParent().resolve("metadata.jsonl");
            if (Files.isRegularFile(meta)) metadata = Evaluation.readMetadata(meta);
        }
        long n = train.size();
        int perEpoch = (int) (n / o.batchSize);
        if (perEpoch < 1) throw new Clip4jException("the training data holds " + n + " images, fewer than one batch of " + o.batchSize);
        int total = o.steps > 0 ? o.steps : o.epochs * perEpoch;
        this.totalSteps = total;

        // ---- frozen towers, optimizer, step (the graph starts from the model's logit_scale / logit_bias)
        List<Param> frozen = frozenParams(model);
        Set<Param> frozenSet = Collections.newSetFromMap(new IdentityHashMap<>());
        frozenSet.addAll(frozen);
        List<Param> trainable = new ArrayList<>();
        for (Param p : graph.params()) if (!frozenSet.contains(p)) trainable.add(p);
        boolean anyVision = false, anyText = false;
        for (Param p : trainable) {
            if (p.name.startsWith("vision_model.") || p.name.startsWith("visual_")) anyVision = true;
            if (p.name.startsWith("text_model.") || p.name.startsWith("text_projection")) anyText = true;
        }
        graph.setTowerBackward(anyVision, anyText);
        List<ParamGroup> groups = ParamGroup.openClip(trainable, o.weightDecay);
        Optimizer opt = o.optimizer.equals("sgd") ? new Sgd(groups, o.momentum, 0, false) : new AdamW(groups, o.beta1, o.beta2, o.eps);
        LrSchedule schedule = o.schedule.equals("constant") ? LrSchedule.constant(o.lr, o.warmup) : LrSchedule.cosine(o.lr, o.warmup, total);
        TrainStep step = new TrainStep(graph, opt, schedule, o.gradClip).withAccum(o.accum).withFrozen(frozen);

        int startEpoch = 0;
        long startPos = 0;
        List<String> skippedBefore = List.of();
        if (state != null) {
            checkResumable(state, total);
            step.setStepsDone(state.path("step").asInt());
            startEpoch = state.path("epoch").asInt();
            startPos = state.path("position").asLong();
            List<String> sk = new ArrayList<>();
            state.path("skipped_images").forEach(x -> sk.add(x.asText()));
            skippedBefore = sk;
            Checkpoints.loadOptimizer(resumeFrom, opt, graph.params(), state);
        }
        int first = step.stepsDone();
        if (first >= total) listener.message("nothing to do: " + first + " of " + total + " steps done");

        long trainableCount = trainable.stream().mapToLong(Param::numel).sum();
        listener.message(String.format("training %,d of %,d parameters on %,d images: %d steps of %d (%d per epoch), %s loss%s",
                trainableCount, graph.params().stream().mapToLong(Param::numel).sum(), n, total - first, o.batchSize, perEpoch,
                graph.lossName(), o.accum > 1 ? ", accum " + o.accum : ""));

        Path metricsFile = out.resolve("metrics.jsonl");
        boolean finalEvalRecorded = first >= total && Files.isRegularFile(metricsFile)
                && Metrics.read(metricsFile).stream().anyMatch(r -> r.path("type").asText().equals("eval") && r.path("step").asInt() == first);
        List<Float> losses = new ArrayList<>();
        Evaluation.Report lastEval = null;
        Path lastCkpt = resumeFrom;
        int lastSavedStep = state == null ? -1 : first;
        float lastLoss = Float.NaN;
        long t0 = System.nanoTime();
        int stepsThisRun = 0;
        int stopAt = o.stopAfter > 0 ? Math.min(total, first + o.stopAfter) : total;
        int epoch = startEpoch;
        long position = startPos;
        Loader loader = null;
        try (Metrics metrics = new Metrics(metricsFile, state == null ? -1 : first)) {
            listener.start(total, first, o.batchSize);
            if (first < total) {
                loader = new Loader(train, trainTf, tokenizer, config.text().maxPositions(), o.batchSize, o.seed, o.shuffle,
                        startEpoch, startPos, o.workers, o.prefetch, listener::message, skippedBefore);
            }
            long tPrev = System.nanoTime();
            while (step.stepsDone() < stopAt) {
                Loader.Batch b = loader.next();
                TrainStep.Result r = step.run(b.images(), b.ids(), b.L());
                long now = System.nanoTime();
                double sps = b.B() / ((now - tPrev) / 1e9);
                tPrev = now;
                epoch = b.epoch();
                position = b.resumePosition();
                stepsThisRun++;
                lastLoss = r.loss();
                losses.add(r.loss());
                if (!Float.isFinite(r.loss())) throw new Clip4jException("the loss is " + r.loss() + " at step " + (r.step() + 1) + " (lower --lr?)");
                ObjectNode rec = JSON.createObjectNode();
                rec.put("type", "train").put("step", r.step() + 1).put("epoch", b.epoch() + (double) b.resumePosition() / n)
                        .put("lr", r.lr()).put("loss", r.loss()).put("logit_scale", r.logitScaleAfter());
                if (graph.logitBias() != null) rec.put("logit_bias", r.logitBiasAfter());
                rec.put("samples_per_s", sps);
                if (!Double.isNaN(r.gradNorm())) rec.put("grad_norm", r.gradNorm());
                metrics.write(rec);
                listener.step(rec);
                int done = r.step() + 1;
                if (valTable != null && o.evalEvery > 0 && done % o.evalEvery == 0 && done < total) {
                    lastEval = evaluate(model, tokenizer, evalTf, valTable, graph, metadata, done, metrics);
                }
                if (o.saveEvery > 0 && done % o.saveEvery == 0 && done < stopAt) {
                    lastCkpt = save(ckptDir, done, config, model, graph, preJson, tokenizerFiles, opt, epoch, position, loader.skippedNames());
                    lastSavedStep = done;
                }
            }
            double elapsed = (System.nanoTime() - t0) / 1e9;
            List<String> skippedNames = loader == null ? skippedBefore : loader.skippedNames();
            int skipped = skippedNames.size();
            int done = step.stepsDone();
            if (lastSavedStep != done && stepsThisRun > 0) {
                lastCkpt = save(ckptDir, done, config, model, graph, preJson, tokenizerFiles, opt, epoch, position, skippedNames);
            }
            if (done >= total) {
                // (a run resumed when already complete has its final evaluation in the metrics: not repeated)
                if (valTable != null && !(stepsThisRun == 0 && finalEvalRecorded))
                    lastEval = evaluate(model, tokenizer, evalTf, valTable, graph, metadata, done, metrics);
                ModelFiles.write(out, config, model, graph.logitScale().data[0], logitBias(graph, model), preJson, tokenizerFiles);
            }
            if (o.plot) {
                try {
                    Plot.write(metricsFile, out.resolve("metrics.png"));
                } catch (RuntimeException | IOException | Error e) {
                    listener.message("cannot draw metrics.png: " + e);
                }
            }
            listener.end();
            if (skipped > 0) listener.message(skipped + " image(s) could not be read and were skipped");
            double sps = stepsThisRun == 0 ? 0 : stepsThisRun * (double) o.batchSize / elapsed;
            listener.message(String.format("%d steps in %.1f s (%.1f samples/s)%s", stepsThisRun, elapsed, sps,
                    done >= total ? "; model written to " + out : "; checkpoint " + lastCkpt));
            return new Summary(done, stepsThisRun, lastLoss, losses, skipped, sps, done >= total ? out : null, lastCkpt, lastEval);
        } finally {
            if (loader != null) loader.close();
        }
    }

    private void validate() {
        if ((o.model == null) == (o.initArch == null) && o.resume == null) throw new Clip4jException("give either --model DIR or --init ARCH (or --resume DIR)");
        if (o.initArch != null && o.tokenizerFrom == null && o.resume == null) throw new Clip4jException("--init needs --tokenizer-from DIR (the tokenizer files to train with)");
        if (o.data == null) throw new Clip4jException("no training data: give --data TABLE");
        if (o.out == null) throw new Clip4jException("no output directory: give --out DIR");
        if (o.batchSize < 2) throw new Clip4jException("--batch-size must be at least 2 (the loss needs negatives)");
        if (o.accum < 1 || o.batchSize % o.accum != 0) throw new Clip4jException("--accum must divide --batch-size");
        if (o.steps <= 0 && o.epochs <= 0) throw new Clip4jException("give --epochs N or --steps N");
        if (!o.schedule.equals("cosine") && !o.schedule.equals("constant")) throw new Clip4jException("--schedule must be cosine or constant");
        if (!o.optimizer.equals("adamw") && !o.optimizer.equals("sgd")) throw new Clip4jException("--optimizer must be adamw or sgd");
        if (o.lockImage && o.lockText && o.unlockLast == 0) throw new Clip4jException("--lock-image with --lock-text leaves only logit_scale to train");
        if (o.unlockLast < 0) throw new Clip4jException("--unlock-last must be 0 or more");
        if (o.unlockLast > 0 && !o.lockImage) throw new Clip4jException("--unlock-last applies to a locked image tower: add --lock-image");
        if (!(o.lr > 0) || Double.isInfinite(o.lr)) throw new Clip4jException("--lr must be a positive number, got " + o.lr);
        if (!(o.weightDecay >= 0) || Double.isInfinite(o.weightDecay)) throw new Clip4jException("--weight-decay must be 0 or more, got " + o.weightDecay);
        if (o.warmup < 0) throw new Clip4jException("--warmup must be 0 or more steps, got " + o.warmup);
        if (!(o.cropScaleMin > 0 && o.cropScaleMin <= o.cropScaleMax && o.cropScaleMax <= 1))
            throw new Clip4jException("--crop-scale MIN,MAX needs 0 < MIN ≤ MAX ≤ 1, got " + o.cropScaleMin + "," + o.cropScaleMax);
        if (o.limit > 0 && WebDataset.looksLikeShards(o.data)) throw new Clip4jException("--limit applies to caption tables, not tar shards");
    }

    private void checkResumable(JsonNode s, int total) {
        List<String> diffs = new ArrayList<>();
        if (s.path("batch_size").asInt() != o.batchSize) diffs.add("batch size " + s.path("batch_size").asInt() + " → " + o.batchSize);
        if (s.path("seed").asLong() != o.seed) diffs.add("seed " + s.path("seed").asLong() + " → " + o.seed);
        if (s.path("total_steps").asInt() != total) diffs.add("total steps " + s.path("total_steps").asInt() + " → " + total);
        if (s.path("shuffle").asBoolean() != o.shuffle) diffs.add("shuffle");
        if (s.path("augment").asBoolean() != o.augment) diffs.add("augment");
        if (s.has("accum") && s.path("accum").asInt() != o.accum) diffs.add("accum " + s.path("accum").asInt() + " → " + o.accum);
        if (s.has("optimizer") && !s.path("optimizer").asText().equals(o.optimizer)) diffs.add("optimizer " + s.path("optimizer").asText() + " → " + o.optimizer);
        if (s.has("schedule") && !s.path("schedule").asText().equals(o.schedule)) diffs.add("schedule " + s.path("schedule").asText() + " → " + o.schedule);
        if (s.has("warmup") && s.path("warmup").asInt() != o.warmup) diffs.add("warmup " + s.path("warmup").asInt() + " → " + o.warmup);
        for (var d : new Object[][]{{"lr", o.lr}, {"weight_decay", o.weightDecay}, {"beta1", o.beta1}, {"beta2", o.beta2}, {"eps", o.eps},
                {"momentum", o.momentum}, {"grad_clip", o.gradClip}, {"crop_scale_min", o.cropScaleMin}, {"crop_scale_max", o.cropScaleMax}}) {
            double now = (Double) d[1];
            if (s.has((String) d[0]) && s.path((String) d[0]).asDouble() != now) diffs.add(d[0] + " " + s.path((String) d[0]).asDouble() + " → " + now);
        }
        if (!diffs.isEmpty()) listener.message("warning: resuming with different settings (" + String.join(", ", diffs) + "): the run will not match an uninterrupted one");
    }

    /** The bias to write: the trained one, or the model's (0 for CLIP, which has none). */
    private static float logitBias(TrainingGraph<?> graph, ClipModel model) {
        return graph.logitBias() != null ? graph.logitBias().data[0] : model.logitBias();
    }

    private Path save(Path ckptDir, int done, ModelConfig config, ClipModel model, TrainingGraph<?> graph, ObjectNode preJson, ModelFiles.TokenizerFiles tokenizerFiles,
                      Optimizer opt, int epoch, long position, List<String> skipped) throws IOException {
        ObjectNode st = JSON.createObjectNode();
        st.put("step", done).put("epoch", epoch).put("position", position).put("seed", o.seed).put("batch_size", o.batchSize)
                .put("accum", o.accum).put("total_steps", totalSteps).put("shuffle", o.shuffle).put("augment", o.augment)
                .put("optimizer", o.optimizer).put("lr", o.lr).put("schedule", o.schedule).put("warmup", o.warmup)
                .put("weight_decay", o.weightDecay).put("beta1", o.beta1).put("beta2", o.beta2).put("eps", o.eps).put("momentum", o.momentum)
                .put("grad_clip", o.gradClip).put("crop_scale_min", o.cropScaleMin).put("crop_scale_max", o.cropScaleMax)
                .put("logit_scale", graph.logitScale().data[0]).put("data", o.data);
        if (graph.logitBias() != null) st.put("logit_bias", graph.logitBias().data[0]);
        var arr = st.putArray("skipped_images");
        skipped.forEach(arr::add);
        Path p = Checkpoints.save(ckptDir, done, dir -> ModelFiles.write(dir, config, model, graph.logitScale().data[0], logitBias(graph, model), preJson, tokenizerFiles),
                opt, graph.params(), st);
        Checkpoints.prune(ckptDir, o.keep, done);
        return p;
    }

    private int totalSteps;

    private Evaluation.Report evaluate(ClipModel model, Tokenizer tok, Augment evalTf, CaptionTable val, TrainingGraph<?> graph,
                                       Map<Path, JsonNode> metadata, int done, Metrics metrics) {
        Evaluation.Report r;
        try {
            r = evaluateOnce(model, tok, evalTf, val, graph, metadata);
        } catch (Clip4jException | java.io.UncheckedIOException e) {
            // the training goes on and its model is still written: an evaluation is a report, not the work
            listener.message("warning: the evaluation at step " + done + " failed, training goes on: " + e.getMessage());
            return null;
        }
        ObjectNode rec = r.toJson();
        rec.put("type", "eval").put("step", done);
        metrics.write(rec);
        listener.eval(done, r);
        return r;
    }

    private Evaluation.Report evaluateOnce(ClipModel model, Tokenizer tok, Augment evalTf, CaptionTable val, TrainingGraph<?> graph,
                                           Map<Path, JsonNode> metadata) {
        return Evaluation.run(model, tok, evalTf, val.items(), Math.max(o.batchSize, 32), graph.logitScale().data[0],
                logitBias(graph, model), metadata,
                metadata == null ? null : Evaluation.EMOJI_TASKS, listener::message);
    }

    /**
     * Parameters not trained: the image tower with --lock-image (except open_clip's last unlocked groups), the text
     * tower with --lock-text.
     */
    List<Param> frozenParams(ClipModel model) {
        List<Param> frozen = new ArrayList<>();
        if (o.lockImage) {
            // open_clip lock(unlocked_groups): groups = [embeddings + ln_pre], block 0 … block L-2, [block L-1, ln_post],
            // [projection]; SigLIP's attention-pooling head (vision_model.head.*) takes the projection's place
            List<List<Param>> groupsList = new ArrayList<>();
            List<Param> all = model.vision().params();
            List<Param> embed = new ArrayList<>(), post = new ArrayList<>(), proj = new ArrayList<>();
            int layers = model.config().vision().tower().numLayers();
            List<List<Param>> blockParams = new ArrayList<>();
            for (int i = 0; i < layers; i++) blockParams.add(new ArrayList<>());
            for (Param p : all) {
                int b = blockIndex(p.name);
                if (b >= 0) blockParams.get(b).add(p);
                else if (p.name.startsWith("visual_projection") || p.name.startsWith("vision_model.head.")) proj.add(p);
                else if (p.name.contains("post_layernorm")) post.add(p);
                else embed.add(p);
            }
            groupsList.add(embed);
            for (int i = 0; i < layers - 1; i++) groupsList.add(blockParams.get(i));
            List<Param> last = new ArrayList<>(blockParams.get(layers - 1));
            last.addAll(post);
            groupsList.add(last);
            groupsList.add(proj);
            int locked = Math.max(0, groupsList.size() - o.unlockLast);
            for (int i = 0; i < locked; i++) frozen.addAll(groupsList.get(i));
        }
        if (o.lockText) frozen.addAll(model.text().params());
        return frozen;
    }

    private static int blockIndex(String name) {
        int i = name.indexOf(".layers.");
        if (i < 0) return -1;
        int j = name.indexOf('.', i + 8);
        return Integer.parseInt(name.substring(i + 8, j));
    }

    static DataSource openData(String spec, Path splitJson, String split, int limit) {
        if (WebDataset.looksLikeShards(spec)) {
            if (splitJson != null) throw new Clip4jException("--split-json applies to caption tables, not tar shards");
            return WebDataset.open(spec);
        }
        return openTable(spec, splitJson, split, limit);
    }

    static DataSource openTable(String spec, Path splitJson, String split, int limit) {
        CaptionTable t = CaptionTable.read(Path.of(spec));
        if (splitJson != null) t = t.filterSplit(splitJson, split);
        if (limit > 0) t = t.head(limit);
        return t;
    }
}
