package io.clip4j.task;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Zero-shot results equal what the model's own embeddings say (the tiny model has random weights). */
class ZeroShotClassifierTest {
    static ClipModel model;
    static List<Path> images;

    @BeforeAll static void load() {
        model = ClipModel.load(Fixtures.path("models/tiny/hf"));
        Path in = Fixtures.path("images/inputs");
        Path emoji = Fixtures.repoRoot().resolve("../shared/data/emoji/images").normalize();
        images = List.of(in.resolve("chelsea.png"), in.resolve("rocket.jpg"), in.resolve("coffee.png"),
                emoji.resolve("google/1F600.png"), emoji.resolve("twitter/1F680.png"));
    }

    @AfterAll static void close() { model.close(); }

    /** The paper's ensemble computed here from embedTexts: mean of unit caption embeddings, renormalised. */
    static float[] classEmbedding(String label, List<String> templates) {
        List<String> caps = new ArrayList<>();
        for (String t : templates) caps.add(t.replace("{}", label));
        float[][] e = model.embedTexts(caps);
        float[] mean = new float[e[0].length];
        for (float[] row : e) for (int d = 0; d < mean.length; d++) mean[d] += row[d] / e.length;
        return Vectors.normalize(mean);
    }

    @Test void rankingScoresAndProbabilitiesEqualTheEmbeddings() {
        List<String> labels = List.of("grinning face", "rocket", "cat", "cup of coffee", "flag of Japan");
        for (PromptTemplates templates : List.of(PromptTemplates.single(), PromptTemplates.simple(), PromptTemplates.of("{} emoji", "an emoji of {c}"))) {
            ZeroShotClassifier zs = ZeroShotClassifier.create(model, labels, templates);
            float[][] cls = new float[labels.size()][];
            for (int c = 0; c < cls.length; c++) cls[c] = classEmbedding(labels.get(c), templates.templates().stream().map(t -> t.replace("{c}", "{}")).toList());
            float[][] img = model.embedImages(images);
            double scale = Math.exp(model.logitScale());
            for (int i = 0; i < images.size(); i++) {
                double[] cos = new double[labels.size()], p = new double[labels.size()];
                double sum = 0;
                for (int c = 0; c < cls.length; c++) { cos[c] = Vectors.dot(img[i], cls[c]); sum += p[c] = Math.exp(scale * cos[c]); }
                for (int c = 0; c < cls.length; c++) p[c] /= sum;
                List<Prediction> got = zs.classify(images.get(i), 3);
                assertEquals(3, got.size());
                Ranking.assertRanked(got.stream().map(Prediction::index).toList(), got.stream().map(x -> (double) x.score()).toList(), cos, 3, 1e-5);
                for (Prediction x : got) {
                    assertEquals(labels.get(x.index()), x.label());
                    assertEquals(cos[x.index()], x.score(), 1e-5);
                    assertEquals(p[x.index()], x.probability(), 1e-5);
                }
                // the embedding form gives the same (to float rounding: lane-sum order may differ between JIT tiers)
                List<Prediction> viaEmbedding = zs.classify(img[i], 3);
                for (int r = 0; r < 3; r++) {
                    assertEquals(got.get(r).index(), viaEmbedding.get(r).index());
                    assertEquals(got.get(r).score(), viaEmbedding.get(r).score(), 1e-6);
                    assertEquals(got.get(r).probability(), viaEmbedding.get(r).probability(), 1e-6);
                }
            }
        }
    }

    @Test void kBeyondTheLabelCountGivesAllAndProbabilitiesSumToOne() {
        ZeroShotClassifier zs = ZeroShotClassifier.create(model, List.of("a", "b"), PromptTemplates.single());
        List<Prediction> all = zs.classify(images.get(0), 10);
        assertEquals(2, all.size());
        assertEquals(1.0, all.get(0).probability() + all.get(1).probability(), 1e-9);
        assertTrue(all.get(0).score() >= all.get(1).score());
        assertThrows(IllegalArgumentException.class, () -> zs.classify(images.get(0), 0));
    }

    @Test void tiedLabelsKeepTheirInputOrder() {
        ZeroShotClassifier zs = ZeroShotClassifier.create(model, List.of("dog", "cat", "dog"), PromptTemplates.simple());
        List<Prediction> r = zs.classify(images.get(1), 3);
        int first = -1;
        for (int i = 0; i < 3; i++) if (r.get(i).label().equals("dog")) { first = i; break; }
        assertEquals(0, r.get(first).index());
        assertEquals(2, r.get(first + 1).index(), "the duplicate label ties and follows directly");
        assertEquals(r.get(first).score(), r.get(first + 1).score());
        assertEquals(r.get(first).probability(), r.get(first + 1).probability());
    }

