package io.clip4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.train.Evaluation;
import io.clip4j.train.ModelFiles;
import io.clip4j.train.TrainOptions;
import io.clip4j.train.Trainer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

/** clip4j train: training from scratch or from a checkpoint, with the loss of the model's family. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train a CLIP, SigLIP or SigLIP 2 model on image–caption pairs.",
                "open_clip's recipe (AdamW, cosine schedule, RandomResizedCrop) with the",
                "family's loss: contrastive for CLIP; sigmoid for SigLIP and SigLIP 2, with",
                "learnable logit_scale (not clamped) and logit_bias. NaFlex models train on",
                "patches at their preprocessor's max_num_patches (aspect ratio kept, padding",
                "masked).",
                "Starts from a model directory (--model) or a random init (--init ARCH",
                "--tokenizer-from DIR: CLIP's BPE for CLIP, a SentencePiece dir for SigLIP).",
                "Writes OUT/model.safetensors + config.json + preprocessor_config.json +",
                "tokenizer files (Hugging Face layout), OUT/metrics.jsonl, OUT/metrics.png",
                "and OUT/checkpoints/step-N (resumable with --resume OUT)."})
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--model", paramLabel = "DIR", description = "Start from this model directory.") Path model;
    @Option(names = "--init", paramLabel = "ARCH", description = "Start from a random init of this architecture (${COMPLETION-CANDIDATES}).",
            completionCandidates = InitCommand.ArchNames.class) String init;
    @Option(names = "--tokenizer-from", paramLabel = "DIR", description = "Tokenizer files (vocab.json + merges.txt, spiece.model, tokenizer.model…); with --init the vocabulary size follows them.") Path tokenizerFrom;
    @Option(names = "--data", paramLabel = "TABLE|SHARDS", description = "Training data: a .tsv/.csv/.jsonl caption table (paths relative to it) or WebDataset .tar shard(s) (file, folder or comma list).") String data;
    @Option(names = "--split-json", paramLabel = "FILE", description = "splits.json (emoji layout): keep images whose file name is in --split (and --val-split for --val).") Path splitJson;
    @Option(names = "--split", defaultValue = "train", description = "Split of --data to train on (default: ${DEFAULT-VALUE}).") String split;
    @Option(names = "--val", paramLabel = "TABLE", description = "Validation table (retrieval recall, loss; zero-shot with a metadata.jsonl next to it).") String val;
    @Option(names = "--val-split", defaultValue = "val", description = "Split of --val (with --split-json; default: ${DEFAULT-VALUE}).") String valSplit;
    @Option(names = "--metadata", paramLabel = "FILE", description = "metadata.jsonl for zero-shot evaluation (default: next to --val).") Path metadata;
    @Option(names = "--limit", defaultValue = "0", description = "Use only the first N training images (0 = all).") int limit;
    @Option(names = "--val-limit", defaultValue = "0", description = "Use only the first N validation images (0 = all).") int valLimit;
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output directory.") Path out;
    @Option(names = "--batch-size", defaultValue = "64", description = "Pairs per step (default: ${DEFAULT-VALUE}); the last partial batch of an epoch is dropped.") int batchSize;
    @Option(names = "--epochs", defaultValue = "1", description = "Epochs (default: ${DEFAULT-VALUE}), unless --steps.") int epochs;
    @Option(names = "--steps", defaultValue = "0", description = "Total optimizer steps (overrides --epochs).") int steps;
    @Option(names = "--lr", defaultValue = "5e-4", description = "Peak learning rate (default: ${DEFAULT-VALUE}).") double lr;
    @Option(names = "--weight-decay", defaultValue = "0.2", description = "AdamW weight decay on ≥2-D weights (default: ${DEFAULT-VALUE}).") double weightDecay;
    @Option(names = "--warmup", defaultValue = "0", description = "Linear warmup steps (default: ${DEFAULT-VALUE}).") int warmup;
    @Option(names = "--schedule", defaultValue = "cosine", description = "cosine or constant (default: ${DEFAULT-VALUE}).") String schedule;
    @Option(names = "--optimizer", defaultValue = "adamw", description = "adamw or sgd (default: ${DEFAULT-VALUE}).") String optimizer;
    @Option(names = "--beta1", defaultValue = "0.9", description = "AdamW's β1 (default: ${DEFAULT-VALUE}).") double beta1;
    @Option(names = "--beta2", defaultValue = "0.98", description = "AdamW's β2 (default: ${DEFAULT-VALUE}).") double beta2;
    @Option(names = "--eps", defaultValue = "1e-6", description = "AdamW's ε (default: ${DEFAULT-VALUE}).") double eps;
    @Option(names = "--momentum", defaultValue = "0", description = "SGD momentum (default: ${DEFAULT-VALUE}).") double momentum;
    @Option(names = "--seed", defaultValue = "0", description = "Seed of the init, data order, captions and augmentation (default: ${DEFAULT-VALUE}).") long seed;
    @Option(names = "--no-shuffle", description = "Keep the table's order (every epoch).") boolean noShuffle;
    @Option(names = "--no-augment", description = "Use the model's own preprocessing (CLIP: resize + centre crop; SigLIP: resize to the square; NaFlex: resize to max_num_patches) instead of RandomResizedCrop.") boolean noAugment;
    @Option(names = "--crop-scale", defaultValue = "0.9,1.0", paramLabel = "MIN,MAX", description = "RandomResizedCrop area range (default: ${DEFAULT-VALUE}); NaFlex: the crop keeps about the image's aspect ratio and is then NaFlex-preprocessed.") String cropScale;
    @Option(names = "--alpha-background", paramLabel = "COLOR", description = "Composite transparent images onto this colour first (white, black, #rrggbb, r,g,b); recorded in preprocessor_config.json.") String alphaBackground;
    @Option(names = "--accum", defaultValue = "1", description = "Gradient accumulation: micro-batches per step (exact: the loss sees the whole batch).") int accum;
    @Option(names = "--grad-clip", defaultValue = "0", description = "Clip the global gradient norm (0 = off).") double gradClip;
    @Option(names = "--lock-image", description = "Freeze the image tower (LiT).") boolean lockImage;
    @Option(names = "--unlock-last", defaultValue = "0", description = "With --lock-image: leave open_clip's last N layer groups trainable (1 = projection, 2 = + last block…).") int unlockLast;
    @Option(names = "--lock-text", description = "Freeze the text tower.") boolean lockText;
    @Option(names = "--resume", paramLabel = "DIR", description = "Continue from a checkpoint (a step-N directory, or an output directory: its newest checkpoint).") Path resume;
    @Option(names = "--eval-every", defaultValue = "0", description = "Evaluate on --val every N steps (and always at the end).") int evalEvery;
    @Option(names = "--save-every", defaultValue = "0", description = "Checkpoint every N steps (and always at the end).") int saveEvery;
    @Option(names = "--keep", defaultValue = "2", description = "Checkpoints kept (default: ${DEFAULT-VALUE}).") int keep;
    @Option(names = "--workers", defaultValue = "0", description = "Image reader threads (0 = one per core).") int workers;
    @Option(names = "--stop-after", defaultValue = "0", hidden = true, description = "Stop after N steps of this run (with a checkpoint).") int stopAfter;
    @Option(names = "--no-plot", description = "Do not draw metrics.png.") boolean noPlot;
    @Option(names = "--no-progress", description = "No progress bar (one line per 10 steps instead, as when stderr is not a terminal).") boolean noProgress;

    @Spec CommandSpec spec;

    @Override public Integer call() throws Exception {
        TrainOptions o = new TrainOptions();
        o.model = model; o.initArch = init; o.tokenizerFrom = tokenizerFrom; o.data = data; o.splitJson = splitJson; o.split = split;
        o.val = val; o.valSplit = valSplit; o.metadata = metadata; o.limit = limit; o.valLimit = valLimit; o.out = out;
        o.batchSize = batchSize; o.epochs = epochs; o.steps = steps; o.lr = lr; o.weightDecay = weightDecay; o.warmup = warmup;
        o.schedule = schedule.toLowerCase(Locale.ROOT); o.optimizer = optimizer.toLowerCase(Locale.ROOT);
        o.beta1 = beta1; o.beta2 = beta2; o.eps = eps; o.momentum = momentum; o.seed = seed; o.shuffle = !noShuffle; o.augment = !noAugment;
        String[] cs = cropScale.split(",");
        if (cs.length != 2) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--crop-scale takes MIN,MAX");
        try {
            o.cropScaleMin = Double.parseDouble(cs[0].trim());
            o.cropScaleMax = Double.parseDouble(cs[1].trim());
        } catch (NumberFormatException e) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--crop-scale takes two numbers MIN,MAX, got '" + cropScale + "'");
        }
        o.alphaBackground = alphaBackground == null ? null : ModelFiles.parseColor(alphaBackground);
        o.accum = accum; o.gradClip = gradClip; o.lockImage = lockImage; o.unlockLast = unlockLast; o.lockText = lockText; o.resume = resume;
        o.evalEvery = evalEvery; o.saveEvery = saveEvery; o.keep = keep; o.stopAfter = stopAfter; o.plot = !noPlot;
        if (workers > 0) o.workers = workers;
        PrintWriter err = spec.commandLine().getErr();
        Trainer.Summary s = new Trainer(o, new Progress(err, !noProgress && TaskOutput.interactive(), System.err)).run();
        if (s.lastEval() != null) spec.commandLine().getOut().print(s.lastEval().table());
        spec.commandLine().getOut().flush();
        return 0;
    }

    /** Progress on stderr: a bar with steps/s, ETA, loss, samples/s and lr (when enabled), else a line per 10 steps. */
    static final class Progress implements Trainer.Listener {
        private final PrintWriter err;
        private final boolean showBar;
        private final PrintStream barStream;
        private ProgressBar bar;
        private double smoothed = Double.NaN;

        Progress(PrintWriter err, boolean showBar, PrintStream barStream) {
            this.err = err;
            this.showBar = showBar;
            this.barStream = barStream;
        }

        @Override public void start(int total, int first, int batchSize) {
            if (!showBar || first >= total) return;
            bar = new ProgressBarBuilder().setTaskName("train").setInitialMax(total).startsFrom(first, java.time.Duration.ZERO)
                    .setStyle(ProgressBarStyle.ASCII).setConsumer(new me.tongfei.progressbar.ConsoleProgressBarConsumer(barStream))
                    .setUpdateIntervalMillis(500).showSpeed(TaskOutput.speedFormat()).setUnit(" steps", 1).build();
        }

        @Override public void step(ObjectNode r) {
            double sps = r.path("samples_per_s").asDouble();
            smoothed = Double.isNaN(smoothed) ? sps : 0.9 * smoothed + 0.1 * sps;
            String extra = String.format(Locale.ROOT, "loss %.4f  %.1f samples/s  lr %.2e", r.path("loss").asDouble(), smoothed, r.path("lr").asDouble());
            if (bar != null) {
                bar.stepTo(r.path("step").asLong());
                bar.setExtraMessage("  " + extra);                // the library puts it right after "steps/s"
            } else if (r.path("step").asInt() % 10 == 0 || r.path("step").asInt() == 1) {
                err.println("step " + r.path("step").asInt() + ": " + extra);
                err.flush();
            }
        }

        @Override public void eval(int step, Evaluation.Report report) {
            message(String.format(Locale.ROOT, "eval at step %d: i→t R@1 %.2f, t→i R@1 %.2f, mean recall %.2f%s", step, 100 * report.imageToText()[0],
                    100 * report.textToImage()[0], 100 * report.meanRecall(),
                    report.zeroShot().isEmpty() ? "" : String.format(Locale.ROOT, ", zero-shot %s top-1 %.2f", report.zeroShot().get(0).field(), 100 * report.zeroShot().get(0).top1())));
        }

        @Override public void message(String line) {
            if (bar != null) barStream.println();
            err.println("clip4j: " + line);
            err.flush();
        }

        @Override public void end() {
            if (bar != null) { bar.close(); bar = null; }
        }
    }
}
