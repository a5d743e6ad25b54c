package io.clip4j.cli;

import io.clip4j.index.Hit;
import io.clip4j.index.ImageIndex;
import io.clip4j.index.SearchOptions;
import io.clip4j.model.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** Semantic search over an index. */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Search an image index by text or by image.",
                "Prints the indexed images most similar to a text QUERY or to an --image, best first, with their cosine similarity (equal scores in path order):",
                "  0.3104  /photos/beach.jpg",
                "With --json one object per hit, in rank order: {\"path\":\"/abs/path.jpg\",\"score\":0.31}. The model defaults to the one recorded in the index."})
final class SearchCommand implements Callable<Integer> {
    @Parameters(arity = "0..1", paramLabel = "QUERY", description = "Text to search for.")
    String query;

    @Option(names = "--index", required = true, paramLabel = "DIR", description = "Index directory.")
    Path indexDir;

    @Option(names = "--image", paramLabel = "FILE", description = "Search by this image instead of a text.")
    Path image;

    @Option(names = "-k", defaultValue = "10", paramLabel = "N", description = "Number of hits (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--exact", description = "Compare with every stored vector (brute force). By default indexes of up to 10,000 images are searched this way, larger ones through the HNSW graph.")
    boolean exact;

    @Option(names = "--hnsw", description = "Always search the HNSW graph (candidates re-scored exactly), even in small indexes.")
    boolean hnsw;

    @Option(names = "--candidates", paramLabel = "N", description = "HNSW candidates re-scored before the top k are kept (default: max(k, 100)).")
    int candidates;

    @Option(names = "--prefix", paramLabel = "P", description = "Only files whose absolute path starts with P (end it with / for a folder).")
    String prefix;

    @Option(names = "--json", description = "One JSON object per hit.")
    boolean json;

    @Mixin ModelOptions modelOptions;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        TaskOutput.quietLucene();
        if ((query == null) == (image == null)) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give a text QUERY or --image FILE (one of them)");
        if (k < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "-k must be at least 1");
        PrintWriter out = spec.commandLine().getOut();
        if (exact && hnsw) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--exact and --hnsw exclude each other");
        if (candidates < 0) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--candidates must not be negative");
        SearchOptions options = SearchOptions.defaults().withMethod(exact ? SearchOptions.Method.EXACT : hnsw ? SearchOptions.Method.HNSW : SearchOptions.Method.AUTO)
                .withPathPrefix(TaskOutput.absolutePrefix(prefix)).withCandidates(candidates);
        List<Hit> hits;
        try (ImageIndex idx = ImageIndex.open(indexDir); ClipModel model = TaskOutput.loadModel(modelOptions, idx.model(), indexDir)) {
            hits = query != null ? idx.searchText(model, query, k, options) : idx.searchImage(model, image, k, options);
        }
        for (Hit h : hits) {
            if (json) {
                var o = Json.MAPPER.createObjectNode();
                o.put("path", h.path()).put("score", h.score());
                out.println(o);
            } else {
                out.printf("%.4f  %s%n", h.score(), h.path());
            }
        }
        out.flush();
        return 0;
    }
}
