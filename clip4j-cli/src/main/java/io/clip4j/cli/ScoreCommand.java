package io.clip4j.cli;

import io.clip4j.model.ClipModel;
import io.clip4j.task.ImageEmbedder;
import io.clip4j.task.Policy;
import io.clip4j.task.PolicyScorer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** Text-policy scoring. */
@Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Score images against a text policy and flag them.",
                "A policy is a list of rules, each with positive, negative and neutral prompts and a threshold (see docs/policy-scoring.md). A rule's score is the softmax probability mass of its positive prompts among all its prompts, at the model's temperature (SigLIP: the largest sigmoid probability of its positive prompts); the rule flags an image when the score reaches its threshold.",
                "Text output: one line per image, FLAGGED or ok, then each rule's score (* = flagged). With --json one object per image: {\"path\":…,\"flagged\":…,\"rules\":[{\"rule\",\"score\",\"threshold\",\"flagged\",\"top\",\"top_kind\",\"margin\"},…]}.",
                "CLIP scores are evidence, not verdicts: CLIP reads text in images (typographic attacks) and inherits its captions' biases."})
final class ScoreCommand implements Callable<Integer> {
    @Parameters(arity = "1..*", paramLabel = "IMAGE|DIR", description = "Image files or folders (searched recursively).")
    List<Path> inputs = new ArrayList<>();

    @Option(names = "--policy", required = true, paramLabel = "FILE", description = "Policy JSON file.")
    Path policyFile;

    @Option(names = "--json", description = "One JSON object per image.")
    boolean json;

    @Option(names = "--flagged-only", description = "Print only the images some rule flags.")
    boolean flaggedOnly;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Mixin ModelOptions modelOptions;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        if (batchSize < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1");
        Policy policy = Policy.read(policyFile);
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        List<TaskOutput.Missing> missing = new ArrayList<>();
        List<Path> files = TaskOutput.expand(inputs, missing);
        int[] failures = {0};
        try (ClipModel model = modelOptions.load()) {
            PolicyScorer scorer = PolicyScorer.create(model, policy);
            for (TaskOutput.Missing m : missing) fail(out, err, m.path().toString(), m.error(), failures);
            new ImageEmbedder(model, batchSize, false).embed(files, batch -> {
                for (ImageEmbedder.Result r : batch) {
                    if (!r.ok()) fail(out, err, r.path().toString(), r.error(), failures);
                    else print(out, r.path().toString(), scorer.score(r.embedding()));
                }
                out.flush();
            });
        }
        out.flush();
        return failures[0] == 0 ? 0 : 1;
    }

    private void fail(PrintWriter out, PrintWriter err, String path, String error, int[] failures) {
        failures[0]++;
        err.println("clip4j: " + error);
        if (json) {
            var o = Json.MAPPER.createObjectNode();
            o.put("path", path).put("error", error);
            out.println(o);
        }
    }

    private void print(PrintWriter out, String path, List<PolicyScorer.RuleScore> scores) {
        boolean flagged = scores.stream().anyMatch(PolicyScorer.RuleScore::flagged);
        if (flaggedOnly && !flagged) return;
        if (json) {
            var o = Json.MAPPER.createObjectNode();
            o.put("path", path).put("flagged", flagged);
            var a = o.putArray("rules");
            for (PolicyScorer.RuleScore s : scores) {
                a.addObject().put("rule", s.rule()).put("score", s.score()).put("threshold", s.threshold()).put("flagged", s.flagged())
                        .put("top", s.top()).put("top_kind", s.topKind()).put("margin", s.margin());
            }
            out.println(o);
        } else {
            StringBuilder sb = new StringBuilder(flagged ? "FLAGGED  " : "ok       ").append(path);
            for (PolicyScorer.RuleScore s : scores) sb.append(String.format("  %s %.3f%s", s.rule(), s.score(), s.flagged() ? "*" : ""));
            out.println(sb);
        }
    }
}
