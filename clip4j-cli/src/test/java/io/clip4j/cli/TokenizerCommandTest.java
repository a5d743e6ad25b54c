package io.clip4j.cli;

import io.clip4j.testing.Fixtures;
import io.clip4j.text.ClipBpeTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** {@code clip4j tokenizer train}: formats, split filtering, the summary and the errors. */
class TokenizerCommandTest {
    @TempDir Path tmp;

    record Result(int code, String out, String err) {}

    static Result run(String... args) {
        StringWriter out = new StringWriter(), err = new StringWriter();
        int code = Main.run(args, new PrintWriter(out), new PrintWriter(err));
        return new Result(code, out.toString(), err.toString());
    }

    static Path emoji() {
        return Fixtures.repoRoot().resolve("../shared/data/emoji").normalize();
    }

    @Test void trainsOnTheEmojiTrainSplit() throws Exception {
        Path out = tmp.resolve("tok");
        Result r = run("tokenizer", "train", "--data", emoji().resolve("captions.tsv").toString(), "--vocab-size", "1024",
                "--out", out.toString(), "--split-json", emoji().resolve("splits.json").toString(), "--split", "train");
        assertEquals(0, r.code(), r.err());
        assertEquals("", r.err());
        assertTrue(r.out().contains("vocab size:      1024 (512 byte symbols + 510 merges + 2 special tokens)"), r.out());
        assertTrue(r.out().matches("(?s).*captions:        1[78]\\d{3} \\(split 'train' of .*splits.json\\).*"), r.out());
        assertTrue(r.out().matches("(?s).*tokens/caption:  \\d+\\.\\d\\d average, \\d+ max; 100\\.00 % of captions fit in 77.*"), r.out());
        assertTrue(r.out().contains("corpus words:"), r.out());
        assertTrue(r.out().contains("time:"), r.out());
        ClipBpeTokenizer tok = ClipBpeTokenizer.load(out);
        assertEquals(1024, tok.vocabSize());
        assertEquals(1, tok.encode("emoji").length);

        // all captions (no split) give more words than the train split alone
        Path all = tmp.resolve("all");
        Result a = run("tokenizer", "train", "--data", emoji().resolve("captions.tsv").toString(), "--vocab-size", "1024", "--out", all.toString());
        assertEquals(0, a.code(), a.err());
        assertTrue(a.out().contains("captions:        22508\n"), a.out());
    }

    static final List<String> CAPTIONS = List.of("a red apple, fresh", "the \"big\" apple", "two apples\nand a pear", "apple pie; apple tart", "Äpfel & pears");

    static String csvCell(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }

    /** The same captions as TSV (no newline inside), CSV with header and quoting, and JSONL train to the same files. */
    @Test void formatsAgree() throws Exception {
        StringBuilder tsv = new StringBuilder(), csv = new StringBuilder("id,caption,path\r\n"), jsonl = new StringBuilder();
        for (int i = 0; i < CAPTIONS.size(); i++) {
            String c = CAPTIONS.get(i);
            tsv.append("img").append(i).append(".png\t").append(c.replace('\n', ' ')).append('\n');
            csv.append(i).append(',').append(csvCell(c)).append(",img").append(i).append(".png\r\n");
            jsonl.append(Json.MAPPER.createObjectNode().put("path", "img" + i + ".png").put("text", c)).append('\n');
        }
        Files.writeString(tmp.resolve("c.tsv"), "\uFEFF" + tsv);
        Files.writeString(tmp.resolve("c.csv"), csv + "\n");
        Files.writeString(tmp.resolve("c.jsonl"), jsonl + "\n\n");
        for (String f : List.of("c.tsv", "c.csv", "c.jsonl")) {
            Result r = run("tokenizer", "train", "--data", tmp.resolve(f).toString(), "--vocab-size", "540", "--out", tmp.resolve("out-" + f).toString());
            assertEquals(0, r.code(), f + ": " + r.err());
            assertTrue(r.out().contains("captions:        5\n"), f + ": " + r.out());
        }
        for (String file : List.of("vocab.json", "merges.txt")) {
            byte[] ref = Files.readAllBytes(tmp.resolve("out-c.tsv").resolve(file));
            assertArrayEquals(ref, Files.readAllBytes(tmp.resolve("out-c.csv").resolve(file)), file);
            assertArrayEquals(ref, Files.readAllBytes(tmp.resolve("out-c.jsonl").resolve(file)), file);
        }
        List<String> merges = Files.readAllLines(tmp.resolve("out-c.csv").resolve("merges.txt"));
        assertEquals("#version: 0.2", merges.get(0));
        assertEquals("a p", merges.get(1)); // "apple" ×5 (+ "apples"), the most frequent word
    }