    @Test void classEmbeddingsAreCachedPerModelLabelsAndTemplates() {
        List<String> labels = List.of("x-ray", "zebra");
        float[][] a = ZeroShotClassifier.classEmbeddings(model, labels, PromptTemplates.simple());
        assertSame(a, ZeroShotClassifier.classEmbeddings(model, List.of("x-ray", "zebra"), PromptTemplates.of(PromptTemplates.SIMPLE)));
        assertNotSame(a, ZeroShotClassifier.classEmbeddings(model, labels, PromptTemplates.single()));
        assertNotSame(a, ZeroShotClassifier.classEmbeddings(model, List.of("zebra", "x-ray"), PromptTemplates.simple()));
        for (float[] row : a) assertEquals(1.0, Math.sqrt(Vectors.dot(row, row)), 1e-5);
    }

    @Test void sigmoidScoringIsIndependentPerLabel() {
        ZeroShotClassifier zs = ZeroShotClassifier.create(model, List.of("a", "b", "c"), PromptTemplates.single(), Scoring.sigmoid(10, -5));
        for (Prediction p : zs.classify(images.get(0), 3)) assertEquals(1 / (1 + Math.exp(-(10 * p.score() - 5))), p.probability(), 1e-6);
    }

    /** A SigLIP model classifies through the same call; its probabilities are sigmoid(exp(scale)·cos + bias), per label. */
    @Test void siglipModelsUseTheirScaleAndBias() {
        try (ClipModel siglip = ClipModel.load(Fixtures.path("siglip/siglip_tiny"))) {
            List<String> labels = List.of("a cat", "a cup of coffee", "a rocket");
            ZeroShotClassifier zs = ZeroShotClassifier.create(siglip, labels, PromptTemplates.single());
            float[] img = siglip.embedImage(images.get(0));
            double scale = Math.exp(siglip.logitScale()), bias = siglip.logitBias();
            assertNotEquals(0.0, bias);
            for (Prediction p : zs.classify(images.get(0), 3)) {
                float[] cls = siglip.embedText(labels.get(p.index()).isEmpty() ? "" : "a photo of a " + labels.get(p.index()) + ".");
                assertEquals(Vectors.dot(img, cls), p.score(), 1e-5);
                assertEquals(1 / (1 + Math.exp(-(scale * p.score() + bias))), p.probability(), 1e-6);
            }
        }
    }

    @Test void templates() {
        assertEquals(80, PromptTemplates.IMAGENET.size());
        assertEquals(80, new HashSet<>(PromptTemplates.IMAGENET).size());
        assertEquals("a bad photo of a {}.", PromptTemplates.IMAGENET.get(0));
        assertEquals("a tattoo of the {}.", PromptTemplates.IMAGENET.get(79));
        assertTrue(PromptTemplates.IMAGENET.containsAll(PromptTemplates.SIMPLE));
        assertEquals(7, PromptTemplates.SIMPLE.size());
        assertEquals("a photo of a {x}.", PromptTemplates.fill("a photo of a {c}.", "{x}"));
        assertEquals("cat and cat", PromptTemplates.fill("{} and {c}", "cat"));
        assertEquals(List.of("cat"), PromptTemplates.none().captions("cat"));
        assertEquals(List.of("a photo of a cat."), PromptTemplates.named("single").captions("cat"));
        Clip4jException e = assertThrows(Clip4jException.class, () -> PromptTemplates.of("a photo of a cat"));
        assertTrue(e.getMessage().contains("placeholder"));
        assertThrows(Clip4jException.class, () -> PromptTemplates.parse("imagenet-21k"));
    }

    @Test void templateFiles(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        Path txt = tmp.resolve("t.txt");
        java.nio.file.Files.writeString(txt, "# mine\na photo of a {}.\n\n  a drawing of a {c}.  \n");
        assertEquals(List.of("a photo of a {}.", "a drawing of a {c}."), PromptTemplates.parse(txt.toString()).templates());
        Path json = tmp.resolve("t.json");
        java.nio.file.Files.writeString(json, "[\"# not a comment {}\", \"{}\"]");
        assertEquals(List.of("# not a comment {}", "{}"), PromptTemplates.fromFile(json).templates());
        // not UTF-8, or a JSON string that is not Unicode text: one error naming the file
        Path latin1 = java.nio.file.Files.write(tmp.resolve("l1.txt"), "caf\u00e9 {}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertEquals(latin1 + ": not valid UTF-8 (byte 0xE9 at offset 3)", assertThrows(Clip4jException.class, () -> PromptTemplates.fromFile(latin1)).getMessage());
        Path lone = java.nio.file.Files.writeString(tmp.resolve("lone.json"), "[\"{}\", \"a {} \\ud800\"]");
        assertEquals(lone + ": element 1 is not valid Unicode (unpaired surrogate \\uD800 at character 5)",
                assertThrows(Clip4jException.class, () -> PromptTemplates.fromFile(lone)).getMessage());
    }
}
