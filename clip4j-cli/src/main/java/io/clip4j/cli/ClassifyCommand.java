package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.task.ImageEmbedder;
import io.clip4j.task.Prediction;
import io.clip4j.task.PromptTemplates;
import io.clip4j.task.ZeroShotClassifier;
import io.clip4j.text.TextInput;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Zero-shot classification. */
@Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Zero-shot classification of images against text labels.",
                "Each label becomes one caption per prompt template; the captions' embeddings are averaged into the label's embedding (the CLIP paper's ensembling). Labels are ranked by the cosine similarity of the image with them; probabilities are a softmax over exp(logit_scale)·cos (SigLIP: each label's own sigmoid of exp(logit_scale)·cos + logit_bias). Folders are searched for images.",
                "Text output: the image, then one line per label: probability, label, cosine. With --json one object per image: {\"path\":…,\"predictions\":[{\"label\":…,\"score\":cos,\"probability\":p},…]}, or {\"path\":…,\"error\":…}."})
final class ClassifyCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image files or folders.")
    List<Path> images = new ArrayList<>();

    @Option(names = "--labels", split = ",", paramLabel = "A,B,…", description = "Labels, comma-separated (repeatable).")
    List<String> labels = new ArrayList<>();

    @Option(names = "--labels-file", paramLabel = "FILE", description = "Labels, one per line (blank lines skipped).")
    Path labelsFile;

    @Option(names = "--templates", paramLabel = "SET|FILE", description = {"Prompt templates: imagenet (the paper's 80), simple (7), single",
            "(\"a photo of a {}.\"), none (the label alone), or a file (one per line, or a JSON array).",
            "Default: single, unless --template is given."})
    String templates;

    @Option(names = "--template", paramLabel = "T", description = "A template with {} (or {c}) for the label (repeatable; added to --templates).")
    List<String> template = new ArrayList<>();

    @Option(names = "-k", defaultValue = "5", paramLabel = "N", description = "Labels to print per image (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--json", description = "One JSON object per image.")
    boolean json;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin ModelOptions modelOptions;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        if (k < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "-k must be at least 1");
        if (batchSize < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1");
        List<String> all = labels();
        if (all.isEmpty()) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "no labels: give --labels a,b,c or --labels-file FILE");
        // a label given twice would split its probability between two rows
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String l : all)
            if (!seen.add(l)) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "the label '" + l + "' is given twice");
        PromptTemplates t = templates();
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        List<TaskOutput.Missing> missing = new ArrayList<>();
        List<Path> files = TaskOutput.expand(images, missing);
        int[] failures = {0};
        try (ClipModel model = modelOptions.load()) {
            ZeroShotClassifier zs = ZeroShotClassifier.create(model, all, t);
            for (TaskOutput.Missing m : missing) {
                failures[0]++;
                err.println("clip4j: " + m.error());
                print(out, m.path().toString(), null, m.error());
            }
            new ImageEmbedder(model, batchSize, false).embed(files, batch -> {
                for (ImageEmbedder.Result r : batch) {
                    if (!r.ok()) {
                        failures[0]++;
                        err.println("clip4j: " + r.error());
                        print(out, r.path().toString(), null, r.error());
                    } else {
                        print(out, r.path().toString(), zs.classify(r.embedding(), k), null);
                    }
                }
                out.flush();
            });
        }
        out.flush();
        return failures[0] == 0 ? 0 : 1;
    }

    private void print(PrintWriter out, String path, List<Prediction> predictions, String error) {
        if (json) {
            var o = Json.MAPPER.createObjectNode();
            o.put("path", path);
            if (error != null) o.put("error", error);
            else {
                var a = o.putArray("predictions");
                for (Prediction p : predictions) a.addObject().put("label", p.label()).put("score", p.score()).put("probability", p.probability());
            }
            out.println(o);
        } else if (error == null) {
            out.println(path);
            for (Prediction p : predictions) out.printf("  %7.3f%%  %s  (cosine %.4f)%n", 100 * p.probability(), p.label(), p.score());
        }
    }

    private List<String> labels() {
        List<String> all = new ArrayList<>();
        for (String l : labels) if (!l.isBlank()) all.add(l.strip());
        if (labelsFile != null) {
            try {
                for (String line : TextInput.readUtf8(labelsFile).lines().toList()) if (!line.isBlank()) all.add(line.strip());
            } catch (NoSuchFileException e) {
                throw new Clip4jException("labels file not found: " + labelsFile);
            } catch (IOException e) {
                throw new Clip4jException("cannot read labels file " + labelsFile + ": " + e.getMessage(), e);
            }
        }
        return all;
    }

    private PromptTemplates templates() {
        PromptTemplates custom = template.isEmpty() ? null : PromptTemplates.of(template);
        if (templates == null) return custom != null ? custom : PromptTemplates.single();
        PromptTemplates named = PromptTemplates.parse(templates);
        return custom == null ? named : named.plus(custom);
    }
}
