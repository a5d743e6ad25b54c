package io.clip4j.cli;

import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;
import io.clip4j.task.ImageEmbedder;
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

/** Image and text embeddings as JSON Lines. */
@Command(name = "embed", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Embed images and texts as JSON Lines (or an .npy matrix).",
                "One line per input, images first then texts, in input order:",
                "  {\"kind\":\"image\",\"input\":\"cat.jpg\",\"embedding\":[…]}",
                "Embeddings are L2-normalised unless --unnormalized. An input that fails gets",
                "  {\"kind\":…,\"input\":…,\"error\":\"…\"} in its place, a line on stderr, and exit code 1.",
                "With --format npy --out x.npy: a float32 matrix [n, E] in NumPy .npy (v1.0) format, one row per input that succeeded (images first, then texts), and a sidecar x.json listing the inputs in row order (and the failures)."})
final class EmbedCommand implements java.util.concurrent.Callable<Integer> {
    @Mixin ModelOptions modelOptions;

    @Option(names = "--image", paramLabel = "FILE", description = "An image file (repeatable).")
    List<Path> images = new ArrayList<>();

    @Option(names = "--text", paramLabel = "TEXT", description = "A text (repeatable).")
    List<String> texts = new ArrayList<>();

    @Option(names = "--texts-json", paramLabel = "FILE", description = "A JSON array of texts (a UTF-8 file), embedded after the --text ones.")
    Path textsJson;

    @Option(names = "--unnormalized", description = "Print the raw projected features instead of unit vectors.")
    boolean unnormalized;

    @Option(names = "--max-num-patches", paramLabel = "N", description = "NaFlex (SigLIP 2) models: patches per image, overriding preprocessor_config.json.")
    int maxNumPatches;

    @Option(names = "--batch-size", defaultValue = "32", paramLabel = "N", description = "Inputs per forward pass (default: ${DEFAULT-VALUE}).")
    int batchSize;

    enum Format { jsonl, npy }

    @Option(names = "--format", defaultValue = "jsonl", paramLabel = "FORMAT", description = "jsonl (default) or npy (needs --out).")
    Format format;

    @Option(names = "--out", paramLabel = "FILE", description = "Write to FILE instead of stdout (npy: FILE.npy plus the sidecar FILE.json).")
    Path outFile;

    @Option(names = "--timings", paramLabel = "FILE", description = "Write a JSON object with in-process timings here (JVM start, model load, first embedding, images/s, captions/s, peak RSS).")
    Path timingsFile;

    /** Where embeddings go: JSON lines, or rows collected for an .npy file. */
    private interface Sink {
        void row(String kind, String input, float[] embedding);
        void error(String kind, String input, String error);
    }

    @Spec CommandSpec spec;

