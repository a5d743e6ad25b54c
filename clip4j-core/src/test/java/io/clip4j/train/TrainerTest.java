package io.clip4j.train;

import com.fasterxml.jackson.databind.JsonNode;
import io.clip4j.image.ImagePreprocessor;
import io.clip4j.image.PreprocessConfig;
import io.clip4j.io.SafeTensors;
import io.clip4j.model.ClipModel;
import io.clip4j.nn.Param;
import io.clip4j.text.Tokenizer;
import io.clip4j.text.Tokenizers;
import io.clip4j.train.data.CaptionTable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    @TempDir Path tmp;

    static TrainOptions options(Path model, Path data, Path out) {
        TrainOptions o = new TrainOptions();
        o.model = model;
        o.data = data.toString();
        o.out = out;
        o.batchSize = 4;
        o.lr = 1e-3;
        o.weightDecay = 0.1;
        o.warmup = 2;
        o.workers = 2;
        o.plot = false;
        return o;
    }

    static Trainer.Summary train(TrainOptions o, List<String> messages) throws Exception {
        return new Trainer(o, new Trainer.Listener() {
            @Override public void message(String line) { messages.add(line); }
        }).run();
    }

    @Test void deterministicStepsMatchAManualTrainStepSequence() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 3);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        TrainOptions o = options(model, table, tmp.resolve("out"));
        o.shuffle = false;
        o.augment = false;
        o.steps = 3;
        Trainer.Summary s = train(o, new ArrayList<>());
        assertEquals(3, s.steps());

        // the same 3 steps by hand: batches are the table's images in order (2 per epoch of 8), first… captions seeded
        ClipModel m = TrainFixtures.load(model);
        Tokenizer tok = Tokenizers.load(model);
        CaptionTable t = CaptionTable.read(table);
        ImagePreprocessor pre = new ImagePreprocessor(PreprocessConfig.clip(32));
        ClipTrainingGraph g = new ClipTrainingGraph(m);
        TrainStep step = new TrainStep(g, new AdamW(ParamGroup.openClip(g.params(), 0.1), 0.9, 0.98, 1e-6), LrSchedule.cosine(1e-3, 2, 3), 0);
        List<Float> losses = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            int epoch = k / 2, first = (k % 2) * 4;
            float[] px = new float[4 * 3 * 32 * 32];
            List<String> caps = new ArrayList<>();
            for (int b = 0; b < 4; b++) {
                pre.applyInto(io.clip4j.image.ImageDecoder.read(t.items().get(first + b).image()), px, b * 3 * 32 * 32);
                caps.add(t.caption(first + b, 0, epoch));
            }
            int[][] ids = tok.tokenize(caps, 77, true);
            losses.add(step.run(px, ids).loss());
        }
        assertEquals(losses, s.losses());
        ClipModel trained = TrainFixtures.load(tmp.resolve("out"));
        List<Param> a = trained.params(), b = m.params();
        for (int i = 0; i < a.size(); i++) assertArrayEquals(b.get(i).data, a.get(i).data, a.get(i).name);
        assertEquals(g.logitScale().data[0], trained.logitScale());
        assertTrue(Files.isRegularFile(tmp.resolve("out/metrics.jsonl")));
        assertEquals(3, Metrics.read(tmp.resolve("out/metrics.jsonl")).stream().filter(r -> r.path("type").asText().equals("train")).count());
    }

    /**
     * An uninterrupted run and the same run stopped after 3 steps and resumed give bit-identical losses, parameters
     * and optimizer state, with shuffling, augmentation and several reader threads on (the defaults users run with).
     * The interrupted run goes first, so its steps run while the kernels are still interpreted or C1-compiled and the
     * others mostly on C2 code (the kernels give the same bits in every JIT tier), and the resumed part runs its
     * kernels on one thread (their sums do not depend on the thread count).
     */
    @Test void resumeContinuesTheSameLossCurveExactly() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 5);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 10);   // 2 batches per epoch, 2 images left over
        TrainOptions b1 = options(model, table, tmp.resolve("b"));
        b1.steps = 7;
        b1.stopAfter = 3;
        b1.workers = 3;
        assertTrue(b1.shuffle && b1.augment);
        Trainer.Summary half = train(b1, new ArrayList<>());
        assertEquals(3, half.steps());
        assertFalse(Files.exists(tmp.resolve("b/model.safetensors")), "no final model before the end");

        TrainOptions a = options(model, table, tmp.resolve("a"));
        a.steps = 7;
        a.workers = 3;
        a.saveEvery = 7;
        Trainer.Summary straight = train(a, new ArrayList<>());

        TrainOptions b2 = options(null, table, tmp.resolve("b"));
        b2.steps = 7;
        b2.workers = 3;
        b2.resume = tmp.resolve("b");
        // resumed with the kernels on one thread (a machine with fewer cores): every sum keeps its order
        Trainer.Summary rest = io.clip4j.kernel.Parallel.withMaxThreads(1, () -> {
            try {
                return train(b2, new ArrayList<>());
            } catch (Exception e) {
                throw new AssertionError(e);
            }
        });
        assertEquals(4, rest.stepsThisRun());
        List<Float> joined = new ArrayList<>(half.losses());
        joined.addAll(rest.losses());
        assertEquals(straight.losses().size(), joined.size());
        for (int i = 0; i < joined.size(); i++) {
            assertEquals(Float.floatToRawIntBits(straight.losses().get(i)), Float.floatToRawIntBits(joined.get(i)),
                    "step " + (i + 1) + ": " + straight.losses().get(i) + " vs " + joined.get(i));
        }
        assertSameTensors(tmp.resolve("a/model.safetensors"), tmp.resolve("b/model.safetensors"));
        // the optimizer state after the last step (moments and step counts) too
        Path ca = Checkpoints.resolve(tmp.resolve("a")), cb = Checkpoints.resolve(tmp.resolve("b"));
        assertEquals("step-00000007", ca.getFileName().toString());
        assertEquals("step-00000007", cb.getFileName().toString());
        assertSameTensors(ca.resolve(Checkpoints.OPTIMIZER_FILE), cb.resolve(Checkpoints.OPTIMIZER_FILE));
        JsonNode sa = Checkpoints.readState(ca), sb = Checkpoints.readState(cb);
        for (String k : List.of("step", "epoch", "position", "adamw_steps", "logit_scale")) assertEquals(sa.get(k), sb.get(k), k);

        List<JsonNode> recs = Metrics.read(tmp.resolve("b/metrics.jsonl"));
        assertEquals(7, recs.stream().filter(r -> r.path("type").asText().equals("train")).count());
    }

    @Test void resumingWithOtherSettingsWarnsAndNamesThem() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 6);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        TrainOptions o = options(model, table, tmp.resolve("out"));
        o.steps = 3;
        o.stopAfter = 1;
        train(o, new ArrayList<>());
        TrainOptions r = options(null, table, tmp.resolve("out"));
        r.steps = 3;
        r.resume = tmp.resolve("out");
        r.lr = 2e-3;
        r.weightDecay = 0.2;
        r.cropScaleMin = 0.5;
        List<String> messages = new ArrayList<>();
        train(r, messages);
        String warning = messages.stream().filter(m -> m.startsWith("warning: resuming with different settings")).findFirst().orElse("");
        for (String k : List.of("lr 0.001 → 0.002", "weight_decay 0.1 → 0.2", "crop_scale_min 0.9 → 0.5")) assertTrue(warning.contains(k), k + " in " + messages);
    }

    /**
     * A resumed run copies the tokenizer into every checkpoint and the final model even after pruning has deleted the
     * checkpoint it resumed from; a second resume from its newest checkpoint then works.
     */
    @Test void aResumedRunKeepsTheTokenizerAfterItsSourceCheckpointIsPruned() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 8);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        Path out = tmp.resolve("out"), ckpt = out.resolve("checkpoints");
        TrainOptions o = options(model, table, out);
        o.steps = 6;
        o.saveEvery = 1;
        o.keep = 1;
        o.stopAfter = 1;
        train(o, new ArrayList<>());
        Path first = Checkpoints.list(ckpt).getLast();
        TrainOptions r = resumeOptions(table, out, 6, 1);
        r.stopAfter = 3;
        train(r, new ArrayList<>());
        assertFalse(Files.exists(first), "the checkpoint resumed from was pruned");
        Path newest = Checkpoints.list(ckpt).getLast();
        for (String f : List.of("vocab.json", "merges.txt")) {
            assertTrue(Files.isRegularFile(newest.resolve(f)), f + " in " + newest);
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(newest.resolve(f))), f);
        }
        train(resumeOptions(table, out, 6, 1), new ArrayList<>());
        for (String f : List.of("vocab.json", "merges.txt")) assertTrue(Files.isRegularFile(out.resolve(f)), f + " in the final model");
        try (ClipModel m = ModelFiles.load(out, null)) {
            assertEquals(1, m.textFeatures(List.of("a photo"), 1).length);
        }
    }

    /**
     * Resuming from an earlier checkpoint while a later one of an abandoned run is still there (rolling back): the
     * later one does not push this run's checkpoints out, and every checkpoint of this run carries the tokenizer.
     */
    @Test void rollingBackToAnEarlierCheckpointKeepsThisRunsCheckpoints() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 9);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        Path out = tmp.resolve("out"), ckpt = out.resolve("checkpoints");
        TrainOptions o = options(model, table, out);
        o.steps = 6;
        o.saveEvery = 2;
        o.stopAfter = 4;
        train(o, new ArrayList<>());
        assertEquals(List.of(ckpt.resolve("step-00000002"), ckpt.resolve("step-00000004")), Checkpoints.list(ckpt));
        TrainOptions r = resumeOptions(table, out, 6, 1);
        r.stopAfter = 1;
        r.resume = ckpt.resolve("step-00000002");
        train(r, new ArrayList<>());
        Path mine = ckpt.resolve("step-00000003");
        assertTrue(Checkpoints.list(ckpt).contains(mine), "this run's checkpoint survives: " + Checkpoints.list(ckpt));
        for (String f : List.of("vocab.json", "merges.txt")) assertTrue(Files.isRegularFile(mine.resolve(f)), f + " in " + mine);
    }

    @Test void aNewRunRefusesAnOutputThatHoldsAnotherRunsCheckpoints() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 10);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        TrainOptions o = options(model, table, tmp.resolve("out"));
        o.steps = 2;
        o.saveEvery = 1;
        train(o, new ArrayList<>());
        TrainOptions again = options(model, table, tmp.resolve("out"));
        again.steps = 2;
        var e = assertThrows(io.clip4j.Clip4jException.class, () -> train(again, new ArrayList<>()));
        assertTrue(e.getMessage().contains("already holds checkpoints") && e.getMessage().contains("--resume"), e.getMessage());
        assertEquals(2, Checkpoints.list(tmp.resolve("out/checkpoints")).size(), "the earlier run's checkpoints are untouched");
    }

    /** Resuming a run that had finished writes its final model again but does not repeat its final evaluation. */
    @Test void resumingAFinishedRunDoesNotRepeatItsFinalEvaluation() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 11);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        Path out = tmp.resolve("out");
        TrainOptions o = options(model, table, out);
        o.steps = 2;
        o.saveEvery = 1;
        o.val = table.toString();
        train(o, new ArrayList<>());
        TrainOptions r = resumeOptions(table, out, 2, 0);
        r.val = table.toString();
        train(r, new ArrayList<>());
        long evals = Metrics.read(out.resolve("metrics.jsonl")).stream().filter(x -> x.path("type").asText().equals("eval")).count();
        assertEquals(1, evals, "one final evaluation in the metrics");
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")));
    }

    /** A checkpoint moved aside for a replacement that a kill stopped before it arrived is put back, not deleted. */
    @Test void aCheckpointMovedAsideForAReplacementThatNeverCameIsPutBack() throws Exception {
        Saver sv = saver(14);
        Path ck = tmp.resolve("checkpoints");
        sv.save(ck, 3, sv.state(3));
        Files.move(ck.resolve("step-00000003"), ck.resolve(".tmp-replaced-step-00000003-123-456-0"));   // the state a kill leaves
        Files.createDirectories(ck.resolve(".tmp-step-00000003-789"));                                  // the torn replacement
        Checkpoints.cleanTemporaries(ck);
        assertEquals(List.of(ck.resolve("step-00000003")), Checkpoints.list(ck));
        try (var s = Files.list(ck)) {
            assertEquals(List.of("latest.json", "step-00000003"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        // with the replacement in place, the moved-aside copy is the leftover
        Files.createDirectories(ck.resolve(".tmp-replaced-step-00000003-1-2-0"));
        Files.writeString(ck.resolve(".tmp-replaced-step-00000003-1-2-0/trainer_state.json"), "{}");
        Checkpoints.cleanTemporaries(ck);
        assertEquals(3, Checkpoints.readState(ck.resolve("step-00000003")).path("step").asInt());
        assertFalse(Files.exists(ck.resolve(".tmp-replaced-step-00000003-1-2-0")));
    }

    /** A zero-shot template that does not contain its field would give every class the same prompt. */
    @Test void aZeroShotTemplateWithoutItsFieldIsRefused() {
        assertEquals("name", Evaluation.ZeroShot.parse("name=an emoji of {name}").field());
        assertEquals("an emoji of {name:lower}", Evaluation.ZeroShot.parse("name=an emoji of {name:lower}").template());
        for (String bad : List.of("name=an emoji", "name=an emoji of {category}")) {
            var e = assertThrows(io.clip4j.Clip4jException.class, () -> Evaluation.ZeroShot.parse(bad), bad);
            assertTrue(e.getMessage().contains("{name}"), e.getMessage());
        }
    }

    /** Options that cannot train are refused up front, each naming itself. */
    @Test void optionsOutOfRangeAreRefused() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 15);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        record Case(String name, java.util.function.Consumer<TrainOptions> set) {}
        for (Case c : List.of(new Case("--lr", o -> o.lr = -1), new Case("--lr", o -> o.lr = Double.NaN),
                new Case("--warmup", o -> o.warmup = -5), new Case("--weight-decay", o -> o.weightDecay = -0.1),
                new Case("--crop-scale", o -> { o.cropScaleMin = 0.8; o.cropScaleMax = 0.5; }),
                new Case("--unlock-last", o -> o.unlockLast = 2), new Case("--unlock-last", o -> { o.lockImage = true; o.unlockLast = -1; }))) {
            TrainOptions o = options(model, table, tmp.resolve("out-" + c.name()));
            o.steps = 1;
            c.set().accept(o);
            var e = assertThrows(io.clip4j.Clip4jException.class, () -> train(o, new ArrayList<>()), c.name());
            assertTrue(e.getMessage().contains(c.name()), e.getMessage());
        }
    }

    /** An evaluation that fails (every validation image unreadable) is a warning: the run finishes and writes its model. */
    @Test void aFailingEvaluationDoesNotLoseTheTraining() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 16);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        Files.writeString(tmp.resolve("bad.png"), "not an image");
        Files.writeString(tmp.resolve("bad.tsv"), "bad.png\ta caption\n");
        Path out = tmp.resolve("out");
        TrainOptions o = options(model, table, out);
        o.steps = 2;
        o.val = tmp.resolve("bad.tsv").toString();
        o.evalEvery = 1;
        List<String> messages = new ArrayList<>();
        Trainer.Summary s = train(o, messages);
        assertEquals(2, s.steps());
        assertTrue(Files.isRegularFile(out.resolve("model.safetensors")), "the model is written");
        assertTrue(messages.stream().anyMatch(m -> m.startsWith("warning: the evaluation at step 1 failed")), messages.toString());
    }

    /** A micro model's training graph and optimizer, saving checkpoints as the trainer does. */
    record Saver(Path dir, ClipModel model, ClipTrainingGraph graph, AdamW optimizer) {
        com.fasterxml.jackson.databind.node.ObjectNode state(int step) {
            return new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("step", step);
        }

        void save(Path checkpoints, int step, com.fasterxml.jackson.databind.node.ObjectNode state) throws Exception {
            Checkpoints.save(checkpoints, step, d -> ModelFiles.write(d, model.config(), model, model.logitScale(), ModelFiles.clipPreprocessorJson(32), dir),
                    optimizer, graph.params(), state);
        }
    }

    Saver saver(long seed) throws Exception {
        Path dir = TrainTesting.microModelSmallVocab(tmp.resolve("model"), seed, TrainTesting.emojiTable(tmp, "t.tsv", 4));
        ClipModel m = TrainFixtures.load(dir);
        ClipTrainingGraph g = new ClipTrainingGraph(m);
        return new Saver(dir, m, g, new AdamW(ParamGroup.openClip(g.params(), 0.1), 0.9, 0.98, 1e-6));
    }

    /** Options resuming the run in out: steps in all, saving every step, keeping keep checkpoints (0: the default). */
    static TrainOptions resumeOptions(Path table, Path out, int steps, int keep) {
        TrainOptions r = options(null, table, out);
        r.steps = steps;
        r.resume = out;
        if (keep > 0) { r.saveEvery = 1; r.keep = keep; }
        return r;
    }

    static void assertSameTensors(Path x, Path y) throws Exception {
        try (SafeTensors sx = SafeTensors.open(x); SafeTensors sy = SafeTensors.open(y)) {
            assertEquals(new java.util.TreeSet<>(sx.names()), new java.util.TreeSet<>(sy.names()));
            for (String k : sx.names()) {
                if (!sx.info(k).dtype().isFloat()) continue;
                float[] fx = sx.floats(k), fy = sy.floats(k);
                assertEquals(fx.length, fy.length, k);
                for (int i = 0; i < fx.length; i++) {
                    if (Float.floatToRawIntBits(fx[i]) != Float.floatToRawIntBits(fy[i])) fail(k + "[" + i + "]: " + fx[i] + " vs " + fy[i]);
                }
            }
        }
    }

    @Test void corruptAndMissingImagesAreSkippedAndCounted() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 7);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        Path bad = tmp.resolve("broken.png");
        Files.write(bad, new byte[]{(byte) 0x89, 'P', 'N', 'G', 1, 2, 3});
        List<String> lines = new ArrayList<>(Files.readAllLines(table));
        lines.add(1, bad + "\ta broken image");
        lines.add(3, tmp.resolve("missing.png") + "\ta missing image");
        Files.write(table, lines);
        TrainOptions o = options(model, table, tmp.resolve("out"));
        o.steps = 2;
        o.shuffle = false;
        List<String> messages = new ArrayList<>();
        Trainer.Summary s = train(o, messages);
        assertEquals(2, s.steps());
        assertEquals(2, s.skippedImages());
        assertTrue(messages.stream().anyMatch(m -> m.contains("broken.png")), messages.toString());
        assertTrue(messages.stream().anyMatch(m -> m.contains("missing.png")), messages.toString());
        assertTrue(messages.stream().anyMatch(m -> m.contains("2 image(s) could not be read")), messages.toString());
    }

    @Test void accumulationGivesTheWholeBatchGradients() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 9);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        CaptionTable t = CaptionTable.read(table);
        Tokenizer tok = Tokenizers.load(model);
        ImagePreprocessor pre = new ImagePreprocessor(PreprocessConfig.clip(32));
        float[] px = new float[8 * 3 * 32 * 32];
        List<String> caps = new ArrayList<>();
        for (int b = 0; b < 8; b++) {
            pre.applyInto(io.clip4j.image.ImageDecoder.read(t.items().get(b).image()), px, b * 3 * 32 * 32);
            caps.add(t.items().get(b).captions().get(0));
        }
        int[][] rows = tok.tokenize(caps, 77, true);
        int[] ids = new int[8 * 77];
        for (int b = 0; b < 8; b++) System.arraycopy(rows[b], 0, ids, b * 77, 77);
        ClipTrainingGraph whole = new ClipTrainingGraph(TrainFixtures.load(model)), acc = new ClipTrainingGraph(TrainFixtures.load(model));
        float l1 = whole.forwardBackward(px, ids, 8, 77).loss();
        float l2 = acc.forwardBackwardAccum(px, ids, 8, 77, 2).loss();
        assertEquals(l1, l2, 1e-6);
        double maxRel = 0;
        for (int i = 0; i < whole.params().size(); i++) {
            float[] ga = whole.grads().of(whole.params().get(i)), gb = acc.grads().of(acc.params().get(i));
            double scale = 1e-6;
            for (float v : ga) scale = Math.max(scale, Math.abs(v));
            for (int k = 0; k < ga.length; k++) maxRel = Math.max(maxRel, Math.abs(ga[k] - gb[k]) / scale);
        }
        assertTrue(maxRel < 1e-4, "max relative gradient difference " + maxRel);
    }

    @Test void aCrashBeforeTheRenameLeavesThePreviousCheckpointLoadable() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 11);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        TrainOptions o = options(model, table, tmp.resolve("out"));
        o.steps = 4;
        o.saveEvery = 1;
        int[] calls = {0};
        Checkpoints.beforeRename = () -> {
            if (++calls[0] == 3) throw new IllegalStateException("simulated crash");
        };
        try {
            assertThrows(IllegalStateException.class, () -> train(o, new ArrayList<>()));
        } finally {
            Checkpoints.beforeRename = () -> {};
        }
        Path ck = Checkpoints.resolve(tmp.resolve("out"));
        assertEquals("step-00000002", ck.getFileName().toString());
        assertNotNull(TrainFixtures.load(ck));
        // a leftover temp directory of a killed save is ignored and removed on the next start
        Files.createDirectories(tmp.resolve("out/checkpoints/.tmp-step-00000003-x"));
        Files.writeString(tmp.resolve("out/checkpoints/.tmp-step-00000003-x/model.safetensors"), "torn");
        TrainOptions r = options(null, table, tmp.resolve("out"));
        r.steps = 4;
        r.resume = tmp.resolve("out");
        Trainer.Summary s = train(r, new ArrayList<>());
        assertEquals(4, s.steps());
        assertEquals(2, s.stepsThisRun());
        assertFalse(Files.exists(tmp.resolve("out/checkpoints/.tmp-step-00000003-x")));
    }

    @Test void savingAStepAgainReplacesItAndPruningLeavesNothingBehind() throws Exception {
        Saver sv = saver(12);
        Path ck = tmp.resolve("checkpoints");
        for (int run = 0; run < 2; run++) sv.save(ck, 3, sv.state(3).put("run", run));
        assertEquals(List.of(ck.resolve("step-00000003")), Checkpoints.list(ck));
        assertEquals(1, Checkpoints.readState(ck.resolve("step-00000003")).path("run").asInt(), "the second save replaced the first");
        for (int step = 4; step <= 6; step++) {
            sv.save(ck, step, sv.state(step));
            Checkpoints.prune(ck, 2);
        }
        assertEquals(List.of(ck.resolve("step-00000005"), ck.resolve("step-00000006")), Checkpoints.list(ck));
        try (var s = Files.list(ck)) {
            assertEquals(List.of("latest.json", "step-00000005", "step-00000006"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        assertNotNull(TrainFixtures.load(ck.resolve("step-00000006")));
    }

    @Test void lockImageTrainsOnlyTheTextTower() throws Exception {
        Path model = TrainTesting.microModel(tmp.resolve("model"), 13);
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        TrainOptions o = options(model, table, tmp.resolve("out"));
        o.steps = 2;
        o.lockImage = true;
        train(o, new ArrayList<>());
        ClipModel before = TrainFixtures.load(model), after = TrainFixtures.load(tmp.resolve("out"));
        for (int i = 0; i < before.vision().params().size(); i++) {
            assertArrayEquals(before.vision().params().get(i).data, after.vision().params().get(i).data, before.vision().params().get(i).name);
        }
        assertFalse(java.util.Arrays.equals(before.text().params().get(0).data, after.text().params().get(0).data));
    }

    /**
     * A SigLIP model through the trainer: an interrupted run resumes onto the same loss curve (logit_bias and its
     * AdamW state included), and --lock-image --unlock-last 1 trains the text tower and the attention-pooling head only.
     */
    @Test void siglipResumesAndLocksItsImageTower() throws Exception {
        Path model = TrainTesting.siglipModel(tmp.resolve("siglip"));
        Path table = TrainTesting.emojiTable(tmp, "t.tsv", 8);
        TrainOptions a = options(model, table, tmp.resolve("a"));
        a.steps = 4;
        Trainer.Summary straight = train(a, new ArrayList<>());
        TrainOptions b1 = options(model, table, tmp.resolve("b"));
        b1.steps = 4;
        b1.stopAfter = 2;
        List<String> messages = new ArrayList<>();
        Trainer.Summary half = train(b1, messages);
        assertTrue(messages.stream().anyMatch(m -> m.contains("sigmoid loss")), messages.toString());
        assertTrue(Checkpoints.readState(half.checkpoint()).has("logit_bias"));
        TrainOptions b2 = options(null, table, tmp.resolve("b"));
        b2.steps = 4;
        b2.resume = tmp.resolve("b");
        Trainer.Summary rest = train(b2, new ArrayList<>());
        List<Float> joined = new ArrayList<>(half.losses());
        joined.addAll(rest.losses());
        assertEquals(straight.losses().size(), joined.size());
        for (int i = 0; i < joined.size(); i++) assertEquals(straight.losses().get(i), joined.get(i), 2e-5 * Math.abs(joined.get(i)), "step " + (i + 1));
        try (ClipModel x = TrainFixtures.load(tmp.resolve("a")); ClipModel y = TrainFixtures.load(tmp.resolve("b")); ClipModel start = TrainFixtures.load(model)) {
            assertEquals(x.logitBias(), y.logitBias(), 1e-5);
            assertEquals(x.logitScale(), y.logitScale(), 1e-5);
            assertNotEquals(start.logitBias(), x.logitBias());
        }

        TrainOptions o = options(model, table, tmp.resolve("locked"));
        o.steps = 2;
        o.lockImage = true;
        o.unlockLast = 1;
        train(o, new ArrayList<>());
        try (ClipModel before = TrainFixtures.load(model); ClipModel after = TrainFixtures.load(tmp.resolve("locked"))) {
            for (int i = 0; i < before.vision().params().size(); i++) {
                Param p = before.vision().params().get(i);
                boolean same = java.util.Arrays.equals(p.data, after.vision().params().get(i).data);
                assertEquals(!p.name.startsWith("vision_model.head."), same, p.name + (same ? " unchanged" : " changed"));
            }
            assertFalse(java.util.Arrays.equals(before.text().params().get(0).data, after.text().params().get(0).data));
        }
    }
}
