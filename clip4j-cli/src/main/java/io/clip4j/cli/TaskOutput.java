package io.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.clip4j.Clip4jException;
import io.clip4j.index.IndexUpdater;
import io.clip4j.index.ModelIdentity;
import io.clip4j.model.ClipModel;

import java.io.IOException;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** Helpers shared by classify, score, index, search and dedup. */
final class TaskOutput {
    private TaskOutput() {}

    private static final java.util.logging.Logger LUCENE_VECTORS = java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization");

    /** Lucene announces its SIMD support on stderr at INFO level; the CLI keeps stderr for errors. */
    static void quietLucene() {
        LUCENE_VECTORS.setLevel(java.util.logging.Level.WARNING);
    }

    /** Pretty-printed JSON to a file, atomically ({@link io.clip4j.io.HfCheckpointWriter#writeAtomically}). */
    static void writeJsonFile(Path file, JsonNode node) {
        try {
            io.clip4j.io.HfCheckpointWriter.writeAtomically(file,
                    (Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new Clip4jException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** An input path that is missing, with its message. */
    record Missing(Path path, String error) {}

    /**
     * Files as given, folders expanded to the image files under them (recursively, following links, sorted, hidden
     * names skipped, by extension: {@link IndexUpdater#DEFAULT_EXTENSIONS}); inputs that do not exist go to missing.
     */
    static List<Path> expand(List<Path> inputs, List<Missing> missing) {
        List<Path> out = new ArrayList<>();
        for (Path in : inputs) {
            if (Files.isDirectory(in)) {
                List<Path> found = new ArrayList<>();
                try {
                    Files.walkFileTree(in, java.util.EnumSet.of(java.nio.file.FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                        @Override public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                            return !d.equals(in) && d.getFileName().toString().startsWith(".") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                        }

                        @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                            String n = f.getFileName().toString();
                            int dot = n.lastIndexOf('.');
                            if (a.isRegularFile() && !n.startsWith(".") && dot > 0
                                    && IndexUpdater.DEFAULT_EXTENSIONS.contains(n.substring(dot + 1).toLowerCase(Locale.ROOT))) found.add(f);
                            return FileVisitResult.CONTINUE;
                        }

                        @Override public FileVisitResult visitFileFailed(Path f, IOException e) {
                            missing.add(new Missing(f, "cannot read " + f + ": " + e.getMessage()));
                            return FileVisitResult.CONTINUE;
                        }
                    });
                } catch (IOException e) {
                    missing.add(new Missing(in, "cannot read " + in + ": " + e.getMessage()));
                }
                found.sort(null);
                out.addAll(found);
            } else if (Files.exists(in)) {
                out.add(in);
            } else {
                missing.add(new Missing(in, "file not found: " + in));
            }
        }
        return out;
    }

    /** The model of --model, else the one recorded in an index, else (a new index) the bundled model. */
    static ClipModel loadModel(ModelOptions options, ModelIdentity recorded, Path indexDir) {
        if (options.model != null || recorded == null) return options.load();
        Path dir = recorded.dir();
        if (!Files.isDirectory(dir)) {
            throw new Clip4jException("the index was built with the model at " + dir + ", which is not there any more: pass --model DIR (the same weights)");
        }
        return ClipModel.load(dir, options.options());
    }

    /**
     * Whether a progress bar makes sense: stderr, where bars are drawn, is a terminal. System.console() tells only
     * about stdin and stdout (`2>log` from a terminal still has one), so this asks the C library's isatty(2); where it
     * cannot (Windows, native access not enabled), a console on stdin and stdout is taken as the answer.
     */
    static boolean interactive() {
        Boolean stderrTerminal = isatty(2);
        if (stderrTerminal != null) return stderrTerminal;
        java.io.Console c = System.console();
        return c != null && c.isTerminal();
    }

    /** isatty(fd), or null where it cannot be called. */
    private static Boolean isatty(int fd) {
        if (System.getProperty("os.name", "").startsWith("Windows") || !TaskOutput.class.getModule().isNativeAccessEnabled()) return null;
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.downcallHandle(linker.defaultLookup().find("isatty").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int) isatty.invokeExact(fd) != 0;
        } catch (Throwable e) {
            return null;
        }
    }

    /** The speed format of progress bars: 0.3, not the library's default .3 (and a point in every locale). */
    static DecimalFormat speedFormat() {
        return new DecimalFormat("0.0", DecimalFormatSymbols.getInstance(Locale.ROOT));
    }

    /** A path prefix filter as absolute path text; a trailing separator is kept (it limits the filter to a folder). */
    static String absolutePrefix(String prefix) {
        if (prefix == null) return null;
        boolean slash = prefix.endsWith("/") || prefix.endsWith(java.io.File.separator);
        String abs = Path.of(prefix).toAbsolutePath().normalize().toString();
        return slash && !abs.endsWith(java.io.File.separator) ? abs + java.io.File.separator : abs;
    }
}
