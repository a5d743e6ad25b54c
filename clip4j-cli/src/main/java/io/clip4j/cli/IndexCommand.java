package io.clip4j.cli;

import io.clip4j.index.IndexUpdater;
import io.clip4j.model.ClipModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** Builds or refreshes an image index. */
@Command(name = "index", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Build or update a searchable index of the images in a folder.",
                "Indexes the images under FOLDER (recursively), or brings the index up to date: new files are embedded, changed ones re-embedded, deleted ones removed, unchanged ones (same size and mtime) skipped unread. Files with the bytes of an indexed file (touched, moved, copied) reuse its embedding.",
                "The index records the model: --model may be left out once the index exists, and another model is refused. It commits every --commit-every batches, so an interrupted run keeps what was committed and a rerun continues.",
                "Unreadable files are reported on stderr and skipped (exit code 1). Prints a summary line (--json: one object)."})
final class IndexCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "FOLDER", description = "Folder of images.")
    Path folder;

    @Option(names = "--index", required = true, paramLabel = "DIR", description = "Index directory (created when absent).")
    Path indexDir;

    @Mixin ModelOptions modelOptions;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    @Option(names = "--commit-every", defaultValue = "1", paramLabel = "N", description = "Batches between commits (default: ${DEFAULT-VALUE}).")
    int commitEvery;

    @Option(names = "--optimize", description = "Afterwards merge the index into one segment: one HNSW graph to search, several times faster queries on large indexes; the merge takes about as long as building the graph did.")
    boolean optimize;

    @Option(names = {"-q", "--quiet"}, description = "No progress bar (there is none when stderr is not a terminal either).")
    boolean quiet;

    @Option(names = "--json", description = "Print the summary as one JSON object.")
    boolean json;

    @Spec CommandSpec spec;

    @Override public Integer call() {
        TaskOutput.quietLucene();
        if (batchSize < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1");
        if (commitEvery < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--commit-every must be at least 1");
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        // before the model loads and the index directory is created
        if (!java.nio.file.Files.isDirectory(folder))
            throw new io.clip4j.Clip4jException((java.nio.file.Files.exists(folder) ? "not a folder: " : "folder not found: ") + folder);
        long t0 = System.nanoTime();
        IndexUpdater.Stats s;
        try (ClipModel model = TaskOutput.loadModel(modelOptions, IndexUpdater.recordedModel(indexDir), indexDir);
             IndexUpdater u = IndexUpdater.open(indexDir, model);
             IndexProgress progress = new IndexProgress(!quiet && TaskOutput.interactive(), err, System.err)) {
            s = u.sync(folder, model, IndexUpdater.Options.defaults().withBatchSize(batchSize).withCommitEvery(commitEvery), progress);
            if (optimize) u.optimize(1);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        if (json) {
            var o = Json.MAPPER.createObjectNode();
            o.put("index", indexDir.toAbsolutePath().normalize().toString()).put("folder", folder.toAbsolutePath().normalize().toString());
            o.put("scanned", s.scanned()).put("added", s.added()).put("changed", s.changed()).put("deleted", s.deleted())
                    .put("unchanged", s.unchanged()).put("failed", s.failed()).put("embedded", s.embedded()).put("reused", s.reused())
                    .put("documents", s.documents()).put("seconds", Math.round(secs * 1000) / 1000.0);
            out.println(o);
        } else {
            out.printf("%s: %d new, %d changed, %d deleted, %d unchanged, %d failed; %d files in %s (%d embedded, %.1f s%s)%n",
                    folder, s.added(), s.changed(), s.deleted(), s.unchanged(), s.failed(), s.documents(), indexDir, s.embedded(), secs,
                    s.embedded() > 0 ? String.format(", %.1f images/s", s.embedded() / secs) : "");
        }
        out.flush();
        return s.failed() == 0 ? 0 : 1;
    }
}
