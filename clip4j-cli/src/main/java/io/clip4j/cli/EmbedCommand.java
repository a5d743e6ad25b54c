package io.clip4j.cli;

import io.clip4j.model.ClipModel;
import io.clip4j.model.ImageInput;
import io.clip4j.model.Vectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

/** Image and text embeddings as JSON Lines. */
@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embed images and texts. Prints JSON Lines, one per input, images first then texts, in input order:",
                "  {\"kind\":\"image\",\"input\":\"cat.jpg\",\"embedding\":[…]}",
                "Embeddings are L2-normalised unless --unnormalized. An input that fails gets",
                "  {\"kind\":…,\"input\":…,\"error\":\"…\"} in its place, a line on stderr, and exit code 1."})
final class EmbedCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--image", paramLabel = "FILE", description = "An image file (repeatable).")
    List<Path> images = new ArrayList<>();

    @Option(names = "--text", paramLabel = "TEXT", description = "A text (repeatable).")
    List<String> texts = new ArrayList<>();

    @Option(names = "--texts-json", paramLabel = "FILE", description = "A JSON array of texts, embedded after the --text ones.")
    Path textsJson;

    @Option(names = "--unnormalized", description = "Print the raw projected features instead of unit vectors.")
    boolean unnormalized;

    @Option(names = "--max-num-patches", paramLabel = "N", description = "NaFlex (SigLIP 2) models: patches per image, overriding preprocessor_config.json.")
    int maxNumPatches;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Inputs per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        if (batchSize < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1");
        List<String> allTexts = new ArrayList<>(texts);
        if (textsJson != null) allTexts.addAll(Json.readStringArray(textsJson));
        if (images.isEmpty() && allTexts.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "nothing to embed: give --image, --text or --texts-json");
        }
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        AtomicInteger failures = new AtomicInteger();
        try (ClipModel model = modelOptions.load(maxNumPatches)) {
            embedImages(model, out, err, failures);
            if (!allTexts.isEmpty()) {
                float[][] f = model.textFeatures(allTexts, batchSize);
                for (int i = 0; i < f.length; i++) out.println(Json.embeddingLine("text", allTexts.get(i), unnormalized ? f[i] : Vectors.normalize(f[i])));
            }
        }
        out.flush();
        return failures.get() == 0 ? 0 : 1;
    }

    /** Decodes each batch in parallel; a file that fails is reported in its place and the others go on. */
    private void embedImages(ClipModel model, PrintWriter out, PrintWriter err, AtomicInteger failures) {
        for (int start = 0; start < images.size(); start += batchSize) {
            int n = Math.min(batchSize, images.size() - start), s0 = start;
            ImageInput[] inputs = new ImageInput[n];
            String[] errors = new String[n];
            IntStream.range(0, n).parallel().forEach(i -> {
                try {
                    inputs[i] = model.preprocess(images.get(s0 + i));
                } catch (RuntimeException e) {
                    errors[i] = Main.describe(e);
                }
            });
            List<ImageInput> good = new ArrayList<>();
            for (ImageInput in : inputs) if (in != null) good.add(in);
            float[][] f = model.encodeImages(good);
            for (int i = 0, g = 0; i < n; i++) {
                String input = images.get(s0 + i).toString();
                if (errors[i] != null) {
                    failures.incrementAndGet();
                    err.println("clip4j: " + errors[i]);
                    out.println(Json.errorLine("image", input, errors[i]));
                } else {
                    float[] e = f[g++];
                    out.println(Json.embeddingLine("image", input, unnormalized ? e : Vectors.normalize(e)));
                }
            }
        }
    }
}
