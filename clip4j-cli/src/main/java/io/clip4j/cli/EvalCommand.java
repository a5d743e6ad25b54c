package io.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.clip4j.model.ClipModel;
import io.clip4j.text.Tokenizer;
import io.clip4j.train.Augment;
import io.clip4j.train.Evaluation;
import io.clip4j.train.ModelFiles;
import io.clip4j.train.data.CaptionTable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** clip4j eval: retrieval recall and zero-shot accuracy on a caption table. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate a model on an image–caption table.",
                "Image→text and text→image recall@1/5/10 over all its distinct captions, the model's training loss (contrastive for CLIP, sigmoid for SigLIP), and zero-shot classification by metadata fields (--classes FIELD=TEMPLATE; for a table with metadata.jsonl next to it, by default \"an emoji of {name}\" and \"an emoji from the {category:lower} category\")."})
final class EvalCommand implements Callable<Integer> {
    @Mixin ModelOptions modelOptions;
    @Option(names = "--data", required = true, paramLabel = "TABLE", description = "Caption table (.tsv/.csv/.jsonl).") Path data;
    @Option(names = "--split-json", paramLabel = "FILE", description = "splits.json: evaluate only --split's images.") Path splitJson;
    @Option(names = "--split", defaultValue = "test", description = "Split (default: ${DEFAULT-VALUE}).") String split;
    @Option(names = "--metadata", paramLabel = "FILE", description = "metadata.jsonl for zero-shot (default: next to the table).") Path metadata;
    @Option(names = "--classes", paramLabel = "FIELD=TEMPLATE", description = "Zero-shot task (repeatable), e.g. \"name=an emoji of {name}\".") List<String> classes = new ArrayList<>();
    @Option(names = "--limit", defaultValue = "0", description = "Only the first N images (0 = all).") int limit;
    @Option(names = "--batch-size", defaultValue = "64", description = "Inputs per forward pass (default: ${DEFAULT-VALUE}).") int batchSize;
    @Option(names = "--alpha-background", paramLabel = "COLOR", description = "Override the model's alpha_background (white, black, r,g,b, none).") String alphaBackground;
    @Option(names = "--json", description = "Print the results as one JSON object.") boolean json;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        if (batchSize < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1");
        CaptionTable t = CaptionTable.read(data);
        if (splitJson != null) t = t.filterSplit(splitJson, split);
        if (limit > 0) t = t.head(limit);
        Path dir = modelOptions.modelDir();
        try (ClipModel model = ClipModel.load(dir, modelOptions.options())) {
            int[] bg = alphaBackground != null ? ModelFiles.parseColor(alphaBackground) : ModelFiles.alphaBackground(dir);
            // the model's own preprocessing, no augmentation: pixels (fixed resolution) or NaFlex patches
            Augment evalTf = model.preprocessor() == null
                    ? new Augment(model.naflexPreprocessor().withAlphaBackground(bg), false, 0.9, 1.0)
                    : new Augment(model.preprocessor().config(), model.config().vision().imageSize(), false, 0.9, 1.0, bg);
            Path meta = metadata != null ? metadata : data.toAbsolutePath().getParent().resolve("metadata.jsonl");
            Map<Path, JsonNode> md = Files.isRegularFile(meta) ? Evaluation.readMetadata(meta) : null;
            List<Evaluation.ZeroShot> tasks = classes.isEmpty() ? (md != null ? Evaluation.EMOJI_TASKS : List.of())
                    : classes.stream().map(Evaluation.ZeroShot::parse).toList();
            if (!classes.isEmpty() && md == null) throw new io.clip4j.Clip4jException("--classes needs a metadata.jsonl (--metadata FILE)");
            Tokenizer tok = model.tokenizer();
            Evaluation.Report r = Evaluation.run(model, tok, evalTf, t.items(), batchSize, model.logitScale(), md, tasks,
                    m -> spec.commandLine().getErr().println("clip4j: " + m));
            var out = spec.commandLine().getOut();
            out.print(json ? r.toJson().toString() + "\n" : r.table());
            out.flush();
        }
        return 0;
    }
}