    @Override public Integer call() {
        if (batchSize < 1) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--batch-size must be at least 1");
        if (maxNumPatches < 0 || maxNumPatches > 1 << 16)
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--max-num-patches must be between 1 and 65536, got " + maxNumPatches);
        List<String> allTexts = new ArrayList<>(texts);
        if (textsJson != null) allTexts.addAll(Json.readStringArray(textsJson));
        if (images.isEmpty() && allTexts.isEmpty()) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "nothing to embed: give --image, --text or --texts-json");
        }
        if (format == Format.npy && outFile == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--format npy needs --out FILE");
        // an output written over an input (--out cat.png, or the npy sidecar q.json over --texts-json q.json)
        if (outFile != null) {
            List<Path> inputsRead = new ArrayList<>(images);
            if (textsJson != null) inputsRead.add(textsJson);
            if (timingsFile != null) inputsRead.add(timingsFile);
            List<Path> written = format == Format.npy ? List.of(outFile, Npy.sidecar(outFile)) : List.of(outFile);
            for (Path w : written)
                for (Path in : inputsRead)
                    if (sameFile(w, in))
                        throw new picocli.CommandLine.ParameterException(spec.commandLine(), (w.equals(outFile) ? "--out " : "the sidecar of --out, ") + w + ", would overwrite " + in);
        }
        PrintWriter err = spec.commandLine().getErr();
        AtomicInteger failures = new AtomicInteger();
        List<float[]> rows = new ArrayList<>();
        var inputs = Json.MAPPER.createArrayNode();
        var errors = Json.MAPPER.createArrayNode();
        PrintWriter out = spec.commandLine().getOut();
        // --out FILE: written to a temporary file beside it and moved into place at the end, so that a run that
        // fails to start (or is killed) leaves an existing FILE as it was
        OutputFile outTarget = null;
        if (format == Format.jsonl && outFile != null) {
            try {
                outTarget = OutputFile.open(outFile);
                out = new PrintWriter(new java.io.BufferedWriter(new java.io.OutputStreamWriter(outTarget.stream(), java.nio.charset.StandardCharsets.UTF_8.newEncoder())), false);
            } catch (java.io.IOException e) {
                throw new io.clip4j.Clip4jException("cannot write " + outFile + ": " + e.getMessage(), e);
            }
        }
        PrintWriter lines = out;
        Sink sink = format == Format.jsonl ? new Sink() {
            @Override public void row(String kind, String input, float[] e) { lines.println(Json.embeddingLine(kind, input, e)); }
            @Override public void error(String kind, String input, String error) { lines.println(Json.errorLine(kind, input, error)); }
        } : new Sink() {
            @Override public void row(String kind, String input, float[] e) {
                rows.add(e);
                inputs.addObject().put("kind", kind).put("input", input);
            }
            @Override public void error(String kind, String input, String error) { errors.addObject().put("kind", kind).put("input", input).put("error", error); }
        };
        Timings timings = new Timings();
        Sink timed = new Sink() {
            @Override public void row(String kind, String input, float[] e) { timings.firstRow(); sink.row(kind, input, e); }
            @Override public void error(String kind, String input, String error) { sink.error(kind, input, error); }
        };
        try (ClipModel model = modelOptions.load(maxNumPatches)) {
            timings.loaded();
            if (!allTexts.isEmpty()) model.prefetchTokenizer();   // read while the kernels warm up and images encode
            int dim = model.embedDim();
            embedImages(model, timed, err, failures);
            timings.imagesDone(images.size());
            if (!allTexts.isEmpty()) {
                float[][] f = model.textFeatures(allTexts, batchSize);
                for (int i = 0; i < f.length; i++) timed.row("text", allTexts.get(i), unnormalized ? f[i] : Vectors.normalize(f[i]));
            }
            timings.textsDone(allTexts.size());
            if (format == Format.npy) {
                Npy.write(outFile, rows.toArray(new float[0][]), dim);
                var side = Json.MAPPER.createObjectNode();
                side.put("format", "npy").put("file", outFile.getFileName().toString()).put("dtype", "float32");
                side.putArray("shape").add(rows.size()).add(dim);
                side.put("normalized", !unnormalized).put("model", model.dir() == null ? null : model.dir().toAbsolutePath().toString());
                side.set("inputs", inputs);
                side.set("errors", errors);
                TaskOutput.writeJsonFile(Npy.sidecar(outFile), side);
            }
            out.flush();
            if (out.checkError()) throw new io.clip4j.Clip4jException("cannot write the embeddings" + (outFile != null ? " to " + outFile : "") + " (disk full, or the output closed)");
            if (outTarget != null) outTarget.commit();
        } catch (java.io.IOException e) {
            throw new io.clip4j.Clip4jException("cannot write " + outFile + ": " + e.getMessage(), e);
        } finally {
            out.flush();
            if (out != spec.commandLine().getOut()) out.close();
            if (outTarget != null) outTarget.close();                 // not committed: the temporary file is deleted
        }
        if (timingsFile != null) timings.write(timingsFile, batchSize);
        return failures.get() == 0 ? 0 : 1;
    }

    /** Whether a and b name the same file (the same path, or, when both exist, the same file through links). */
    private static boolean sameFile(Path a, Path b) {
        if (a.toAbsolutePath().normalize().equals(b.toAbsolutePath().normalize())) return true;
        try {
            return java.nio.file.Files.exists(a) && java.nio.file.Files.exists(b) && java.nio.file.Files.isSameFile(a, b);
        } catch (java.io.IOException e) {
            return false;
        }
    }

    /**
     * Wall-clock phases of one run, in seconds: from JVM start to this command, the model load, load start to the
     * first embedding written, the images (decode, preprocess and encode, pipelined), the texts (tokenize, encode).
     */
    private static final class Timings {
        final long jvmStartMs = java.lang.management.ManagementFactory.getRuntimeMXBean().getStartTime();
        final long t0 = System.nanoTime(), wall0 = System.currentTimeMillis();
        long loaded, first, imagesEnd, textsEnd;
        int nImages, nTexts;

        void loaded() { loaded = System.nanoTime(); imagesEnd = loaded; }
        void firstRow() { if (first == 0) first = System.nanoTime(); }
        void imagesDone(int n) { imagesEnd = System.nanoTime(); nImages = n; }
        void textsDone(int n) { textsEnd = System.nanoTime(); nTexts = n; }

        void write(Path file, int batchSize) {
            var o = Json.MAPPER.createObjectNode();
            o.put("tool", "clip4j").put("threads", io.clip4j.kernel.Parallel.threads()).put("batch_size", batchSize)
                    .put("images", nImages).put("texts", nTexts)
                    .put("jvm_start_s", (wall0 - jvmStartMs) / 1e3)
                    .put("load_s", s(loaded - t0))
                    .put("load_to_first_embedding_s", first == 0 ? null : s(first - t0))
                    .put("images_s", s(imagesEnd - loaded)).put("texts_s", s(textsEnd - imagesEnd));
            if (nImages > 0) o.put("images_per_s", nImages / s(imagesEnd - loaded));
            if (nTexts > 0) o.put("captions_per_s", nTexts / s(textsEnd - imagesEnd));
            o.put("total_s", (System.currentTimeMillis() - jvmStartMs) / 1e3);
            o.put("peak_rss_mb", peakRssMb());
            TaskOutput.writeJsonFile(file, o);
        }

        private static double s(long nanos) { return nanos / 1e9; }

        /** VmHWM from /proc/self/status (Linux), else -1. */
        private static double peakRssMb() {
            try {
                for (String line : java.nio.file.Files.readAllLines(Path.of("/proc/self/status")))
                    if (line.startsWith("VmHWM:")) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024.0;
            } catch (java.io.IOException | RuntimeException e) {
                // not Linux: no figure
            }
            return -1;
        }
    }

    /**
     * Images in batches (each decoded in parallel, the next one while the current one is encoded); a file that fails
     * is reported in its place and the others go on.
     */
    private void embedImages(ClipModel model, Sink out, PrintWriter err, AtomicInteger failures) {
        new ImageEmbedder(model, batchSize, false, !unnormalized).embed(images, batch -> {
            for (ImageEmbedder.Result r : batch) {
                String input = r.path().toString();
                if (r.ok()) {
                    out.row("image", input, r.embedding());
                } else {
                    failures.incrementAndGet();
                    err.println("clip4j: " + r.error());
                    out.error("image", input, r.error());
                }
            }
        });
    }
}
