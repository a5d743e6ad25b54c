package io.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.clip4j.model.Activation;
import io.clip4j.model.Architectures;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Family;
import io.clip4j.model.ModelConfig;
import io.clip4j.model.TextConfig;
import io.clip4j.model.TowerConfig;
import io.clip4j.model.VisionConfig;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** clip4j train / eval / wise-ft on a handful of emoji images with a very small architecture. */
class TrainCommandTest {
    @TempDir Path tmp;

    @BeforeAll static void microArchitecture() {
        // vision 64 × 1 layer on 32 px, text 32 × 1 layer: small enough for a test run of a few steps
        Architectures.ALL.putIfAbsent("test-micro", new ModelConfig(Family.CLIP, 32,
                new VisionConfig(new TowerConfig(64, 256, 1, 1, 1e-5f, Activation.QUICK_GELU), 32, 8, 3),
                new TextConfig(new TowerConfig(32, 128, 1, 2, 1e-5f, Activation.QUICK_GELU), 49408, 77, 49406, 49407, 1), 2.6592f));
    }

    static Path emoji() { return Fixtures.repoRoot().resolve("../shared/data/emoji").normalize(); }

    /** The first n images of captions.tsv as a table in dir (absolute paths). */
    static Path table(Path dir, int n) throws Exception {
        List<String> out = new ArrayList<>(), seen = new ArrayList<>();
        for (String l : Files.readAllLines(emoji().resolve("captions.tsv"))) {
            String p = l.substring(0, l.indexOf('\t'));
            if (!seen.contains(p)) {
                if (seen.size() == n) break;
                seen.add(p);
            }
            out.add(emoji().resolve(p) + l.substring(l.indexOf('\t')));
        }
        Path t = dir.resolve("train.tsv");
        Files.write(t, out);
        return t;
    }

