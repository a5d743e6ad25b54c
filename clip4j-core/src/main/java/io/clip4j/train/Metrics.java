package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.Clip4jException;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code metrics.jsonl}: one JSON object per line, flushed as written.
 * {@code {"type":"train","step":…,"epoch":…,"lr":…,"loss":…,"logit_scale":…,"samples_per_s":…}} per step (step
 * counts steps done, 1-based; SigLIP adds {@code "logit_bias"}), {@code {"type":"eval","step":…, …recall, zero-shot,
 * loss, loss_type}} per evaluation.
 * Resuming at step s first drops the records of steps after s (those of the interrupted run's lost tail).
 */
public final class Metrics implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    private final Path file;
    private final BufferedWriter out;

    public Metrics(Path file, int resumeStep) {
        this.file = file;
        try {
            if (resumeStep >= 0 && Files.isRegularFile(file)) {
                List<String> keep = new ArrayList<>();
                for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                    if (l.isBlank()) continue;
                    try {
                        if (JSON.readTree(l).path("step").asInt() <= resumeStep) keep.add(l);
                    } catch (IOException ignored) {
                        // a torn last line of a killed run
                    }
                }
                Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
                Files.write(tmp, keep, StandardCharsets.UTF_8);
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    resumeStep >= 0 ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new Clip4jException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() { return file; }

    public synchronized void write(ObjectNode record) {
        try {
            out.write(record.toString());
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new Clip4jException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Every record of a metrics file (unparseable lines skipped). */
    public static List<JsonNode> read(Path file) {
        List<JsonNode> out = new ArrayList<>();
        try {
            for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (l.isBlank()) continue;
                try {
                    out.add(JSON.readTree(l));
                } catch (IOException ignored) {
                }
            }
        } catch (IOException e) {
            throw new Clip4jException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    @Override public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
        }
    }
}
