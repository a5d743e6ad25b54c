package io.clip4j.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * An output file the CLI streams into: written to a temporary file beside it and moved into place by {@link #commit},
 * so that a run that fails or is killed leaves an existing file as it was; the result is an ordinary file (0644, not
 * the temporary's 0600). A symbolic link is written through to its target instead of being replaced by a file, and a
 * device or pipe is written directly. {@link #close} without a commit deletes the temporary file.
 */
final class OutputFile implements AutoCloseable {
    private final Path target;
    private final OutputStream stream;
    private Path tmp;

    private OutputFile(Path target, Path tmp, OutputStream stream) {
        this.target = target;
        this.tmp = tmp;
        this.stream = stream;
    }

    /** Opens file for writing; its folder must exist. */
    static OutputFile open(Path file) throws IOException {
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) throw new IOException("it is a directory");
        if (Files.isSymbolicLink(abs)) {
            if (!Files.exists(abs)) return new OutputFile(abs, null, Files.newOutputStream(abs));   // creates the target
            abs = abs.toRealPath();
        }
        if (Files.exists(abs) && !Files.isRegularFile(abs)) return new OutputFile(abs, null, Files.newOutputStream(abs));
        Path tmp = Files.createTempFile(abs.getParent(), "." + abs.getFileName() + ".", ".tmp");
        try {
            return new OutputFile(abs, tmp, Files.newOutputStream(tmp));
        } catch (IOException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
    }

    /** Where the bytes go until {@link #commit} (unbuffered). */
    OutputStream stream() { return stream; }

    /** Closes the stream and moves the temporary file into place. */
    void commit() throws IOException {
        stream.close();
        if (tmp != null) {
            io.clip4j.io.SafeTensors.readableByAll(tmp);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        }
    }

    /** Closes the stream; without a commit, the temporary file is deleted and an existing file is left as it was. */
    @Override public void close() {
        try {
            stream.close();
        } catch (IOException ignored) {
            // reporting the first failure
        }
        if (tmp != null) {
            try {
                Files.deleteIfExists(tmp);
            } catch (IOException ignored) {
                // best effort
            }
        }
    }
}
