package io.clip4j.cli;

import io.clip4j.Clip4jException;
import io.clip4j.index.DuplicateGroup;
import io.clip4j.index.ImageIndex;
import io.clip4j.index.ModelIdentity;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Near-duplicate groups from an index. */
@Command(name = "dedup", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Find groups of near-duplicate images in an index.",
                "A group is images linked by pairs whose cosine similarity reaches --threshold, found among each image's --neighbours nearest in the index's HNSW graph (--exact: all pairs). Needs no model.",
                "Groups and their members in path order, a blank line between groups; --json: one object per group {\"paths\":[…],\"min_score\":…,\"max_score\":…} (the scores of the linking pairs)."})
final class DedupCommand implements Callable<Integer> {
    @Option(names = "--index", required = true, paramLabel = "DIR", description = "Index directory.")
    Path indexDir;

    @Option(names = "--threshold", defaultValue = "0.95", paramLabel = "T", description = "Cosine similarity that makes a pair (default: ${DEFAULT-VALUE}).")
    float threshold;

    @Option(names = "--neighbours", defaultValue = "10", paramLabel = "K", description = "Nearest neighbours examined per image (default: ${DEFAULT-VALUE}).")
    int neighbours;

    @Option(names = "--exact", description = "Compare all pairs (quadratic) instead of asking the graph.")
    boolean exact;

    @Option(names = "--json", description = "One JSON object per group.")
    boolean json;

    @Mixin ModelOptions modelOptions;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        TaskOutput.quietLucene();
        if (neighbours < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--neighbours must be at least 1");
        if (!(threshold >= -1 && threshold <= 1)) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--threshold must be between -1 and 1");
        PrintWriter out = spec.commandLine().getOut();
        List<DuplicateGroup> groups;
        try (ImageIndex idx = ImageIndex.open(indexDir)) {
            if (modelOptions.model != null) {
                // dedup needs only the stored vectors; a given model must still be the index's
                ModelIdentity given = ModelIdentity.of(modelOptions.modelDir(), idx.model());
                if (!given.sameModel(idx.model())) {
                    throw new Clip4jException("index " + idx.dir() + " holds embeddings of the model at " + idx.model().dir() + ", not of " + given.dir()
                            + " (dedup needs no --model: leave it out)");
                }
            }
            groups = idx.duplicates(threshold, neighbours, exact);
        }
        boolean first = true;
        for (DuplicateGroup g : groups) {
            if (json) {
                var o = Json.MAPPER.createObjectNode();
                var a = o.putArray("paths");
                g.paths().forEach(a::add);
                o.put("min_score", g.minScore()).put("max_score", g.maxScore());
                out.println(o);
            } else {
                if (!first) out.println();
                first = false;
                out.printf("# %d images, similarity %.4f–%.4f%n", g.paths().size(), g.minScore(), g.maxScore());
                g.paths().forEach(out::println);
            }
        }
        out.flush();
        return 0;
    }
}