    @Test void csvQuotingAndColumns() {
        String csv = "id,caption,path\n1,\"a, \"\"quoted\"\" caption\nover two lines\",x.png\n\n2,plain,y.png\n";
        List<String> caps = TokenizerCommand.CaptionTable.read(write("q.csv", csv), null, null, false);
        assertEquals(List.of("a, \"quoted\" caption\nover two lines", "plain"), caps);
        assertEquals(List.of("x.png\0a, \"quoted\" caption\nover two lines", "y.png\0plain"),
                TokenizerCommand.CaptionTable.read(write("q.csv", csv), null, null, true));
        assertEquals(List.of("1", "2"), TokenizerCommand.CaptionTable.read(write("q.csv", csv), null, "0", false));
        assertEquals(List.of("x.png", "y.png"), TokenizerCommand.CaptionTable.read(write("q.csv", csv), null, "path", false));
        // no header: the last column; --column index
        assertEquals(List.of("b", "d"), TokenizerCommand.CaptionTable.read(write("n.tsv", "a\tb\r\nc\td\n"), null, null, false));
        assertEquals(List.of("a", "c"), TokenizerCommand.CaptionTable.read(write("n.tsv", "a\tb\r\nc\td\n"), null, "0", false));
        assertEquals(List.of("one caption per line", "two"), TokenizerCommand.CaptionTable.read(write("p.txt", "one caption per line\ntwo\n"), null, null, false));
        assertEquals(List.of("x"), TokenizerCommand.CaptionTable.read(write("j.data", "{\"caption\":\"x\",\"text\":\"y\"}"), "jsonl", null, false));
        assertEquals(List.of("y"), TokenizerCommand.CaptionTable.read(write("j.jsonl", "{\"caption\":\"x\",\"text\":\"y\"}"), null, "text", false));
        // the split filter matches the path, the file name or its stem
        assertEquals(List.of("a", "b", "c"), TokenizerCommand.CaptionTable.filter(
                List.of("images/g/1F600.png\0a", "images/t/1F600.png\0b", "q/x.jpg\0c", "q/y.jpg\0d", "z\0e"), java.util.Set.of("1F600", "x.jpg", "z2")));
    }

    Path write(String name, String content) {
        try {
            return Files.writeString(tmp.resolve(name), content);
        } catch (java.io.IOException e) {
            throw new RuntimeException(e);
        }
    }

