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

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

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

    @Test void siglipModelsAreRefusedClearly() throws Exception {
        Path data = table(tmp, 4);
        Path siglip = Fixtures.path("siglip/siglip_tiny");
        CliTest.Result r = CliTest.run("train", "--model", siglip.toString(), "--data", data.toString(), "--out", tmp.resolve("o").toString(),
                "--batch-size", "2", "--steps", "1", "--no-progress");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("CLIP family only"), r.err());
    }

    @Test void usageErrors() throws Exception {
        Path data = table(tmp, 4);
        CliTest.Result r = CliTest.run("train", "--init", "test-micro", "--data", data.toString(), "--out", tmp.resolve("o").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--tokenizer-from"), r.err());
    }
}
