package io.clip4j.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.clip4j.io.SafeTensors;
import io.clip4j.testing.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The CLI contract: output formats, ordering, errors, against the reference outputs. */
class CliTest {
    @TempDir Path tmp;
    static final ObjectMapper JSON = new ObjectMapper();

    record Result(int code, String out, String err) {
        List<JsonNode> lines() throws Exception {
            List<JsonNode> l = new ArrayList<>();
            for (String s : out.split("\n")) if (!s.isBlank()) l.add(JSON.readTree(s));
            return l;
        }
    }

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    static String tiny() { return Fixtures.path("models/tiny/hf").toString(); }

    static String image(String name) throws Exception {
        JsonNode images = JSON.readTree(Fixtures.path("images/images.json").toFile());
        for (JsonNode i : images) if (i.get("name").asText().equals(name)) return Fixtures.path("images/inputs/" + i.get("file").asText()).toString();
        throw new IllegalArgumentException(name);
    }

    static String text(String id) throws Exception {
        for (JsonNode s : JSON.readTree(Fixtures.path("tokenizer/strings.json").toFile())) if (s.get("id").asText().equals(id)) return s.get("text").asText();
        throw new IllegalArgumentException(id);
    }

    static float[] floats(JsonNode arr) {
        float[] f = new float[arr.size()];
        for (int i = 0; i < f.length; i++) f[i] = (float) arr.get(i).asDouble();
        return f;
    }

    /** Only the named subcommand is registered at start-up; without one, help and typos still see every command. */
    @Test void everyCommandIsListedAndSuggestedWithoutASubcommand() {
        Result none = run();
        assertEquals(0, none.code());
        for (String c : List.of("embed", "classify", "index", "search", "train", "tokenizer", "convert", "help"))
            assertTrue(none.out().contains("  " + c + " "), c + " in the usage:\n" + none.out());
        Result typo = run("embd");
        assertEquals(2, typo.code());
        assertTrue(typo.err().contains("Did you mean: clip4j embed?"), typo.err());
        Result help = run("help", "classify");
        assertEquals(0, help.code());
        assertTrue(help.out().contains("Usage: clip4j classify"), help.out());
        Result nested = run("tokenizer", "train", "--help");
        assertTrue(nested.out().contains("Usage: clip4j tokenizer train"), nested.out());
    }

    /** -V and --version print the version on every command, not only on clip4j itself. */
    @Test void everyCommandPrintsTheVersion() {
        List<List<String>> commands = new ArrayList<>(List.of(List.of(), List.of("tokenizer", "train")));
        for (Class<?> c : Main.SUBCOMMANDS)
            if (!c.equals(picocli.CommandLine.HelpCommand.class)) commands.add(List.of(c.getAnnotation(picocli.CommandLine.Command.class).name()));
        for (List<String> command : commands) {
            for (String flag : List.of("-V", "--version")) {
                List<String> args = new ArrayList<>(command);
                args.add(flag);
                Result r = run(args.toArray(String[]::new));
                assertEquals(0, r.code(), String.join(" ", args) + ": " + r.err());
                assertEquals("clip4j 0.1.0\n", r.out().replace("\r\n", "\n"), String.join(" ", args));
            }
        }
    }