    @Test void errorsNameTheInput() throws Exception {
        Path out = tmp.resolve("o");
        String missing = tmp.resolve("missing.tsv").toString();
        Result r = run("tokenizer", "train", "--data", missing, "--vocab-size", "600", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("clip4j: captions file not found: " + missing + "\n", r.err());

        Path bad = write("bad.jsonl", "{\"caption\": \"ok\"}\n{\"caption\": 3}\n");
        r = run("tokenizer", "train", "--data", bad.toString(), "--vocab-size", "600", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("clip4j: " + bad + ":2: no \"caption\" or \"text\" string field\n", r.err());

        Path broken = write("broken.jsonl", "{\"caption\": \n");
        r = run("tokenizer", "train", "--data", broken.toString(), "--vocab-size", "600", "--out", out.toString());
        assertEquals(1, r.code());
        assertTrue(r.err().startsWith("clip4j: " + broken + ":1: not valid JSON"), r.err());
        assertEquals(1, r.err().lines().count());

        Path lone = write("lone.jsonl", "{\"caption\": \"ok\"}\n{\"text\": \"a \\udbff\"}\n");
        r = run("tokenizer", "train", "--data", lone.toString(), "--vocab-size", "600", "--out", out.toString());
        assertEquals(1, r.code());
        assertEquals("clip4j: " + lone + ":2: \"text\" is not valid Unicode (unpaired surrogate \\uDBFF at character 2)\n", r.err());

        Path latin1 = tmp.resolve("latin1.tsv");
        Files.write(latin1, "a.png\tcaf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        r = run("tokenizer", "train", "--data", latin1.toString(), "--vocab-size", "600", "--out", out.toString());
        assertEquals("clip4j: " + latin1 + ": not valid UTF-8 (byte 0xE9 at offset 9)\n", r.err());

        Path csv = write("open.csv", "caption\n\"never closed\n");
        r = run("tokenizer", "train", "--data", csv.toString(), "--vocab-size", "600", "--out", out.toString());
        assertEquals("clip4j: " + csv + ":2: unterminated quoted field\n", r.err());

        // a row missing the caption column is named by the line it starts on, not its row number
        Path shortRow = write("short.csv", "path,caption\na.png,\"two\nlines\"\nb.png\n");
        r = run("tokenizer", "train", "--data", shortRow.toString(), "--vocab-size", "600", "--out", out.toString());
        assertEquals("clip4j: " + shortRow + ":4: 1 column, the caption column 1 is missing\n", r.err());

        Path unknown = write("caps.parquet", "x");
        r = run("tokenizer", "train", "--data", unknown.toString(), "--vocab-size", "600", "--out", out.toString());
        assertEquals("clip4j: cannot tell the format of " + unknown + " from its extension: use --format tsv, csv or jsonl\n", r.err());

        Path tsv = write("t.tsv", "a.png\tone\nb.png\ttwo\n");
        Path splits = write("splits.json", "{\"seed\": 1, \"train\": [\"a\"], \"val\": [\"b\"]}");
        r = run("tokenizer", "train", "--data", tsv.toString(), "--vocab-size", "600", "--out", out.toString(), "--split-json", splits.toString(), "--split", "test");
        assertEquals(1, r.code());
        assertEquals("clip4j: " + splits + ": no split 'test' (splits: train, val)\n", r.err());

        r = run("tokenizer", "train", "--data", tsv.toString(), "--vocab-size", "600", "--out", out.toString(), "--split-json", tmp.resolve("nope.json").toString());
        assertEquals("clip4j: splits file not found: " + tmp.resolve("nope.json") + "\n", r.err());

        Path noPath = write("one.tsv", "just a caption\n");
        r = run("tokenizer", "train", "--data", noPath.toString(), "--vocab-size", "600", "--out", out.toString(), "--split-json", splits.toString());
        assertEquals("clip4j: " + noPath + ":1: no image path column apart from the caption (needed for --split-json)\n", r.err());

        Path empty = write("empty.tsv", "\n\n");
        r = run("tokenizer", "train", "--data", empty.toString(), "--vocab-size", "600", "--out", out.toString());
        assertEquals("clip4j: " + empty + ": no captions\n", r.err());

        // usage errors: exit 2
        r = run("tokenizer", "train", "--data", tsv.toString(), "--vocab-size", "100", "--out", out.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("vocabulary size must be at least 514"), r.err());
        r = run("tokenizer", "train", "--data", tsv.toString(), "--vocab-size", "600", "--out", out.toString(), "--split", "train");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--split needs --split-json"), r.err());
        assertFalse(Files.exists(out));
    }

    @Test void splitAndMinFrequency() throws Exception {
        Path tsv = write("t.tsv", "img/a.png\tapple apple apple\nimg/b.png\tbanana\n");
        Path splits = write("splits.json", "{\"train\": [\"a\"], \"val\": [\"b\"]}");
        Path out = tmp.resolve("o");
        Result r = run("tokenizer", "train", "--data", tsv.toString(), "--vocab-size", "600", "--out", out.toString(),
                "--split-json", splits.toString(), "--min-frequency", "2");
        assertEquals(0, r.code(), r.err());
        // one caption, "apple" ×3: a p, ap p, app l, appl e</w> — then nothing is left
        assertTrue(r.out().contains("vocab size:      518 (512 byte symbols + 4 merges + 2 special tokens)"), r.out());
        assertTrue(r.out().contains("(asked for 600: no pair left that occurs at least 2 times)"), r.out());
        assertTrue(r.out().contains("tokens/caption:  3.00 average, 3 max"), r.out());
        assertEquals(List.of("#version: 0.2", "a p", "ap p", "app l", "appl e</w>"), Files.readAllLines(out.resolve("merges.txt")));
    }

    @Test void tokenizerAloneShowsUsage() {
        Result r = run("tokenizer");
        assertEquals(0, r.code());
        assertTrue(r.out().contains("train"), r.out());
    }
}
