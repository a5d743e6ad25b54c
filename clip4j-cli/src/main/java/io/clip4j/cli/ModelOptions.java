package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.io.Hub;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ModelConfig;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;

/** The options every model-using command shares. */
final class ModelOptions {
    @Option(names = "--model", paramLabel = "DIR|ORG/NAME", description = {"Model directory (Hugging Face or OpenCLIP layout), or a Hugging Face",
            "repository id. Default: the bundled model (models/clip4j-emoji: a small CLIP trained on emoji).",
            "Repository ids (org/name[@revision]) are downloaded once into ~/.cache/clip4j/hub (HF_ENDPOINT, HF_TOKEN, CLIP4J_CACHE apply)."})
    String model;

    @Option(names = "--tokenizer", paramLabel = "DIR", description = "Directory with vocab.json and merges.txt, when the model directory has none.")
    Path tokenizer;

    @Option(names = "--weights", paramLabel = "mapped|heap|bf16", converter = WeightsConverter.class,
            description = {"How the weight matrices are held (default: mapped). mapped: read in place from the memory-mapped",
                    "checkpoint (fastest load; same results as heap); heap: float copies; bf16: rounded to bfloat16,",
                    "held once at half of float's bytes (least memory; cosine to the float embeddings about 0.99998)."})
    ClipModel.WeightStorage weights = ClipModel.WeightStorage.MAPPED;

    static final class WeightsConverter implements picocli.CommandLine.ITypeConverter<ClipModel.WeightStorage> {
        @Override public ClipModel.WeightStorage convert(String s) {
            try {
                return ClipModel.WeightStorage.valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new picocli.CommandLine.TypeConversionException("expected mapped, heap or bf16, got '" + s + "'");
            }
        }
    }

    /** The loading options these flags ask for. */
    ClipModel.Options options() {
        ClipModel.Options o = ClipModel.Options.defaults().withWeights(weights);
        return tokenizer != null ? o.withTokenizerDir(tokenizer) : o;
    }

    private Path resolved;

    /** The model folder: --model as a directory, or downloaded from the Hub when it is a repository id. */
    Path modelDir() {
        if (resolved != null) return resolved;
        if (model == null) {
            resolved = bundledModel();
            return resolved;
        }
        Path dir = Path.of(model);
        if (!Files.isDirectory(dir) && Hub.looksLikeRepoId(model) && !model.startsWith(".")) {
            System.err.println("clip4j: fetching " + model + " …");
            dir = Hub.fromEnvironment().download(model, null);
        }
        if (!Files.isDirectory(dir)) throw new Clip4jException("model directory not found: " + model);
        if (!ModelConfig.isModelDir(dir)) throw new Clip4jException(dir + " is not a model directory: expected config.json (Hugging Face) or open_clip_config.json (OpenCLIP)");
        resolved = dir;
        return dir;
    }

    /** The folder of the bundled default model: {@code <clip4j home>/models/clip4j-emoji}. */
    static Path bundledModel() {
        Path home = clip4jHome();
        Path dir = home == null ? null : home.resolve("models").resolve(BUNDLED);
        if (dir == null || !ModelConfig.isModelDir(dir)) {
            throw new Clip4jException("no --model given and the bundled model was not found" + (dir == null ? "" : " at " + dir)
                    + ": pass --model DIR (a Hugging Face or OpenCLIP model directory, or org/name from the Hub)");
        }
        return dir;
    }

    static final String BUNDLED = "clip4j-emoji";

    /** The installation folder: -Dclip4j.home (set by bin/clip4j), else the folder above this jar's module. */
    static Path clip4jHome() {
        String prop = System.getProperty("clip4j.home");
        if (prop != null) return Path.of(prop);
        try {
            Path p = Path.of(ModelOptions.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toAbsolutePath();
            for (Path q = p; q != null; q = q.getParent()) if (Files.isDirectory(q.resolve("models").resolve(BUNDLED))) return q;
        } catch (Exception e) {
            // no code source (e.g. an unusual class loader): no default model
        }
        return null;
    }

    ClipModel load() { return load(0); }

    /** Loads the model; maxNumPatches &gt; 0 overrides a NaFlex model's patch budget. */
    ClipModel load(int maxNumPatches) {
        return ClipModel.load(modelDir(), options().withMaxNumPatches(maxNumPatches));
    }
}
