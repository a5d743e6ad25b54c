package io.clip4j.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The run bin/clip4j dumps its class-data archive from (-XX:ArchiveClassesAtExit): the model commands a user runs
 * most, in one JVM, on the bundled model and sample images, so that the archive holds their classes (picocli,
 * Jackson, the kernels and the Vector API's lambdas, the image decoders, Lucene). Outputs are discarded; the index
 * lives in a temporary folder that is deleted at the end.
 *
 * <pre>java -XX:ArchiveClassesAtExit=clip4j.jsa -cp … io.clip4j.cli.ArchiveWorkload SAMPLES_DIR</pre>
 *
 * Exits 0 when every command succeeded (an archive from a run that failed would miss classes, and the launcher
 * then keeps none).
 */
public final class ArchiveWorkload {
    private ArchiveWorkload() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: ArchiveWorkload SAMPLES_DIR");
            System.exit(2);
        }
        System.exit(run(Path.of(args[0]), new PrintWriter(System.err, true)));
    }

    /** Runs the commands; returns 0 when all succeeded, else 1 (each failure named on err). */
    static int run(Path samples, PrintWriter err) throws IOException {
        List<String> images = new ArrayList<>();
        try (Stream<Path> s = Files.list(samples)) {
            s.filter(p -> p.toString().endsWith(".png")).sorted().limit(8).forEach(p -> images.add(p.toString()));
        }
        if (images.isEmpty()) {
            err.println("ArchiveWorkload: no .png images in " + samples);
            return 1;
        }
        Path tmp = Files.createTempDirectory("clip4j-archive");
        int failed = 0;
        try {
            Path texts = Files.writeString(tmp.resolve("texts.json"), "[\"a smiling face\", \"a red heart\"]");
            Path index = tmp.resolve("index");
            List<List<String>> runs = new ArrayList<>();
            runs.add(concat(List.of("classify"), images, List.of("--labels", "a face,an animal,a flag,food", "--template", "an emoji of {}")));
            runs.add(concat(List.of("embed", "--texts-json", texts.toString(), "--text", "a cat"), imageOptions(images)));
            runs.add(concat(List.of("index", "--index", index.toString(), "-q"), List.of(samples.toString())));
            runs.add(List.of("search", "--index", index.toString(), "a red heart"));
            runs.add(List.of("search", "--index", index.toString(), "--image", images.get(0)));
            runs.add(List.of("dedup", "--index", index.toString()));
            for (List<String> run : runs) {
                int code = Main.run(run.toArray(String[]::new), discard(), discard());
                if (code != 0) {
                    err.println("ArchiveWorkload: " + String.join(" ", run) + " exited with " + code);
                    failed++;
                }
            }
        } finally {
            deleteTree(tmp);
        }
        return failed == 0 ? 0 : 1;
    }

    private static List<String> imageOptions(List<String> images) {
        List<String> out = new ArrayList<>();
        for (String i : images) { out.add("--image"); out.add(i); }
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        out.addAll(c);
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b) { return concat(a, b, List.of()); }

    private static PrintWriter discard() { return new PrintWriter(Writer.nullWriter()); }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }
}
