package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.clip4j.Clip4jException;
import io.clip4j.io.HfCheckpointWriter;
import io.clip4j.io.SafeTensors;
import io.clip4j.nn.Param;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Training checkpoints under {@code OUT/checkpoints/}: one directory per save, {@code step-00000100/}, holding the
 * model in Hugging Face layout (loadable as is) plus
 * <ul>
 *   <li>{@code optimizer.safetensors}: AdamW {@code m/NAME}, {@code v/NAME} or SGD {@code buf/NAME} per parameter (F32);</li>
 *   <li>{@code trainer_state.json}: step, epoch, position in the epoch's order, seed, AdamW step counts, skipped
 *       images, the run's settings: everything {@code --resume} needs to continue the same loss curve.</li>
 * </ul>
 *
 * <p>Atomicity: a checkpoint is assembled in {@code checkpoints/.tmp-step-…}, every file fsynced, then the directory is
 * renamed to {@code step-…} in one atomic rename; only then is {@code checkpoints/latest.json} (naming it) replaced,
 * atomically too. Directories go away the same way in reverse: a checkpoint being replaced (the same step saved
 * again) or pruned is first renamed to a {@code .tmp-…} name and deleted after. So a {@code step-…} directory is
 * always complete, and a crash (kill -9, power loss) at any moment leaves the previous checkpoints and either the new
 * one complete or no trace of it but {@code .tmp-…} entries, which the next run removes ({@link #cleanTemporaries};
 * a checkpoint moved aside for a replacement that never arrived is put back instead). The tests kill a saving process with SIGKILL at random moments and check this.
 */
public final class Checkpoints {
    private Checkpoints() {}

    private static final ObjectMapper JSON = new ObjectMapper();
    public static final String STATE_FILE = "trainer_state.json";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    public static final String LATEST = "latest";

    /** Test hook: called after the temporary directory is complete, before the rename (simulates a crash there). */
    static volatile Runnable beforeRename = () -> {};

    public static String dirName(int step) { return String.format("step-%08d", step); }

    /**
     * Writes a checkpoint atomically.
     * @param writeModel writes the model files into the directory it is given
     */
    public static Path save(Path checkpointsDir, int step, ModelWriter writeModel, Optimizer optimizer, List<Param> params, ObjectNode state) throws IOException {
        Files.createDirectories(checkpointsDir);
        Path tmp = Files.createTempDirectory(checkpointsDir, ".tmp-" + dirName(step) + "-");
        try {
            writeModel.write(tmp);
            Map<String, SafeTensors.Entry> entries = new LinkedHashMap<>();
            ObjectNode steps = state.putObject("adamw_steps");
            for (Param p : params) {
                if (optimizer instanceof AdamW a) {
                    AdamW.ParamState s = a.state(p);
                    if (s == null) continue;
                    entries.put("m/" + p.name, SafeTensors.Entry.f32(s.m(), p.numel()));
                    entries.put("v/" + p.name, SafeTensors.Entry.f32(s.v(), p.numel()));
                    steps.put(p.name, s.t());
                } else if (optimizer instanceof Sgd sgd) {
                    float[] b = sgd.buffer(p);
                    if (b != null) entries.put("buf/" + p.name, SafeTensors.Entry.f32(b, p.numel()));
                }
            }
            if (entries.isEmpty()) entries.put("empty", SafeTensors.Entry.f32(new float[0], 0));
            SafeTensors.write(tmp.resolve(OPTIMIZER_FILE), entries, Map.of("format", "clip4j-optimizer"));
            HfCheckpointWriter.writeJson(tmp.resolve(STATE_FILE), state);
            try (Stream<Path> files = Files.list(tmp)) {
                for (Path f : files.toList()) fsync(f);
            }
            fsync(tmp);
            beforeRename.run();
            Path dst = checkpointsDir.resolve(dirName(step));
            // a checkpoint of this step already there (a resumed run saving a step again): moved aside in one rename,
            // deleted once the new one is in place (deleting it first would leave a torn step-… directory on a crash)
            Path replaced = Files.exists(dst) ? moveAside(dst, "replaced") : null;
            Files.move(tmp, dst, StandardCopyOption.ATOMIC_MOVE);
            fsync(checkpointsDir);
            HfCheckpointWriter.writeJson(checkpointsDir.resolve(LATEST + ".json"), JSON.createObjectNode().put("checkpoint", dst.getFileName().toString()).put("step", step));
            if (replaced != null) deleteTree(replaced);
            return dst;
        } finally {
            if (Files.exists(tmp)) deleteTree(tmp);
        }
    }

    @FunctionalInterface
    public interface ModelWriter { void write(Path dir) throws IOException; }

    /**
     * Removes leftovers of interrupted saves: {@code .tmp-…} directories (a checkpoint being written, replaced or
     * pruned) and {@code .NAME.….tmp} files (a file being replaced atomically, e.g. latest.json).
     */
    public static void cleanTemporaries(Path checkpointsDir) throws IOException {
        if (!Files.isDirectory(checkpointsDir)) return;
        try (Stream<Path> s = Files.list(checkpointsDir)) {
            for (Path p : s.toList()) {
                String n = p.getFileName().toString();
                // a checkpoint moved aside to be replaced, whose replacement never arrived (killed between the two
                // renames): it is still the only copy of its step, so it goes back
                java.util.regex.Matcher m = REPLACED.matcher(n);
                if (m.matches() && Files.isDirectory(p) && Files.isRegularFile(p.resolve(STATE_FILE))
                        && !Files.exists(checkpointsDir.resolve(m.group(1)))) {
                    Files.move(p, checkpointsDir.resolve(m.group(1)), StandardCopyOption.ATOMIC_MOVE);
                    continue;
                }
                if (n.startsWith(".tmp-") || (n.startsWith(".") && n.endsWith(".tmp") && Files.isRegularFile(p))) deleteTree(p);
            }
        }
    }

    /** The name {@link #moveAside} gives a checkpoint being replaced; group 1 is its own name. */
    private static final java.util.regex.Pattern REPLACED = java.util.regex.Pattern.compile("\\.tmp-replaced-(step-\\d+)-.*");

    /** Deletes all but the newest keep checkpoints (each renamed to a .tmp-… name first, so none is ever left torn). */
    public static void prune(Path checkpointsDir, int keep) throws IOException {
        prune(checkpointsDir, keep, Integer.MAX_VALUE);
    }

    /**
     * Deletes all but the newest keep checkpoints of steps ≤ upToStep (the step a run has just saved): checkpoints of
     * later steps, left by a run that went further before this one resumed from an earlier step, are not this run's
     * to delete, and must not push its own newest checkpoint out.
     */
    public static void prune(Path checkpointsDir, int keep, int upToStep) throws IOException {
        if (keep <= 0) return;
        List<Path> all = list(checkpointsDir).stream().filter(p -> stepOf(p) <= upToStep).toList();
        for (int i = 0; i < all.size() - keep; i++) deleteTree(moveAside(all.get(i), "pruned"));
    }

    private static long stepOf(Path checkpoint) {
        return Long.parseLong(checkpoint.getFileName().toString().substring("step-".length()));
    }

    /** Renames a checkpoint directory to a fresh .tmp-WHY-NAME-… name beside it (atomically) and returns the new path. */
    private static Path moveAside(Path dir, String why) throws IOException {
        String base = ".tmp-" + why + "-" + dir.getFileName() + "-";
        for (int i = 0; ; i++) {
            Path to = dir.resolveSibling(base + ProcessHandle.current().pid() + "-" + System.nanoTime() + "-" + i);
            if (Files.exists(to)) continue;
            Files.move(dir, to, StandardCopyOption.ATOMIC_MOVE);
            return to;
        }
    }

    /** Complete checkpoints, oldest first. */
    public static List<Path> list(Path checkpointsDir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(checkpointsDir)) return out;
        try (Stream<Path> s = Files.list(checkpointsDir)) {
            s.filter(p -> p.getFileName().toString().matches("step-\\d+") && Files.isRegularFile(p.resolve(STATE_FILE)))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString())).forEach(out::add);
        }
        return out;
    }

    /**
     * The checkpoint to resume from: dir itself when it is one (holds trainer_state.json), else the newest complete
     * checkpoint under dir/checkpoints (a training output directory) or under dir (a checkpoints folder).
     */
    public static Path resolve(Path dir) throws IOException {
        if (Files.isRegularFile(dir.resolve(STATE_FILE))) return dir;
        for (Path c : List.of(dir.resolve("checkpoints"), dir)) {
            List<Path> all = list(c);
            if (!all.isEmpty()) return all.get(all.size() - 1);
        }
        throw new Clip4jException("no checkpoint to resume in " + dir + " (expected " + STATE_FILE + " or checkpoints/step-*)");
    }

    public static JsonNode readState(Path checkpoint) {
        try {
            return JSON.readTree(checkpoint.resolve(STATE_FILE).toFile());
        } catch (IOException e) {
            throw new Clip4jException("cannot read " + checkpoint.resolve(STATE_FILE) + ": " + e.getMessage(), e);
        }
    }

    /** Restores the optimizer's state from a checkpoint (parameters matched by name). */
    public static void loadOptimizer(Path checkpoint, Optimizer optimizer, List<Param> params, JsonNode state) {
        Path f = checkpoint.resolve(OPTIMIZER_FILE);
        try (SafeTensors st = SafeTensors.open(f)) {
            JsonNode steps = state.path("adamw_steps");
            for (Param p : params) {
                if (optimizer instanceof AdamW a && st.has("m/" + p.name)) {
                    a.setState(p, st.floats("m/" + p.name), st.floats("v/" + p.name), steps.path(p.name).asInt());
                } else if (optimizer instanceof Sgd s && st.has("buf/" + p.name)) {
                    s.setBuffer(p, st.floats("buf/" + p.name));
                }
            }
        }
    }

    static void fsync(Path p) {
        try (FileChannel ch = FileChannel.open(p, Files.isDirectory(p) ? StandardOpenOption.READ : StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException ignored) {
            // directories cannot be opened for sync on every platform: best effort
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) return;
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
        }
    }
}
