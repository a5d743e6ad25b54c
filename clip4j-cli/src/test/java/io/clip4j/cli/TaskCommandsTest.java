package io.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.clip4j.cli.CliTest.JSON;
import static io.clip4j.cli.CliTest.run;
import static org.junit.jupiter.api.Assertions.*;

/** classify, score, index, search, dedup and embed --format npy: their output equals what the model's own embeddings say. */
class TaskCommandsTest {
    @TempDir Path tmp;
    static ClipModel model;

    @BeforeAll static void load() { model = ClipModel.load(Fixtures.path("models/tiny/hf")); }
    @AfterAll static void close() { model.close(); }

    static String tiny() { return Fixtures.path("models/tiny/hf").toString(); }

    static Path emoji(String style, String cp) {
        return Fixtures.repoRoot().resolve("../shared/data/emoji/images").resolve(style).resolve(cp + ".png").normalize();
    }

    static Path copy(Path src, Path dst) throws Exception {
        Files.createDirectories(dst.getParent());
        return Files.copy(src, dst);
    }

    static float[] classEmbedding(String label, List<String> templates) {
        List<String> caps = new ArrayList<>();
        for (String t : templates) caps.add(t.replace("{c}", label).replace("{}", label));
        float[][] e = model.embedTexts(caps);
        float[] mean = new float[e[0].length];
        for (float[] r : e) for (int d = 0; d < mean.length; d++) mean[d] += r[d] / e.length;
        return Vectors.normalize(mean);
    }