    @Test void trainFromInitThenEmbedEvalAndWiseFt() throws Exception {
        Path data = table(tmp, 8), out = tmp.resolve("out");
        CliTest.Result r = CliTest.run("train", "--init", "test-micro", "--tokenizer-from", CliTest.tiny(), "--data", data.toString(),
                "--val", data.toString(), "--out", out.toString(), "--batch-size", "4", "--steps", "3", "--lr", "1e-3", "--warmup", "1",
                "--alpha-background", "white", "--crop-scale", "0.8,1.0", "--save-every", "2", "--workers", "2", "--no-progress");
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("model.safetensors", "config.json", "preprocessor_config.json", "vocab.json", "merges.txt", "metrics.jsonl", "metrics.png"))
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        JsonNode pre = CliTest.JSON.readTree(out.resolve("preprocessor_config.json").toFile());
        assertEquals("[255,255,255]", pre.get("alpha_background").toString());
        List<JsonNode> metrics = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("metrics.jsonl"))) metrics.add(CliTest.JSON.readTree(l));
        assertEquals(3, metrics.stream().filter(m -> m.get("type").asText().equals("train")).count());
        JsonNode first = metrics.get(0);
        for (String k : List.of("step", "epoch", "lr", "loss", "logit_scale", "samples_per_s")) assertTrue(first.has(k), k);
        assertTrue(metrics.stream().anyMatch(m -> m.get("type").asText().equals("eval") && m.has("image_to_text_R@1")));
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step-00000002")));
        assertTrue(Files.isDirectory(out.resolve("checkpoints/step-00000003")));
        assertTrue(r.out().contains("image → text"), r.out());

        CliTest.Result e = CliTest.run("embed", "--model", out.toString(), "--image", emoji().resolve("images/google/1F600.png").toString(), "--text", "grinning face");
        assertEquals(0, e.code(), e.err());
        List<JsonNode> lines = e.lines();
        assertEquals(2, lines.size());
        assertEquals(32, lines.get(0).get("embedding").size());
        assertEquals(ClipModel.load(out).config().vision().tower().hiddenSize(), 64);

        CliTest.Result ev = CliTest.run("eval", "--model", out.toString(), "--data", data.toString(), "--json");
        assertEquals(0, ev.code(), ev.err());
        JsonNode j = CliTest.JSON.readTree(ev.out());
        assertEquals(8, j.get("images").asInt());
        assertTrue(j.get("image_to_text_R@10").asDouble() >= j.get("image_to_text_R@1").asDouble());

        Path start = tmp.resolve("init");
        assertEquals(0, CliTest.run("init", "--arch", "test-micro", "--out", start.toString(), "--tokenizer-from", CliTest.tiny()).code());
        Path wise = tmp.resolve("wise");
        CliTest.Result w = CliTest.run("wise-ft", "--from", start.toString(), "--to", out.toString(), "--alpha", "0.5", "--out", wise.toString());
        assertEquals(0, w.code(), w.err());
        ClipModel a = ClipModel.load(start), b = ClipModel.load(out), m = ClipModel.load(wise);
        float[] pa = a.params().get(0).data, pb = b.params().get(0).data, pm = m.params().get(0).data;
        for (int i = 0; i < pa.length; i++) assertEquals(0.5f * pa[i] + 0.5f * pb[i], pm[i], 1e-6);
    }

    /** With stderr not a terminal (as under Maven), train prints step lines on the run's stderr and draws no bar. */
    @Test void withoutATerminalTrainPrintsStepLinesInsteadOfABar() throws Exception {
        assumeFalse(TaskOutput.interactive(), "stderr is a terminal");
        Path data = table(tmp, 4);
        ByteArrayOutputStream systemErr = new ByteArrayOutputStream();
        PrintStream saved = System.err;
        CliTest.Result r;
        System.setErr(new PrintStream(systemErr, true, StandardCharsets.UTF_8));
        try {
            r = CliTest.run("train", "--init", "test-micro", "--tokenizer-from", CliTest.tiny(), "--data", data.toString(),
                    "--out", tmp.resolve("out").toString(), "--batch-size", "4", "--steps", "2", "--workers", "2", "--no-plot");
        } finally {
            System.setErr(saved);
        }
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("step 1: loss "), r.err());
        assertFalse(r.err().contains("\r"), r.err());
        assertFalse(systemErr.toString(StandardCharsets.UTF_8).contains("\r"), systemErr.toString(StandardCharsets.UTF_8));
    }

    /** The bar reads "0.5 steps/s  loss …": the speed with its leading zero, the loss set apart from the unit. */
    @Test void theProgressBarShowsTheSpeedThenTheLoss() throws Exception {
        ByteArrayOutputStream drawn = new ByteArrayOutputStream();
        TrainCommand.Progress p = new TrainCommand.Progress(new PrintWriter(new StringWriter()), true, new PrintStream(drawn, true, StandardCharsets.UTF_8));
        p.start(10, 0, 4);
        Thread.sleep(2100);                     // the bar's speed counts whole seconds: one step in 2 s is below 1 step/s
        p.step(CliTest.JSON.createObjectNode().put("step", 1).put("loss", 4.2713).put("samples_per_s", 12.5).put("lr", 1e-3));
        p.end();
        String text = drawn.toString(StandardCharsets.UTF_8);
        assertTrue(Pattern.compile(" 0\\.[0-9] steps/s  loss 4\\.2713").matcher(text).find(), text);
    }

    /** siglip/siglip_tiny copied to dir (training must not touch the fixture). */
    static Path siglipCopy(Path dir) throws Exception {
        Path src = Fixtures.path("siglip/siglip_tiny");
        Files.createDirectories(dir);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    /** The fixture's loss batch as a table: its four images (absolute paths) with their captions. */
    static Path siglipTable(Path dir) throws Exception {
        Path images = Fixtures.path("siglip/images");
        Path t = dir.resolve("siglip.tsv");
        Files.write(t, List.of(images.resolve("cat_chelsea.png") + "\ta photo of a cat",
                images.resolve("coffee.png") + "\tA cup of coffee with latte art.",
                images.resolve("astronaut.png") + "\tAn astronaut standing next to a flag",
                images.resolve("china.png") + "\ta chinese temple with a red roof"));
        return t;
    }

    static List<JsonNode> trainRecords(Path out) throws Exception {
        List<JsonNode> r = new ArrayList<>();
        for (String l : Files.readAllLines(out.resolve("metrics.jsonl"))) {
            JsonNode m = CliTest.JSON.readTree(l);
            if (m.get("type").asText().equals("train")) r.add(m);
        }
        return r;
    }

    @Test void siglipTrainsWithTheSigmoidLossThenEmbedsAndEvaluates() throws Exception {
        Path model = siglipCopy(tmp.resolve("siglip")), data = siglipTable(tmp), out = tmp.resolve("out");
        float scale0, bias0;
        try (ClipModel m = ClipModel.load(model)) { scale0 = m.logitScale(); bias0 = m.logitBias(); }
        CliTest.Result r = CliTest.run("train", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--batch-size", "4", "--steps", "2", "--no-shuffle", "--no-augment", "--lr", "1e-3", "--workers", "2", "--no-plot", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("sigmoid loss"), r.err());
        for (String f : List.of("model.safetensors", "config.json", "preprocessor_config.json", "spiece.model", "metrics.jsonl"))
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        assertEquals("siglip", CliTest.JSON.readTree(out.resolve("config.json").toFile()).get("model_type").asText());
        assertEquals("SiglipImageProcessor", CliTest.JSON.readTree(out.resolve("preprocessor_config.json").toFile()).get("image_processor_type").asText());
        List<JsonNode> steps = trainRecords(out);
        assertEquals(2, steps.size());
        // these four pairs are the fixture's loss batch: the first step's loss (before any update) is the reference loss,
        // so the trainer's pixels and token rows are the reference processor's and tokenizer's
        try (var in = io.clip4j.io.SafeTensors.open(Fixtures.path("siglip/loss_siglip_inputs.safetensors"))) {
            assertEquals(in.floats("loss")[0], steps.get(0).get("loss").asDouble(), 1e-5, "first-step loss vs the fixture's");
        }
        JsonNode last = steps.get(1);
        for (String k : List.of("loss", "logit_scale", "logit_bias")) assertTrue(last.has(k), k);
        try (ClipModel trained = ClipModel.load(out)) {
            assertEquals(io.clip4j.model.Family.SIGLIP, trained.family());
            // the trained scale and bias are written back (metrics.jsonl holds the floats as doubles)
            assertEquals((float) last.get("logit_scale").asDouble(), trained.logitScale());
            assertEquals((float) last.get("logit_bias").asDouble(), trained.logitBias());
            assertNotEquals(scale0, trained.logitScale());
            assertNotEquals(bias0, trained.logitBias());
        }

        CliTest.Result e = CliTest.run("embed", "--model", out.toString(), "--image", Fixtures.path("siglip/images/coffee.png").toString(), "--text", "a cup of coffee");
        assertEquals(0, e.code(), e.err());
        assertEquals(2, e.lines().size());
        assertEquals(64, e.lines().get(0).get("embedding").size());

        CliTest.Result ev = CliTest.run("eval", "--model", out.toString(), "--data", data.toString(), "--json");
        assertEquals(0, ev.code(), ev.err());
        JsonNode j = CliTest.JSON.readTree(ev.out());
        assertEquals(4, j.get("images").asInt());
        assertEquals("sigmoid", j.get("loss_type").asText());
        assertTrue(Double.isFinite(j.get("loss").asDouble()));
        assertEquals(1.0, j.get("image_to_text_R@10").asDouble());

        // ten steps at a constant learning rate: the sigmoid loss goes down
        Path out10 = tmp.resolve("out10");
        CliTest.Result r10 = CliTest.run("train", "--model", model.toString(), "--data", data.toString(), "--out", out10.toString(),
                "--batch-size", "4", "--steps", "10", "--no-shuffle", "--no-augment", "--lr", "1e-3", "--schedule", "constant",
                "--workers", "2", "--no-plot", "--no-progress");
        assertEquals(0, r10.code(), r10.err());
        List<Double> losses = trainRecords(out10).stream().map(m -> m.get("loss").asDouble()).toList();
        System.out.println("SigLIP train, 10 steps at lr 1e-3: losses " + losses);
        assertEquals(10, losses.size());
        assertTrue(losses.get(9) < 0.5 * losses.get(0), "the loss decreases: " + losses);
    }

    /** siglip/siglip2_tiny copied to dir. */
    static Path siglip2Copy(Path dir) throws Exception {
        Path src = Fixtures.path("siglip/siglip2_tiny");
        Files.createDirectories(dir);
        try (var files = Files.list(src)) {
            for (Path f : files.toList()) Files.copy(f, dir.resolve(f.getFileName()));
        }
        return dir;
    }

    /** Fixture images of four aspect ratios (grids 6×10, 3×21, 18×3, 8×8 at 64 patches) with fixture captions 0..3. */
    static final int[] NAFLEX_IMAGES = {0, 6, 7, 2};

    static Path naflexTable(Path dir) throws Exception {
        JsonNode meta = CliTest.JSON.readTree(Fixtures.path("siglip/expected_siglip2.json").toFile());
        List<String> rows = new ArrayList<>();
        for (int i = 0; i < NAFLEX_IMAGES.length; i++) {
            rows.add(Fixtures.path("siglip/images/" + meta.get("images").get(NAFLEX_IMAGES[i]).asText()).toAbsolutePath() + "\t"
                    + meta.get("captions").get(i).asText());
        }
        Path t = dir.resolve("naflex.tsv");
        Files.write(t, rows);
        return t;
    }

    /** The sigmoid loss of the untrained fixture model on the reference NaFlex inputs and token rows of naflexTable. */
    static float naflexReferenceLoss() {
        try (ClipModel m = ClipModel.load(Fixtures.path("siglip/siglip2_tiny"));
             var pre = io.clip4j.io.SafeTensors.open(Fixtures.path("siglip/preprocess_siglip2.safetensors"));
             var exp = io.clip4j.io.SafeTensors.open(Fixtures.path("siglip/expected_siglip2.safetensors"))) {
            int B = NAFLEX_IMAGES.length, M = 64, K = 192, L = 16, E = m.embedDim();
            float[] values = new float[B * M * K];
            int[][] grids = new int[B][];
            for (int b = 0; b < B; b++) {
                String key = NAFLEX_IMAGES[b] + ".p8_mnp64.";
                System.arraycopy(pre.floats(key + "pixel_values"), 0, values, b * M * K, M * K);
                grids[b] = pre.ints(key + "spatial_shapes");
            }
            float[][] img = m.encode(new io.clip4j.model.ImageBatch(values, B, M, grids), null);
            int[] ids = exp.ints("input_ids");
            int[][] rows = new int[B][];
            for (int b = 0; b < B; b++) rows[b] = java.util.Arrays.copyOfRange(ids, b * L, (b + 1) * L);
            float[][] txt = m.encodeTokens(rows);
            float[] a = new float[B * E], t = new float[B * E];
            for (int b = 0; b < B; b++) { System.arraycopy(img[b], 0, a, b * E, E); System.arraycopy(txt[b], 0, t, b * E, E); }
            return io.clip4j.train.SigmoidLoss.compute(a, t, B, E, m.logitScale(), m.logitBias()).loss();
        }
    }

    @Test void naflexTrainsThenEmbedsAndEvaluates() throws Exception {
        Path model = siglip2Copy(tmp.resolve("siglip2")), data = naflexTable(tmp), out = tmp.resolve("out");
        float scale0, bias0;
        try (ClipModel m = ClipModel.load(model)) { scale0 = m.logitScale(); bias0 = m.logitBias(); }
        CliTest.Result r = CliTest.run("train", "--model", model.toString(), "--data", data.toString(), "--out", out.toString(),
                "--batch-size", "4", "--steps", "2", "--no-shuffle", "--no-augment", "--lr", "1e-3", "--workers", "2", "--no-plot", "--no-progress");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("sigmoid loss"), r.err());
        for (String f : List.of("model.safetensors", "config.json", "preprocessor_config.json", "tokenizer.model", "tokenizer_config.json", "metrics.jsonl"))
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        assertEquals("siglip2", CliTest.JSON.readTree(out.resolve("config.json").toFile()).get("model_type").asText());
        JsonNode pre = CliTest.JSON.readTree(out.resolve("preprocessor_config.json").toFile());
        assertEquals("Siglip2ImageProcessor", pre.get("image_processor_type").asText());
        assertEquals(64, pre.get("max_num_patches").asInt());
        List<JsonNode> steps = trainRecords(out);
        assertEquals(2, steps.size());
        // the first step's loss (before any update) is the loss of the reference NaFlex patches and token rows: the
        // trainer's batches are the reference processor's and tokenizer's, padding and grids included
        float ref = naflexReferenceLoss();
        System.out.println("NaFlex train: first-step loss " + steps.get(0).get("loss").asDouble() + ", reference inputs " + ref);
        assertEquals(ref, steps.get(0).get("loss").asDouble(), 1e-5 * Math.abs(ref), "first-step loss vs the reference inputs'");
        JsonNode last = steps.get(1);
        try (ClipModel trained = ClipModel.load(out)) {
            assertEquals(io.clip4j.model.Family.SIGLIP2, trained.family());
            assertEquals((float) last.get("logit_scale").asDouble(), trained.logitScale());
            assertEquals((float) last.get("logit_bias").asDouble(), trained.logitBias());
            assertNotEquals(scale0, trained.logitScale());
            assertNotEquals(bias0, trained.logitBias());
        }

        CliTest.Result e = CliTest.run("embed", "--model", out.toString(), "--image", Fixtures.path("siglip/images/wide_strip.png").toString(), "--text", "a wide strip");
        assertEquals(0, e.code(), e.err());
        assertEquals(2, e.lines().size());
        assertEquals(64, e.lines().get(0).get("embedding").size());

        CliTest.Result ev = CliTest.run("eval", "--model", out.toString(), "--data", data.toString(), "--json");
        assertEquals(0, ev.code(), ev.err());
        JsonNode j = CliTest.JSON.readTree(ev.out());
        assertEquals(4, j.get("images").asInt());
        assertEquals("sigmoid", j.get("loss_type").asText());
        assertTrue(Double.isFinite(j.get("loss").asDouble()));

        // ten steps at a constant learning rate: the loss goes down
        Path out10 = tmp.resolve("out10");
        CliTest.Result r10 = CliTest.run("train", "--model", model.toString(), "--data", data.toString(), "--out", out10.toString(),
                "--batch-size", "4", "--steps", "10", "--no-shuffle", "--no-augment", "--lr", "1e-3", "--schedule", "constant",
                "--workers", "2", "--no-plot", "--no-progress");
        assertEquals(0, r10.code(), r10.err());
        List<Double> losses = trainRecords(out10).stream().map(m -> m.get("loss").asDouble()).toList();
        System.out.println("NaFlex train, 10 steps at lr 1e-3: losses " + losses);
        assertEquals(10, losses.size());
        assertTrue(losses.get(9) < 0.5 * losses.get(0), "the loss decreases: " + losses);

        // with augmentation (crops keeping the aspect ratio), accumulation, evaluation and a checkpoint to resume from
        Path outAug = tmp.resolve("aug");
        CliTest.Result ra = CliTest.run("train", "--model", model.toString(), "--data", data.toString(), "--val", data.toString(),
                "--out", outAug.toString(), "--batch-size", "4", "--accum", "2", "--steps", "3", "--stop-after", "2", "--save-every", "1",
                "--crop-scale", "0.5,1.0", "--alpha-background", "white", "--workers", "2", "--no-plot", "--no-progress");
        assertEquals(0, ra.code(), ra.err());
        CliTest.Result rr = CliTest.run("train", "--resume", outAug.toString(), "--data", data.toString(), "--val", data.toString(),
                "--out", outAug.toString(), "--batch-size", "4", "--accum", "2", "--steps", "3", "--crop-scale", "0.5,1.0",
                "--alpha-background", "white", "--workers", "2", "--no-plot", "--no-progress");
        assertEquals(0, rr.code(), rr.err());
        assertEquals(3, trainRecords(outAug).size());
        assertEquals("[255,255,255]", CliTest.JSON.readTree(outAug.resolve("preprocessor_config.json").toFile()).get("alpha_background").toString());
        try (ClipModel trained = ClipModel.load(outAug)) {
            assertArrayEquals(new int[]{255, 255, 255}, trained.naflexPreprocessor().alphaBackground(), "inference composites as training did");
        }
    }

    /** init siglip-tiny / siglip2-tiny with a SigLIP tokenizer, train two steps, embed. */
    @Test void siglipArchitecturesInitTrainAndEmbed() throws Exception {
        Path data = siglipTable(tmp);
        String[][] cases = {{"siglip-tiny", "siglip/siglip_tiny", "siglip", "spiece.model", "800"},
                {"siglip2-tiny", "siglip/siglip2_tiny", "siglip2", "tokenizer.model", "1000"}};
        for (String[] c : cases) {
            Path init = tmp.resolve(c[0]), out = tmp.resolve(c[0] + "-trained");
            CliTest.Result i = CliTest.run("init", "--arch", c[0], "--out", init.toString(), "--tokenizer-from", Fixtures.path(c[1]).toString(), "--seed", "1");
            assertEquals(0, i.code(), i.err());
            JsonNode config = CliTest.JSON.readTree(init.resolve("config.json").toFile());
            assertEquals(c[2], config.get("model_type").asText());
            assertEquals(Integer.parseInt(c[4]), config.get("text_config").get("vocab_size").asInt(), "the vocabulary follows the tokenizer");
            assertTrue(Files.isRegularFile(init.resolve(c[3])), c[3]);
            try (ClipModel m = ClipModel.load(init)) {
                assertEquals((float) Math.log(10), m.logitScale(), 1e-6f);
                assertEquals(-10f, m.logitBias());
                assertEquals(192, m.embedDim());
            }
            CliTest.Result r = CliTest.run("train", "--model", init.toString(), "--data", data.toString(), "--out", out.toString(),
                    "--batch-size", "4", "--steps", "2", "--lr", "1e-3", "--workers", "2", "--no-plot", "--no-progress");
            assertEquals(0, r.code(), r.err());
            assertEquals(2, trainRecords(out).size());
            CliTest.Result e = CliTest.run("embed", "--model", out.toString(), "--image", Fixtures.path("siglip/images/coffee.png").toString(), "--text", "a cup of coffee");
            assertEquals(0, e.code(), e.err());
            assertEquals(192, e.lines().get(0).get("embedding").size());

            // --init straight into train
            Path direct = tmp.resolve(c[0] + "-direct");
            CliTest.Result d = CliTest.run("train", "--init", c[0], "--tokenizer-from", Fixtures.path(c[1]).toString(), "--data", data.toString(),
                    "--out", direct.toString(), "--batch-size", "4", "--steps", "1", "--workers", "2", "--no-plot", "--no-progress");
            assertEquals(0, d.code(), d.err());
            assertEquals(c[2], CliTest.JSON.readTree(direct.resolve("config.json").toFile()).get("model_type").asText());
        }
        // a CLIP architecture refuses a SentencePiece tokenizer, naming what it needs
        CliTest.Result bad = CliTest.run("init", "--arch", "tiny", "--out", tmp.resolve("bad").toString(), "--tokenizer-from", Fixtures.path("siglip/siglip_tiny").toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("vocab.json"), bad.err());
    }

    @Test void usageErrors() throws Exception {
        Path data = table(tmp, 4);
        CliTest.Result r = CliTest.run("train", "--init", "test-micro", "--data", data.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--tokenizer-from"), r.err());
    }
}
