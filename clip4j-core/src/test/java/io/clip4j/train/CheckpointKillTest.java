package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.clip4j.model.ClipModel;
import io.clip4j.nn.Param;
import io.clip4j.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * kill -9 during checkpoint saves, for real: {@code train} runs in a child JVM ({@link TrainProcess}, the trainer's own
 * save path, a checkpoint after every step, the newest two kept) and is killed with SIGKILL
 * ({@link Process#destroyForcibly()}) at random moments: half of the kills aimed into a save (right after its
 * temporary directory appears, at a random delay), half at a random time. After every kill each {@code step-…}
 * directory must be complete (the model loads with {@link ClipModel#load}, the trainer state and the optimizer state
 * read back), the newest must not go back in time, and the next run resumes from it, clears the leftovers and saves
 * on. The run killed again and again, then finished, must end with exactly the model and loss curve of an
 * uninterrupted run.
 */
class CheckpointKillTest {
    @TempDir Path tmp;

    static final int STEPS = 16, KILLS = 5;

    @Test void killingATrainingRunDuringSavesNeverLeavesABrokenCheckpoint() throws Exception {
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 10);          // 2 batches of 4 per epoch, 2 images left over
        Path model = TrainTesting.microModelSmallVocab(tmp.resolve("model"), 21, table);
        Path out = tmp.resolve("killed"), ckpt = out.resolve("checkpoints"), log = tmp.resolve("child.log");
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        String why = " (random seed " + seed + ", log " + log + ")";

        int kills = 0, newest = 0, runs = 0;
        boolean finished = false;
        while (!finished) {
            assertTrue(runs++ < KILLS + 8, "the run does not get to its end" + why);
            boolean resume = !Checkpoints.list(ckpt).isEmpty();
            List<String> args = new ArrayList<>(List.of("data=" + table, "out=" + out, "steps=" + STEPS, "save-every=1", "workers=2"));
            args.add(resume ? "resume=true" : "model=" + model);
            Files.writeString(log, "---- run " + runs + (resume ? " (resume)" : "") + "\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            Process p = ChildJvm.start(List.of("-Xmx512m"), TrainProcess.class, args, log);
            if (kills < KILLS) {
                if (kills % 2 == 0) killDuringASave(p, ckpt, rnd);
                else if (!p.waitFor(200 + rnd.nextInt(1800), TimeUnit.MILLISECONDS)) p.destroyForcibly();
            }
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor();
                fail("child ran over 60 s" + why + "\n" + ChildJvm.tail(log));
            }
            int code = p.exitValue();
            if (code == 0) finished = true;
            else kills++;
            if (!finished) assertEquals(137, code, "killed by SIGKILL" + why + "\n" + ChildJvm.tail(log));
            newest = checkConsistent(ckpt, newest, why);
        }
        assertTrue(kills >= KILLS / 2, "only " + kills + " kills landed before the run finished" + why);
        try (Stream<Path> s = Files.list(ckpt)) {
            List<String> left = s.map(q -> q.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
            assertEquals(List.of(), left, "temporary leftovers after the final run" + why);
        }

        // the same run without interruptions, in this JVM
        TrainOptions o = TrainerTest.options(model, table, tmp.resolve("straight"));
        o.steps = STEPS;
        o.workers = 2;
        Trainer.Summary straight = TrainerTest.train(o, new ArrayList<>());
        TrainerTest.assertSameTensors(tmp.resolve("straight/model.safetensors"), out.resolve("model.safetensors"));
        List<Float> killedCurve = new ArrayList<>();
        for (JsonNode r : Metrics.read(out.resolve("metrics.jsonl"))) {
            if (r.path("type").asText().equals("train")) killedCurve.add((float) r.path("loss").asDouble());
        }
        List<Float> straightCurve = new ArrayList<>();
        for (JsonNode r : Metrics.read(tmp.resolve("straight/metrics.jsonl"))) {
            if (r.path("type").asText().equals("train")) straightCurve.add((float) r.path("loss").asDouble());
        }
        assertEquals(STEPS, straight.losses().size());
        assertEquals(straightCurve, killedCurve, "the loss curve of the killed and resumed run" + why);
    }

    /** Waits until a save is under way (its .tmp-step-… directory exists), then kills after 0–60 ms. */
    private static void killDuringASave(Process p, Path ckpt, Random rnd) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (p.isAlive() && System.nanoTime() < deadline) {
            if (savingNow(ckpt)) {
                Thread.sleep(rnd.nextInt(60));
                p.destroyForcibly();
                return;
            }
            Thread.sleep(0, 200_000);
        }
    }

    private static boolean savingNow(Path ckpt) {
        if (!Files.isDirectory(ckpt)) return false;
        try (Stream<Path> s = Files.list(ckpt)) {
            return s.anyMatch(q -> q.getFileName().toString().startsWith(".tmp-step-"));
        } catch (Exception e) {
            return false;                                       // listing raced with a rename
        }
    }

    /**
     * Every step-… directory is a complete checkpoint: the model loads, the trainer state names its step, the optimizer
     * state matches the parameters. Returns the newest step, which must not be older than the one seen before.
     */
    private static int checkConsistent(Path ckpt, int newestBefore, String why) throws Exception {
        if (!Files.isDirectory(ckpt)) {
            assertEquals(0, newestBefore, "the checkpoints directory disappeared" + why);
            return 0;
        }
        List<Path> dirs;
        try (Stream<Path> s = Files.list(ckpt)) {
            dirs = s.filter(q -> q.getFileName().toString().startsWith("step-")).sorted().toList();
        }
        assertEquals(Checkpoints.list(ckpt), dirs, "a step-… directory without its trainer state" + why);
        int newest = 0;
        for (Path d : dirs) {
            int step = Integer.parseInt(d.getFileName().toString().substring(5));
            JsonNode state = Checkpoints.readState(d);
            assertEquals(step, state.path("step").asInt(), d + why);
            // the tokenizer too: a resume reads it from the checkpoint
            assertTrue(io.clip4j.text.Tokenizers.load(d).encode("a b").length > 0, "tokenizer of " + d + why);
            try (ClipModel m = TrainFixtures.load(d)) {
                ClipTrainingGraph g = new ClipTrainingGraph(m);
                AdamW opt = new AdamW(ParamGroup.openClip(g.params(), 0.1), 0.9, 0.98, 1e-6);
                Checkpoints.loadOptimizer(d, opt, g.params(), state);
                for (Param q : g.params()) assertEquals(step, opt.steps(q), q.name + " in " + d + why);
            }
            newest = Math.max(newest, step);
        }
        if (newestBefore > 0) assertTrue(newest >= newestBefore, "the newest checkpoint went from step " + newestBefore + " to " + newest + why);
        if (newest > 0) assertEquals(dirs.get(dirs.size() - 1), Checkpoints.resolve(ckpt.getParent()), why);
        return newest;
    }
}