    @Test void classifyRanksLabelsAsTheEmbeddingsSay() throws Exception {
        Path labels = Files.writeString(tmp.resolve("labels.txt"), "rocket\n\ncup of coffee\n");
        List<String> all = List.of("grinning face", "cat", "rocket", "cup of coffee");
        List<String> templates = new ArrayList<>(io.clip4j.task.PromptTemplates.SIMPLE);
        templates.add("{c} emoji");
        Path photos = tmp.resolve("photos");
        Path a = copy(emoji("google", "1F600"), photos.resolve("a.png")), b = copy(emoji("twitter", "2615"), photos.resolve("sub/b.png"));
        Path missing = tmp.resolve("missing.png");
        CliTest.Result r = run("classify", "--model", tiny(), "--labels", "grinning face,cat", "--labels-file", labels.toString(),
                "--templates", "simple", "--template", "{c} emoji", "-k", "9", "--json", photos.toString(), missing.toString());
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().contains(missing.toString()));
        List<JsonNode> lines = r.lines();
        assertEquals(3, lines.size());
        assertEquals(missing.toString(), lines.get(0).get("path").asText());
        assertTrue(lines.get(0).has("error"));
        float[][] cls = new float[all.size()][];
        for (int c = 0; c < cls.length; c++) cls[c] = classEmbedding(all.get(c), templates);
        double scale = Math.exp(model.logitScale());
        List<Path> images = List.of(a, b);
        for (int i = 0; i < 2; i++) {
            JsonNode o = lines.get(i + 1);
            assertEquals(images.get(i).toString(), o.get("path").asText(), "folders expand in path order");
            float[] img = model.embedImage(images.get(i));
            double[] cos = new double[cls.length];
            double sum = 0;
            for (int c = 0; c < cls.length; c++) sum += Math.exp(scale * (cos[c] = Vectors.dot(img, cls[c])));
            JsonNode preds = o.get("predictions");
            assertEquals(4, preds.size(), "k beyond the label count gives every label");
            double prev = Double.POSITIVE_INFINITY;
            for (JsonNode p : preds) {
                int c = all.indexOf(p.get("label").asText());
                assertEquals(cos[c], p.get("score").asDouble(), 1e-5);
                assertEquals(Math.exp(scale * cos[c]) / sum, p.get("probability").asDouble(), 1e-5);
                assertTrue(p.get("score").asDouble() <= prev);
                prev = p.get("score").asDouble();
            }
        }
        CliTest.Result text = run("classify", "--model", tiny(), "--labels", "cat,dog", a.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().startsWith(a + "\n"), text.out());
        assertEquals(2, run("classify", "--model", tiny(), a.toString()).code(), "no labels is a usage error");
        CliTest.Result badTemplate = run("classify", "--model", tiny(), "--labels", "a", "--template", "no placeholder", a.toString());
        assertEquals(1, badTemplate.code());
        assertTrue(badTemplate.err().contains("placeholder"), badTemplate.err());
    }

    @Test void aLabelGivenTwiceIsRefused() throws Exception {
        CliTest.Result r = run("classify", CliTest.image("rocket"), "--model", tiny(), "--labels", "dog,cat,dog");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("'dog' is given twice"), r.err());
    }

    @Test void scoreGivesThePositiveMassOfEachRule() throws Exception {
        Path policy = Files.writeString(tmp.resolve("policy.json"), """
                {"neutral": ["an emoji."], "rules": [
                  {"name": "faces", "positive": ["a smiling face", "a laughing face"], "negative": ["a rocket"], "threshold": 0.3},
                  {"name": "drinks", "positive": ["a hot drink"], "threshold": 0.99}]}""");
        Path img = emoji("google", "1F600");
        CliTest.Result r = run("score", "--model", tiny(), "--policy", policy.toString(), "--json", img.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode o = r.lines().get(0);
        float[] e = model.embedImage(img);
        double scale = Math.exp(model.logitScale());
        String[][] prompts = {{"a smiling face", "a laughing face", "a rocket", "an emoji."}, {"a hot drink", "an emoji."}};
        int[] positives = {2, 1};
        boolean any = false;
        for (int rule = 0; rule < 2; rule++) {
            float[][] t = model.embedTexts(List.of(prompts[rule]));
            double sum = 0, pos = 0;
            for (int j = 0; j < t.length; j++) {
                double x = Math.exp(scale * Vectors.dot(e, t[j]));
                sum += x;
                if (j < positives[rule]) pos += x;
            }
            JsonNode s = o.get("rules").get(rule);
            assertEquals(pos / sum, s.get("score").asDouble(), 1e-5);
            boolean flagged = pos / sum >= s.get("threshold").asDouble();
            assertEquals(flagged, s.get("flagged").asBoolean());
            any |= flagged;
        }
        assertEquals(any, o.get("flagged").asBoolean());
        CliTest.Result bad = run("score", "--model", tiny(), "--policy", tmp.resolve("nope.json").toString(), img.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("policy file not found"), bad.err());
    }

    /** Label, template and policy files that are not UTF-8, or hold a string that is not Unicode text: one error naming the file. */
    @Test void labelTemplateAndPolicyFilesMustBeUnicodeText() throws Exception {
        String img = emoji("google", "1F600").toString();
        Path labels = Files.write(tmp.resolve("labels.txt"), "cat\ncaf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1));
        CliTest.Result r = run("classify", "--model", tiny(), "--labels-file", labels.toString(), img);
        assertEquals(1, r.code(), r.err());
        assertEquals("clip4j: " + labels + ": not valid UTF-8 (byte 0xE9 at offset 7)\n", r.err());
        Path templates = Files.writeString(tmp.resolve("t.json"), "[\"a photo of a {}.\", \"\\udc00 {}\"]");
        r = run("classify", "--model", tiny(), "--labels", "cat,dog", "--templates", templates.toString(), img);
        assertEquals(1, r.code(), r.err());
        assertEquals("clip4j: " + templates + ": element 1 is not valid Unicode (unpaired surrogate \\uDC00 at character 0)\n", r.err());
        Path policy = Files.writeString(tmp.resolve("p.json"), "{\"rules\": [{\"name\": \"faces\", \"positive\": [\"a face \\ud83d\"], \"neutral\": \"an emoji.\"}]}");
        r = run("score", "--model", tiny(), "--policy", policy.toString(), img);
        assertEquals(1, r.code(), r.err());
        assertEquals("clip4j: " + policy + ": rule \"faces\": \"positive\" element 0 is not valid Unicode (unpaired surrogate \\uD83D at character 7)\n", r.err());
        assertEquals("", r.out());
    }

    @Test void indexSearchAndDedupFollowTheEmbeddings() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        List<Path> files = new ArrayList<>();
        for (String cp : List.of("1F600", "1F680", "2615", "1F431", "1F1EF-1F1F5", "1F34E")) {
            files.add(copy(emoji("google", cp), photos.resolve("google/" + cp + ".png")));
            files.add(copy(emoji("twitter", cp), photos.resolve("twitter/" + cp + ".png")));
        }
        files.add(copy(files.get(0), photos.resolve("twitter/zz-copy.png")));
        Files.writeString(photos.resolve("broken.jpg"), "not a jpeg");
        CliTest.Result r = run("index", photos.toString(), "--index", index.toString(), "--model", tiny(), "--json");
        assertEquals(1, r.code(), "the broken file fails: " + r.err());
        assertTrue(r.err().contains("broken.jpg"), r.err());
        JsonNode stats = r.lines().get(0);
        assertEquals(13, stats.get("added").asInt());
        assertEquals(1, stats.get("failed").asInt());
        Files.delete(photos.resolve("broken.jpg"));
        r = run("index", photos.toString(), "--index", index.toString(), "--json", "--optimize");
        assertEquals(0, r.code(), "the model comes from the index: " + r.err());
        assertEquals(13, r.lines().get(0).get("unchanged").asInt());

        Map<String, float[]> emb = new HashMap<>();
        float[][] e = model.embedImages(files);
        for (int i = 0; i < files.size(); i++) emb.put(files.get(i).toString(), e[i]);
        for (List<String> extra : List.of(List.<String>of(), List.of("--exact"), List.of("--hnsw"), List.of("--hnsw", "--candidates", "3"))) {
            for (int k : new int[]{1, 5, 13, 40}) {
                List<String> args = new ArrayList<>(List.of("search", "an emoji of a cat", "--index", index.toString(), "-k", Integer.toString(k), "--json"));
                args.addAll(extra);
                r = run(args.toArray(String[]::new));
                assertEquals(0, r.code(), r.err());
                assertRanking(r.lines(), emb, model.embedText("an emoji of a cat"), k);
            }
        }
        // by image, with a folder prefix: the copy ties with its original (path order), the google folder is left out
        r = run("search", "--image", files.get(0).toString(), "--index", index.toString(), "--model", tiny(), "-k", "3", "--json", "--hnsw",
                "--prefix", photos.resolve("twitter") + "/");
        assertEquals(0, r.code(), r.err());
        Map<String, float[]> twitter = new HashMap<>();
        emb.forEach((p, v) -> { if (p.contains("/twitter/")) twitter.put(p, v); });
        assertRanking(r.lines(), twitter, model.embedImage(files.get(0)), 3);
        r = run("search", "grinning", "--index", index.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().lines().allMatch(l -> l.matches("-?\\d\\.\\d{4}  /.*")), r.out());
        assertEquals(2, run("search", "--index", index.toString()).code(), "neither QUERY nor --image");

        // another model is refused, and the message says how to rebuild
        r = run("search", "cat", "--index", index.toString(), "--model", Fixtures.path("models/small/hf").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("rebuild") && r.err().contains("clip4j index"), r.err());
        r = run("index", photos.toString(), "--index", index.toString(), "--model", Fixtures.path("models/small/hf").toString());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("rebuild"), r.err());
        r = run("search", "cat", "--index", tmp.resolve("none").toString(), "--model", tiny());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no index at"), r.err());

        // dedup: the exact copy, and whatever else the embeddings link at this threshold
        r = run("dedup", "--index", index.toString(), "--threshold", "0.99999", "--json", "--neighbours", "20");
        assertEquals(0, r.code(), r.err());
        List<List<String>> groups = new ArrayList<>();
        for (JsonNode g : r.lines()) {
            List<String> p = new ArrayList<>();
            g.get("paths").forEach(x -> p.add(x.asText()));
            groups.add(p);
        }
        assertTrue(groups.contains(List.of(files.get(0).toString(), photos.resolve("twitter/zz-copy.png").toString())), groups.toString());
    }

    /** A new index without --model uses the bundled model; a file given as the folder is named as such, and no index
     *  directory is left behind. */
    @Test void indexDefaultsToTheBundledModelAndChecksTheFolderFirst() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        List<Path> files = new ArrayList<>();
        for (Path p : IndexTestingFiles.emojis(2)) files.add(Files.copy(p, Files.createDirectories(photos).resolve(p.getFileName())));
        String before = System.getProperty("clip4j.home");
        System.setProperty("clip4j.home", Path.of("").toAbsolutePath().getParent().toString());   // the repository
        try {
            CliTest.Result r = run("index", photos.toString(), "--index", index.toString(), "--json");
            assertEquals(0, r.code(), r.err());
            assertEquals(2, r.lines().get(0).get("documents").asInt());
        } finally {
            if (before == null) System.clearProperty("clip4j.home"); else System.setProperty("clip4j.home", before);
        }
        Path other = tmp.resolve("other-index");
        CliTest.Result r = run("index", files.get(0).toString(), "--index", other.toString(), "--model", tiny());
        assertEquals(1, r.code());
        assertTrue(r.err().contains("not a folder: " + files.get(0)), r.err());
        assertFalse(Files.exists(other), "no index directory for a run that could not start");
    }

    /** Emoji images of the repository's bundled sample. */
    static final class IndexTestingFiles {
        static List<Path> emojis(int n) throws java.io.IOException {
            try (var s = Files.list(Path.of("").toAbsolutePath().getParent().resolve("samples/emoji"))) {
                return s.filter(p -> p.toString().endsWith(".png")).sorted().limit(n).toList();
            }
        }
    }

    static void assertRanking(List<JsonNode> hits, Map<String, float[]> emb, float[] query, int k) {
        assertEquals(Math.min(k, emb.size()), hits.size());
        List<String> got = new ArrayList<>();
        double last = Double.POSITIVE_INFINITY;
        String lastPath = "";
        for (JsonNode h : hits) {
            String p = h.get("path").asText();
            double s = h.get("score").asDouble();
            assertEquals(Vectors.dot(query, emb.get(p)), s, 1e-5, p);
            assertTrue(s <= last);
            if (s == last) assertTrue(lastPath.compareTo(p) < 0, "ties in path order");
            last = s;
            lastPath = p;
            got.add(p);
        }
        for (Map.Entry<String, float[]> x : emb.entrySet()) {
            if (!got.contains(x.getKey())) assertTrue(Vectors.dot(query, x.getValue()) <= last + 1e-5, x.getKey() + " belongs in the top " + k);
        }
    }

    @Test void embedWritesNpyWithASidecar() throws Exception {
        Path out = tmp.resolve("out/emb.npy");
        Path bad = Files.writeString(tmp.resolve("bad.png"), "nope");
        Path img = emoji("google", "1F600");
        CliTest.Result r = run("embed", "--model", tiny(), "--format", "npy", "--out", out.toString(),
                "--image", img.toString(), "--image", bad.toString(), "--text", "a cat", "--text", "a dog");
        assertEquals(1, r.code(), "one input failed");
        assertEquals("", r.out());
        byte[] bytes = Files.readAllBytes(out);
        // the header as NumPy's format 1.0 defines it
        assertArrayEquals(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0}, java.util.Arrays.copyOf(bytes, 8));
        int headerLen = (bytes[8] & 0xFF) | (bytes[9] & 0xFF) << 8;
        assertEquals(0, (10 + headerLen) % 64, "data aligned to 64 bytes");
        String header = new String(bytes, 10, headerLen, StandardCharsets.US_ASCII);
        assertTrue(header.endsWith("\n"));
        assertEquals("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 32), }", header.strip());
        assertEquals(10 + headerLen + 3 * 32 * 4, bytes.length);
        ByteBuffer data = ByteBuffer.wrap(bytes, 10 + headerLen, 3 * 32 * 4).order(ByteOrder.LITTLE_ENDIAN);
        float[][] want = {model.embedImage(img), model.embedText("a cat"), model.embedText("a dog")};
        for (float[] row : want) for (float v : row) assertEquals(v, data.getFloat(), 1e-5);
        float[][] back = Npy.read(out);
        assertEquals(3, back.length);
        JsonNode side = JSON.readTree(tmp.resolve("out/emb.json").toFile());
        assertEquals(List.of(img.toString(), "a cat", "a dog"), side.get("inputs").findValuesAsText("input"));
        assertEquals(List.of("image", "text", "text"), side.get("inputs").findValuesAsText("kind"));
        assertEquals(bad.toString(), side.get("errors").get(0).get("input").asText());
        assertEquals(3, side.get("shape").get(0).asInt());
        assertEquals(32, side.get("shape").get(1).asInt());
        assertTrue(side.get("normalized").asBoolean());

        CliTest.Result usage = run("embed", "--model", tiny(), "--format", "npy", "--text", "x");
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("--out"), usage.err());
        // an empty matrix is still a valid file
        Path empty = tmp.resolve("empty.npy");
        assertEquals(1, run("embed", "--model", tiny(), "--format", "npy", "--out", empty.toString(), "--image", bad.toString()).code());
        assertEquals(0, Npy.read(empty).length);
        assertTrue(new String(Files.readAllBytes(empty), StandardCharsets.US_ASCII).contains("'shape': (0, 32)"));
    }

}