    /** --out never overwrites an input, and a run that fails leaves an existing output file as it was. */
    @Test void outputsNeverOverwriteInputsOrEarlierResults(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path img = Files.copy(Path.of(image("astronaut")), dir.resolve("cat.png"));
        byte[] imgBytes = Files.readAllBytes(img);
        Result r = run("embed", "--model", tiny(), "--image", img.toString(), "--out", img.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("would overwrite"), r.err());
        assertArrayEquals(imgBytes, Files.readAllBytes(img), "the image is untouched");
        Path q = Files.writeString(dir.resolve("q.json"), "[\"a cat\"]");
        r = run("embed", "--model", tiny(), "--texts-json", q.toString(), "--format", "npy", "--out", dir.resolve("q.npy").toString());
        assertEquals(2, r.code());
        assertEquals("[\"a cat\"]", Files.readString(q), "the texts file is untouched");
        Path keep = Files.writeString(dir.resolve("keep.jsonl"), "earlier results\n");
        r = run("embed", "--model", dir.resolve("no-such-model").toString(), "--text", "a cat", "--out", keep.toString());
        assertEquals(1, r.code());
        assertEquals("earlier results\n", Files.readString(keep), "a run that failed leaves the old output");
        r = run("embed", "--model", tiny(), "--text", "a cat", "--out", keep.toString());
        assertEquals(0, r.code(), r.err());
        List<String> written = Files.readAllLines(keep);
        assertEquals(1, written.size(), "the new results replace the old: " + written);
        assertEquals("text", JSON.readTree(written.get(0)).get("kind").asText());
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(keep)), "an ordinary file");
        // npy through a link: the link stays a link, its target gets the matrix
        Path target = dir.resolve("real.npy"), link = Files.createSymbolicLink(dir.resolve("link.npy"), target.getFileName());
        Files.writeString(target, "old");
        r = run("embed", "--model", tiny(), "--text", "a cat", "--format", "npy", "--out", link.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isSymbolicLink(link), "the link is kept");
        assertEquals(0x93, Files.readAllBytes(target)[0] & 0xff, "the target holds the .npy");
        for (Path f : List.of(target, dir.resolve("link.json")))
            assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
        // JSON lines through a link, and through a link whose target does not exist yet: the links stay links
        Path jsonTarget = Files.writeString(dir.resolve("real.jsonl"), "old\n"), jsonLink = Files.createSymbolicLink(dir.resolve("link.jsonl"), jsonTarget.getFileName());
        Path dangling = Files.createSymbolicLink(dir.resolve("dangling.jsonl"), Path.of("new.jsonl"));
        for (Path l : List.of(jsonLink, dangling)) {
            r = run("embed", "--model", tiny(), "--text", "a cat", "--out", l.toString());
            assertEquals(0, r.code(), r.err());
            assertTrue(Files.isSymbolicLink(l), "the link is kept: " + l);
            assertEquals("text", JSON.readTree(Files.readAllLines(l.resolveSibling(Files.readSymbolicLink(l))).get(0)).get("kind").asText(), l.toString());
        }
        try (var s = Files.list(dir)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList(), "no temporary files left");
        }
    }

    /** A pipe given as an image is one error line, not a hang; a patch budget out of range is a usage error. */
    @Test void aPipeIsNotReadAndThePatchBudgetIsChecked(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path fifo = dir.resolve("pipe.png");
        assertEquals(0, new ProcessBuilder("mkfifo", fifo.toString()).start().waitFor());
        Result r = run("embed", "--model", tiny(), "--image", fifo.toString(), "--image", image("rocket"));
        assertEquals(1, r.code());
        assertTrue(r.err().contains(fifo + ": not a regular file") || r.out().contains("not a regular file"), r.out() + r.err());
        assertEquals(2, r.lines().size(), "the other image still runs");
        for (String n : List.of("-1", "2147483647")) {
            Result p = run("embed", "--model", tiny(), "--text", "a cat", "--max-num-patches", n);
            assertEquals(2, p.code(), n);
            assertTrue(p.err().contains("--max-num-patches"), p.err());
        }
    }

    @Test void embedPrintsImagesThenTextsInOrderMatchingTheReference() throws Exception {
        // images.json order: chelsea is 0, rocket 3; strings order: p00 is 0, p31 is 31
        Path texts = tmp.resolve("texts.json");
        Files.writeString(texts, JSON.writeValueAsString(List.of(text("p31_special_tokens_in_text"))));
        Result r = run("embed", "--model", tiny(), "--image", image("chelsea"), "--image", image("rocket"),
                "--text", text("p00_plain_caption"), "--texts-json", texts.toString());
        assertEquals(0, r.code(), r.err());
        List<JsonNode> lines = r.lines();
        assertEquals(4, lines.size());
        assertEquals(List.of("image", "image", "text", "text"), lines.stream().map(l -> l.get("kind").asText()).toList());
        assertEquals(image("rocket"), lines.get(1).get("input").asText());
        try (SafeTensors exp = SafeTensors.open(Fixtures.path("models/tiny/expected.safetensors"))) {
            float[] img = exp.floats("image_features_normalized"), txt = exp.floats("text_features_normalized");
            int[][] refRows = {{0, 0}, {3, 0}, {0, 1}, {31, 1}};
            for (int i = 0; i < 4; i++) {
                float[] ref = refRows[i][1] == 0 ? img : txt;
                float[] got = floats(lines.get(i).get("embedding"));
                assertEquals(32, got.length);
                for (int d = 0; d < 32; d++) assertEquals(ref[refRows[i][0] * 32 + d], got[d], 1e-4, "line " + i + " dim " + d);
            }
        }
    }

    @Test void unnormalizedGivesTheRawFeatures() throws Exception {
        Result r = run("embed", "--model", Fixtures.path("models/tiny/open_clip").toString(), "--tokenizer", tiny(), "--unnormalized",
                "--text", text("p00_plain_caption"));
        assertEquals(0, r.code(), r.err());
        try (SafeTensors exp = SafeTensors.open(Fixtures.path("models/tiny/expected.safetensors"))) {
            float[] ref = exp.floats("text_features");
            float[] got = floats(r.lines().get(0).get("embedding"));
            for (int d = 0; d < 32; d++) assertEquals(ref[d], got[d], 1e-4);
        }
    }

    @Test void aBadImageIsReportedInItsPlaceAndTheOthersStillRun() throws Exception {
        Path bad = tmp.resolve("broken.jpg");
        Files.write(bad, new byte[]{(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0x00, 1, 2, 3});
        Path empty = tmp.resolve("empty.png");
        Files.write(empty, new byte[0]);
        Result r = run("embed", "--model", tiny(), "--image", bad.toString(), "--image", image("chelsea"), "--image", empty.toString());
        assertEquals(1, r.code());
        List<JsonNode> lines = r.lines();
        assertEquals(3, lines.size());
        assertTrue(lines.get(0).has("error") && lines.get(0).get("error").asText().contains(bad.toString()));
        assertTrue(lines.get(1).has("embedding"));
        assertTrue(lines.get(2).get("error").asText().contains(empty.toString()));
        assertEquals(2, r.err().lines().filter(l -> l.startsWith("clip4j: ")).count(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace without --debug");
    }

    /** --texts-json that is not UTF-8, or that holds a string that is not Unicode text: one error naming the file, nothing run. */
    @Test void textsJsonMustBeUtf8AndUnicode() throws Exception {
        Path latin1 = Files.write(tmp.resolve("l1.json"), "[\"a cat\", \"caf\u00e9\"]".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        Path lone = Files.writeString(tmp.resolve("lone.json"), "[\"a cat\", \"a \\ud800 dog\"]");
        for (String command : List.of("embed", "tokenize")) {
            Result r = run(command, "--model", tiny(), "--texts-json", latin1.toString());
            assertEquals(1, r.code(), r.err());
            assertEquals("clip4j: " + latin1 + ": not valid UTF-8 (byte 0xE9 at offset 14)\n", r.err());
            assertEquals("", r.out());
            r = run(command, "--model", tiny(), "--texts-json", lone.toString());
            assertEquals(1, r.code(), r.err());
            assertEquals("clip4j: " + lone + ": element 1 is not valid Unicode (unpaired surrogate \\uD800 at character 2)\n", r.err());
            assertEquals("", r.out());
        }
        // an escaped surrogate pair is one character
        Path pair = Files.writeString(tmp.resolve("pair.json"), "[\"\\ud83d\\ude00 cat\"]");
        Result r = run("embed", "--model", tiny(), "--texts-json", pair.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("\uD83D\uDE00 cat", r.lines().get(0).get("input").asText());
    }

    @Test void tokenizePrintsContextRowsMatchingTheReference() throws Exception {
        Path texts = tmp.resolve("t.json");
        List<String> ids = List.of("p13_html_double_escaped", "p41_long_caption", "p29_empty");
        List<String> strings = new ArrayList<>();
        for (String id : ids) strings.add(text(id));
        Files.writeString(texts, JSON.writeValueAsString(strings));
        Result r = run("tokenize", "--model", tiny(), "--texts-json", texts.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode expected = JSON.readTree(Fixtures.path("tokenizer/expected_tokens.json").toFile());
        List<JsonNode> lines = r.lines();
        for (int i = 0; i < ids.size(); i++) {
            JsonNode ref = null;
            for (JsonNode e : expected) if (e.get("id").asText().equals(ids.get(i))) ref = e.get("context_ids");
            assertEquals(ref, lines.get(i), ids.get(i));
        }
    }

    @Test void errorsAreOneLineNamingTheInput() {
        Result missing = run("embed", "--model", tmp.resolve("nope").toString(), "--text", "x");
        assertNotEquals(0, missing.code());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains(tmp.resolve("nope").toString()));

        Result noTok = run("embed", "--model", Fixtures.path("models/tiny/open_clip").toString(), "--text", "x");
        assertEquals(1, noTok.code());
        assertTrue(noTok.err().contains("vocab.json"), noTok.err());
        assertEquals(1, noTok.err().strip().lines().count(), noTok.err());

        Result debug = run("embed", "--debug", "--model", tmp.resolve("nope").toString(), "--text", "x");
        assertTrue(debug.err().contains("\tat "), "--debug prints the stack trace");

        Result usage = run("embed", "--model", tiny());
        assertEquals(2, usage.code());
        assertTrue(usage.err().contains("nothing to embed"));
    }

    @Test void embedWritesItsTimings() throws Exception {
        Path t = tmp.resolve("timings.json");
        Result r = run("embed", "--model", tiny(), "--image", image("chelsea"), "--image", image("coffee"), "--text", "a cat", "--timings", t.toString());
        assertEquals(0, r.code(), r.err());
        JsonNode j = JSON.readTree(t.toFile());
        assertEquals(2, j.get("images").asInt());
        assertEquals(1, j.get("texts").asInt());
        for (String k : List.of("load_s", "load_to_first_embedding_s", "images_s", "texts_s", "images_per_s", "captions_per_s", "total_s"))
            assertTrue(j.get(k).asDouble() > 0, k + " in " + j);
        assertTrue(j.get("load_to_first_embedding_s").asDouble() >= j.get("load_s").asDouble(), j.toString());
    }

    @Test void initWritesALoadableModelWithTokenizer() throws Exception {
        Path out = tmp.resolve("m");
        Result r = run("init", "--arch", "tiny", "--out", out.toString(), "--seed", "3", "--tokenizer-from", tiny());
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("config.json", "model.safetensors", "preprocessor_config.json", "vocab.json", "merges.txt")) {
            assertTrue(Files.isRegularFile(out.resolve(f)), f);
        }
        Result e = run("embed", "--model", out.toString(), "--text", "a dog", "--image", image("chelsea"));
        assertEquals(0, e.code(), e.err());
        assertEquals(64, e.lines().get(0).get("embedding").size());
        Result bad = run("init", "--arch", "vit-z-99", "--out", out.toString());
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("vit-z-99"));
    }

    /** SigLIP 2 from the CLI: token rows as the processor pads them, and embeddings equal to the reference. */
    @Test void siglip2TokenizeAndEmbedFromTheCli() throws Exception {
        String dir = Fixtures.path("siglip/siglip2_tiny").toString();
        JsonNode cases = JSON.readTree(Fixtures.path("siglip/tokenization_siglip2.json").toFile()).get("cases");
        List<String> texts = new ArrayList<>();
        for (JsonNode c : cases) texts.add(c.get("text").asText());
        Path tj = tmp.resolve("s2.json");
        Files.writeString(tj, JSON.writeValueAsString(texts));
        Result tok = run("tokenize", "--model", dir, "--texts-json", tj.toString());
        assertEquals(0, tok.code(), tok.err());
        List<JsonNode> rows = tok.lines();
        assertEquals(cases.size(), rows.size());
        for (int i = 0; i < cases.size(); i++) assertEquals(cases.get(i).get("input_ids_max_length"), rows.get(i), cases.get(i).get("text").asText());

        JsonNode meta = JSON.readTree(Fixtures.path("siglip/expected_siglip2.json").toFile());
        String image = Fixtures.path("siglip/images/" + meta.get("images").get(6).asText()).toString();
        String caption = meta.get("captions").get(1).asText();
        Result emb = run("embed", "--model", dir, "--max-num-patches", "16", "--image", image, "--text", caption);
        assertEquals(0, emb.code(), emb.err());
        try (SafeTensors exp = SafeTensors.open(Fixtures.path("siglip/expected_siglip2.safetensors"))) {
            float[] img = exp.floats("mnp16.image_embeds"), txt = exp.floats("text_embeds");
            float[] gotImg = floats(emb.lines().get(0).get("embedding")), gotTxt = floats(emb.lines().get(1).get("embedding"));
            for (int d = 0; d < 64; d++) {
                assertEquals(img[6 * 64 + d], gotImg[d], 1e-5, "image dim " + d);
                assertEquals(txt[64 + d], gotTxt[d], 1e-5, "text dim " + d);
            }
        }
    }

    /**
     * classify on a NaFlex (SigLIP 2) model: images of different patch grids share batches; each image's scores are
     * those it gets alone (batch size 1), in input order, and a missing file is reported without stopping the rest.
     */
    @Test void siglip2ClassifyBatchesImagesOfDifferentGrids() throws Exception {
        String dir = Fixtures.path("siglip/siglip2_tiny").toString();
        List<String> files = new ArrayList<>();
        for (String f : List.of("cat_chelsea.png", "wide_strip.png", "tall_strip.png", "coffee.png", "tiny_2x3.png"))
            files.add(Fixtures.path("siglip/images/" + f).toString());
        files.add(2, tmp.resolve("missing.png").toString());
        List<String> args = new ArrayList<>(List.of("classify", "--json", "--model", dir, "--labels", "cat,dog,a strip", "-k", "3"));
        Result together = run(concat(args, List.of("--batch-size", "2"), files));
        Result alone = run(concat(args, List.of("--batch-size", "1"), files));
        assertEquals(1, together.code(), together.err());
        assertEquals(1, alone.code(), alone.err());
        java.util.Map<String, JsonNode> a = new java.util.HashMap<>(), t = new java.util.HashMap<>();
        for (JsonNode l : alone.lines()) a.put(l.get("path").asText(), l);
        for (JsonNode l : together.lines()) t.put(l.get("path").asText(), l);
        assertEquals(files.size(), t.size());
        assertTrue(t.get(files.get(2)).has("error"));
        for (String f : files) {
            if (f.equals(files.get(2))) continue;
            JsonNode pa = a.get(f).get("predictions"), pt = t.get(f).get("predictions");
            assertEquals(3, pt.size(), f);
            for (int i = 0; i < 3; i++) {
                assertEquals(pa.get(i).get("label").asText(), pt.get(i).get("label").asText(), f);
                assertEquals(pa.get(i).get("score").asDouble(), pt.get(i).get("score").asDouble(), 1e-5, f);
            }
        }
    }

    @SafeVarargs
    private static String[] concat(List<String>... parts) {
        List<String> all = new ArrayList<>();
        for (List<String> p : parts) all.addAll(p);
        return all.toArray(new String[0]);
    }

    @Test void convertWritesHalfPrecisionThatStaysCloseToTheReference() throws Exception {
        Path out = tmp.resolve("f16");
        Result r = run("convert", "--model", Fixtures.path("models/tiny/open_clip").toString(), "--out", out.toString(), "--dtype", "F16");
        assertEquals(0, r.code(), r.err());
        try (SafeTensors st = SafeTensors.open(out.resolve("model.safetensors"))) {
            assertEquals(io.clip4j.io.DType.F16, st.info("text_projection.weight").dtype());
        }
        Result e = run("embed", "--model", out.toString(), "--tokenizer", tiny(), "--unnormalized", "--text", text("p00_plain_caption"));
        assertEquals(0, e.code(), e.err());
        try (SafeTensors exp = SafeTensors.open(Fixtures.path("models/tiny/expected.safetensors"))) {
            float[] ref = exp.floats("text_features");
            float[] got = floats(e.lines().get(0).get("embedding"));
            double worst = 0;
            for (int d = 0; d < 32; d++) worst = Math.max(worst, Math.abs(ref[d] - got[d]));
            assertTrue(worst < 1e-2 && worst > 0, "F16 rounding changes features slightly: " + worst);
        }
    }

    /** convert on SigLIP and SigLIP 2 (NaFlex) directories: storage type, companion files, embeddings close to the original's. */
    @Test void convertWritesSiglipModelsInEveryStorageType() throws Exception {
        for (String[] c : new String[][]{{"siglip/siglip_tiny", "spiece.model"}, {"siglip/siglip2_tiny", "tokenizer.model"}}) {
            Path src = Fixtures.path(c[0]);
            for (String dtype : new String[]{"F16", "BF16", "F32"}) {
                Path out = tmp.resolve(src.getFileName() + "-" + dtype);
                Result r = run("convert", "--model", src.toString(), "--out", out.toString(), "--dtype", dtype);
                assertEquals(0, r.code(), r.err());
                for (String f : List.of("config.json", "model.safetensors", "preprocessor_config.json", "tokenizer_config.json", "special_tokens_map.json", c[1]))
                    assertTrue(Files.isRegularFile(out.resolve(f)), f);
                assertEquals(JSON.readTree(src.resolve("config.json").toFile()).get("model_type"), JSON.readTree(out.resolve("config.json").toFile()).get("model_type"));
                try (SafeTensors st = SafeTensors.open(out.resolve("model.safetensors"))) {
                    assertEquals(io.clip4j.io.DType.valueOf(dtype), st.info("vision_model.head.attention.in_proj_weight").dtype());
                }
                List<Path> images = List.of(Fixtures.path("siglip/images/cat_chelsea.png"), Fixtures.path("siglip/images/wide_strip.png"));
                List<String> texts = List.of("a photo of a cat", "a wide strip");
                try (io.clip4j.model.ClipModel a = io.clip4j.model.ClipModel.load(src); io.clip4j.model.ClipModel b = io.clip4j.model.ClipModel.load(out)) {
                    assertEquals(a.family(), b.family());
                    assertEquals(a.logitBias(), b.logitBias(), dtype.equals("F32") ? 0f : 0.1f);
                    float[][] ia = a.embedImages(images), ib = b.embedImages(images), ta = a.embedTexts(texts), tb = b.embedTexts(texts);
                    double worst = 0;
                    for (int i = 0; i < 2; i++) for (int d = 0; d < ia[i].length; d++) {
                        worst = Math.max(worst, Math.abs(ia[i][d] - ib[i][d]));
                        worst = Math.max(worst, Math.abs(ta[i][d] - tb[i][d]));
                    }
                    System.out.printf("convert %s to %s: embeddings max|Δ| %.2e%n", c[0], dtype, worst);
                    if (dtype.equals("F32")) assertEquals(0.0, worst, "F32 is a lossless rewrite");
                    else assertTrue(worst > 0 && worst < (dtype.equals("F16") ? 1e-2 : 5e-2), dtype + " rounding changes embeddings slightly: " + worst);
                }
            }
        }
    }
}
