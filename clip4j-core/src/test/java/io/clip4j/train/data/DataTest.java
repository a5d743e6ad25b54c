package io.clip4j.train.data;

import io.clip4j.image.PreprocessConfig;
import io.clip4j.text.Tokenizers;
import io.clip4j.train.Augment;
import io.clip4j.train.TrainTesting;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

class DataTest {
    @TempDir Path tmp;

    @Test void tsvCsvAndJsonlTablesGroupCaptionsPerImage() throws Exception {
        Files.writeString(tmp.resolve("a.tsv"), "img/x.png\tfirst\nimg/y.png\tother\nimg/x.png\tsecond\n");
        Files.writeString(tmp.resolve("b.csv"), "filepath,title\nimg/x.png,first\n\"img/y.png\",\"other, with \"\"comma\"\"\"\nimg/x.png,second\n");
        Files.writeString(tmp.resolve("c.jsonl"), "{\"image\":\"img/x.png\",\"caption\":[\"first\",\"second\"]}\n{\"path\":\"img/y.png\",\"text\":\"other\"}\n");
        for (String f : List.of("a.tsv", "b.csv", "c.jsonl")) {
            CaptionTable t = CaptionTable.read(tmp.resolve(f));
            assertEquals(2, t.size(), f);
            assertEquals(tmp.resolve("img/x.png"), t.items().get(0).image());
            assertEquals(List.of("first", "second"), t.items().get(0).captions(), f);
        }
        assertEquals("other, with \"comma\"", CaptionTable.read(tmp.resolve("b.csv")).items().get(1).captions().get(0));
    }

    /** JSONL values of the wrong type are an error naming the line, not text like "null" or "". */
    @Test void jsonlValuesOfTheWrongTypeAreRefused() throws Exception {
        for (String bad : List.of("{\"image\":\"a.png\",\"caption\":{\"x\":1}}", "{\"image\":\"a.png\",\"caption\":[null]}",
                "{\"image\":\"a.png\",\"caption\":[]}", "{\"image\":{\"p\":1},\"caption\":\"c\"}")) {
            Files.writeString(tmp.resolve("w.jsonl"), "{\"image\":\"b.png\",\"caption\":\"fine\"}\n" + bad + "\n");
            var e = assertThrows(io.clip4j.Clip4jException.class, () -> CaptionTable.read(tmp.resolve("w.jsonl")), bad);
            assertTrue(e.getMessage().contains("w.jsonl:2"), e.getMessage());
        }
    }

    /** One image spelled two ways is one item with both captions. */
    @Test void anImageSpelledTwoWaysIsOneItem() throws Exception {
        Files.writeString(tmp.resolve("s.tsv"), "img/x.png\tfirst\n./img/x.png\tsecond\nimg/../img/y.png\tother\n");
        CaptionTable t = CaptionTable.read(tmp.resolve("s.tsv"));
        assertEquals(2, t.size());
        assertEquals(List.of("first", "second"), t.items().get(0).captions());
        assertEquals(tmp.resolve("img/y.png"), t.items().get(1).image());
    }

    /** A quote never closed, and a table that is not UTF-8: one error naming the file (and the line). */
    @Test void brokenTablesAreRefusedWithTheFileAndLine() throws Exception {
        Files.writeString(tmp.resolve("q.csv"), "filepath,title\nimg/a.png,ok\nimg/b.png,\"12\"\" ruler\nimg/c.png,three\nimg/d.png,four\n");
        var e = assertThrows(io.clip4j.Clip4jException.class, () -> CaptionTable.read(tmp.resolve("q.csv")));
        assertTrue(e.getMessage().contains("q.csv") && e.getMessage().contains("line 3") && e.getMessage().contains("never closed"), e.getMessage());
        // a CSV record too short for the caption column: named by the line it starts on, after a caption over two lines
        Files.writeString(tmp.resolve("short.csv"), "filepath,title\nimg/a.png,\"two\nlines\"\nimg/b.png\n");
        e = assertThrows(io.clip4j.Clip4jException.class, () -> CaptionTable.read(tmp.resolve("short.csv")));
        assertEquals(tmp.resolve("short.csv") + ":4: expected at least 2 fields (up to the \"title\" column), got 1 field", e.getMessage());
        Files.writeString(tmp.resolve("short3.csv"), "\uFEFFtitle,id,path\n\"one\ntwo\nthree\",1,a.png\n\"x\",2\n");
        e = assertThrows(io.clip4j.Clip4jException.class, () -> CaptionTable.read(tmp.resolve("short3.csv")));
        assertEquals(tmp.resolve("short3.csv") + ":5: expected at least 3 fields (up to the \"path\" column), got 2 fields", e.getMessage());
        Files.write(tmp.resolve("l1.tsv"), "img/a.png\tcaf\u00e9\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        e = assertThrows(io.clip4j.Clip4jException.class, () -> CaptionTable.read(tmp.resolve("l1.tsv")));
        assertEquals(tmp.resolve("l1.tsv") + ": not valid UTF-8 (byte 0xE9 at offset 13)", e.getMessage());
    }

    /** A JSON caption, or a metadata value, that is not Unicode text (a lone surrogate escape): refused with the file and line. */
    @Test void jsonTextThatIsNotUnicodeIsRefused() throws Exception {
        Files.writeString(tmp.resolve("s.jsonl"), "{\"image\": \"a.png\", \"caption\": \"ok\"}\n{\"image\": \"b.png\", \"captions\": [\"ok\", \"x\\udfff\"]}\n");
        var e = assertThrows(io.clip4j.Clip4jException.class, () -> CaptionTable.read(tmp.resolve("s.jsonl")));
        assertEquals(tmp.resolve("s.jsonl") + ":2: the caption is not valid Unicode (unpaired surrogate \\uDFFF at character 1)", e.getMessage());
        Files.writeString(tmp.resolve("metadata.jsonl"), "{\"path\": \"a.png\", \"name\": \"cat\"}\n\n{\"path\": \"b.png\", \"name\": \"\\ud800\"}\n");
        e = assertThrows(io.clip4j.Clip4jException.class, () -> io.clip4j.train.Evaluation.readMetadata(tmp.resolve("metadata.jsonl")));
        assertEquals(tmp.resolve("metadata.jsonl") + ":3: \"name\" is not valid Unicode (unpaired surrogate \\uD800 at character 0)", e.getMessage());
        Files.write(tmp.resolve("l1.jsonl"), "{\"path\": \"caf\u00e9.png\"}\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        e = assertThrows(io.clip4j.Clip4jException.class, () -> io.clip4j.train.Evaluation.readMetadata(tmp.resolve("l1.jsonl")));
        assertEquals(tmp.resolve("l1.jsonl") + ": not valid UTF-8 (byte 0xE9 at offset 13)", e.getMessage());
    }

    /** A TSV row is path TAB caption: other column counts, swapped columns and other header names are errors naming the line. */
    @Test void tsvTablesNotPathTabCaptionAreRefusedWithTheLine() throws Exception {
        for (String[] c : new String[][]{
                {"img/a.png\tfine\nimg/b.png\ta caption\textra\n", ":2: ", "expected path TAB caption, got 3 columns"},
                {"img/a.png\tfine\nimg/b.png\tfine\t\n", ":2: ", "expected path TAB caption, got 3 columns"},
                {"img/a.png\tfine\na caption\timg/b.png\n", ":2: ", "the caption \"img/b.png\" is an image path (columns swapped?)"},
                {"a caption\timg/a.png\n", ":1: ", "(columns swapped?)"},
                {"title\tfilepath\nimg/a.png\tfine\n", ":1: ", "the TSV header must name the image column (filepath/path/image/file/file_name/image_path) "
                        + "then the caption column (title/caption/text/captions); got [title, filepath]"},
                {"\nfilename\tcaption\nimg/a.png\tfine\n", ":2: ", "got [filename, caption]"},
                {"url\tdescription\nimg/a.png\tfine\n", ":1: ", "got [url, description]"}}) {
            Files.writeString(tmp.resolve("t.tsv"), c[0]);
            var e = assertThrows(io.clip4j.Clip4jException.class, () -> CaptionTable.read(tmp.resolve("t.tsv")), c[0]);
            assertTrue(e.getMessage().startsWith(tmp.resolve("t.tsv") + c[1]) && e.getMessage().endsWith(c[2]), e.getMessage());
        }
        // accepted: a header naming the columns (any case, after a BOM), a caption that is a column name's word or ends
        // in a file name
        Files.writeString(tmp.resolve("h.tsv"), "\uFEFFFilePath\tTitle\nimg/a.png\ttext\nimg/b.png\ta photo saved as b.png\n");
        Files.writeString(tmp.resolve("d.tsv"), "img/a.png\ttext\nimg/b.png\ta photo saved as b.png\n");
        for (String f : List.of("h.tsv", "d.tsv")) {
            CaptionTable t = CaptionTable.read(tmp.resolve(f));
            assertEquals(List.of("img/a.png", "img/b.png"), t.items().stream().map(CaptionTable.Item::key).toList(), f);
            assertEquals(List.of("text"), t.items().get(0).captions(), f);
            assertEquals(List.of("a photo saved as b.png"), t.items().get(1).captions(), f);
        }
    }

    /** An empty or white-space caption is an error naming the table and line, or the shard and key, in every format. */
    @Test void blankCaptionsAreRefusedInEveryFormat() throws Exception {
        for (String[] c : new String[][]{
                {"t.tsv", "img/a.png\tfine\n\nimg/b.png\t\n", ":3"},
                {"t.tsv", "img/a.png\tfine\nimg/b.png\t   \n", ":2"},
                {"t.csv", "filepath,title\nimg/a.png,\"two\nlines\"\nimg/b.png,\" \"\n", ":4"},
                {"t.csv", "filepath,title\nimg/b.png,\n", ":2"},
                {"t.jsonl", "{\"image\":\"a.png\",\"caption\":\"fine\"}\n{\"image\":\"b.png\",\"caption\":\"  \"}\n", ":2"},
                {"t.jsonl", "{\"image\":\"b.png\",\"caption\":[\"fine\",\"\"]}\n", ":1"}}) {
            Files.writeString(tmp.resolve(c[0]), c[1]);
            var e = assertThrows(io.clip4j.Clip4jException.class, () -> CaptionTable.read(tmp.resolve(c[0])), c[1]);
            assertEquals(tmp.resolve(c[0]) + c[2] + ": the caption is blank", e.getMessage());
        }
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        entry(tar, "0000.png", new byte[]{1, 2, 3});
        entry(tar, "0000.txt", "fine".getBytes(StandardCharsets.UTF_8));
        entry(tar, "0001.png", new byte[]{1, 2, 3});
        entry(tar, "0001.txt", " \n".getBytes(StandardCharsets.UTF_8));
        tar.write(new byte[1024]);
        Path shard = tmp.resolve("s.tar");
        Files.write(shard, tar.toByteArray());
        // when counting (before training starts) and when reading an epoch
        var e = assertThrows(io.clip4j.Clip4jException.class, () -> WebDataset.open(shard.toString()).size());
        assertEquals(shard + ":0001: the caption is blank", e.getMessage());
        Iterator<Sample> it = WebDataset.open(shard.toString()).epoch(0, 1, false, 0);
        e = assertThrows(io.clip4j.Clip4jException.class, () -> { while (it.hasNext()) it.next(); });
        assertEquals(shard + ":0001: the caption is blank", e.getMessage());
    }

    static Path shard(Path file, Object... namesAndContents) throws Exception {
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        for (int i = 0; i < namesAndContents.length; i += 2) {
            Object c = namesAndContents[i + 1];
            entry(tar, (String) namesAndContents[i], c instanceof byte[] b ? b : ((String) c).getBytes(StandardCharsets.UTF_8));
        }
        tar.write(new byte[1024]);
        return Files.write(file, tar.toByteArray());
    }

    /** The caption is the .txt, or without one the .json's "caption" (img2dataset); a .json beside a .txt is not read. */
    @Test void tarCaptionsComeFromTheTxtOrElseTheJsonsCaption() throws Exception {
        byte[] img = {1, 2, 3};
        Path s = shard(tmp.resolve("s.tar"),
                "0000.jpg", img, "0000.json", "{\"caption\": \" from the json \", \"url\": \"http://x/0.jpg\", \"width\": 64}",
                "0001.jpg", img, "0001.json", "{\"caption\": \"json loses\"}", "0001.txt", "from the txt\n",
                "0002.txt", "\uFEFFtxt first", "0002.json", "{\"caption\": \"json loses\"}", "0002.jpg", img,
                "0003.jpg", img, "0003.txt", "metadata beside", "0003.json", "{\"url\": \"http://x/3.jpg\", \"status\": \"success\"}",
                "0004.jpg", img, "0004.txt", "not json beside", "0004.json", "{",
                "0005.jpg", img,                                            // no caption member: skipped
                "0006.json", "{\"caption\": \"no image\"}");                // no image: skipped
        WebDataset wds = WebDataset.open(s.toString());
        assertEquals(5, wds.size());
        List<String> captions = new ArrayList<>();
        wds.epoch(0, 1, false, 0).forEachRemaining(x -> captions.add(x.caption()));
        assertEquals(List.of("from the json", "from the txt", "txt first", "metadata beside", "not json beside"), captions);
    }

    /**
     * A caption member that is not UTF-8, a .json that is not an object with a string "caption" (when there is no
     * .txt) or whose caption is not Unicode text: one error naming the shard and key, when counting and when reading.
     */
    @Test void tarCaptionsThatAreNotTextAreRefusedWithTheShardAndKey() throws Exception {
        byte[] img = {1, 2, 3};
        String json = ".json: expected an object with a string \"caption\" (the sample has no .txt), but ";
        Object[][] cases = {
                {"0001.txt", new byte[]{'c', 'a', 'f', (byte) 0xE9}, ".txt: not valid UTF-8 (byte 0xE9 at offset 3)"},
                {"0001.json", new byte[]{'{', '"', 'c', (byte) 0xC3}, ".json: not valid UTF-8 (byte 0xC3 at offset 3)"},
                {"0001.json", "{\"url\": \"http://x/1.jpg\"}", json + "it has no \"caption\""},
                {"0001.json", "[\"a cat\"]", json + "it is an array"},
                {"0001.json", "\"a cat\"", json + "it is a string"},
                // the member is named as it is in the tar, though extensions match in any case
                {"0001.TXT", new byte[]{'c', 'a', 'f', (byte) 0xE9}, ".TXT: not valid UTF-8 (byte 0xE9 at offset 3)"},
                {"0001.json", "{\"caption\": [\"a cat\"]}", json + "\"caption\" is an array"},
                {"0001.json", "{\"caption\": 3}", json + "\"caption\" is a number"},
                {"0001.json", "{\"caption\": null}", json + "\"caption\" is null"},
                {"0001.json", "", json + "the file is empty"},
                {"0001.json", "{\"caption\": \"a\"} {\"caption\": \"b\"}", ".json: not valid JSON ("},
                {"0001.json", "{\"caption\": \"a cat", ".json: not valid JSON ("},
                {"0001.json", "{\"caption\": \"a \\ud800 cat\"}", ".json: \"caption\" is not valid Unicode (unpaired surrogate \\uD800 at character 2)"},
                {"0001.json", "{\"caption\": \"  \"}", ": the caption is blank"}};
        for (Object[] c : cases) {
            Path s = shard(tmp.resolve("s.tar"), "0000.jpg", img, "0000.txt", "fine", "0001.jpg", img, c[0], c[1]);
            String expected = s + ":0001" + c[2];
            var e = assertThrows(io.clip4j.Clip4jException.class, () -> WebDataset.open(s.toString()).size(), expected);
            assertTrue(e.getMessage().startsWith(expected) && e.getMessage().lines().count() == 1, e.getMessage());
            if (!expected.endsWith("(")) assertEquals(expected, e.getMessage());
            Iterator<Sample> it = WebDataset.open(s.toString()).epoch(0, 1, false, 0);
            assertEquals("fine", it.next().caption());
            e = assertThrows(io.clip4j.Clip4jException.class, it::next, expected);
            assertTrue(e.getMessage().startsWith(expected), e.getMessage());
            assertFalse(openByThisProcess(s), "the shard stays open after the error");
        }
    }

    /** Whether this process has file open (Linux: /proc/self/fd; false where that cannot be told). */
    private static boolean openByThisProcess(Path file) throws java.io.IOException {
        Path fds = Path.of("/proc/self/fd");
        if (!Files.isDirectory(fds)) return false;
        Path real = file.toRealPath();
        try (var links = Files.list(fds)) {
            return links.anyMatch(fd -> {
                try { return Files.readSymbolicLink(fd).equals(real); } catch (java.io.IOException | UnsupportedOperationException ex) { return false; }
            });
        }
    }

    @Test void oneCaptionPerImageIsDrawnUniformlyAndReproducibly() throws Exception {
        Files.writeString(tmp.resolve("a.tsv"), "x.png\t0\nx.png\t1\nx.png\t2\nx.png\t3\n");
        CaptionTable t = CaptionTable.read(tmp.resolve("a.tsv"));
        int[] counts = new int[4];
        for (int e = 0; e < 4000; e++) counts[Integer.parseInt(t.caption(0, 7, e))]++;
        for (int c : counts) assertTrue(c > 850 && c < 1150, java.util.Arrays.toString(counts));
        assertEquals(t.caption(0, 7, 5), t.caption(0, 7, 5));
    }

    @Test void shuffledOrdersArePermutationsFixedBySeedAndEpoch() {
        int[] a = CaptionTable.order(100, 1, 0, true), b = CaptionTable.order(100, 1, 0, true), c = CaptionTable.order(100, 1, 1, true);
        assertArrayEquals(a, b);
        assertFalse(java.util.Arrays.equals(a, c));
        Set<Integer> s = new HashSet<>();
        for (int v : a) s.add(v);
        assertEquals(100, s.size());
        assertArrayEquals(new int[]{0, 1, 2}, CaptionTable.order(3, 1, 0, false));
    }

    @Test void emojiSplitFilterKeepsTheSplitsCodepoints() throws Exception {
        Path root = TrainTesting.emojiRoot();
        CaptionTable all = CaptionTable.read(root.resolve("captions.tsv"));
        assertEquals(3822, all.size());
        CaptionTable test = all.filterSplit(root.resolve("splits.json"), "test");
        assertEquals(2 * 192, test.size());
        assertEquals(2 * 1527, all.filterSplit(root.resolve("splits.json"), "train").size());
        assertThrows(io.clip4j.Clip4jException.class, () -> all.filterSplit(root.resolve("splits.json"), "nope"));
    }

    @Test void webDatasetShardsStreamPairsInOrderAndResume() throws Exception {
        Path root = TrainTesting.emojiRoot();
        List<String> keys = new ArrayList<>();
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        try (var s = Files.list(root.resolve("images/google"))) {
            List<Path> imgs = s.sorted().limit(5).toList();
            for (int i = 0; i < imgs.size(); i++) {
                String key = String.format("%04d", i);
                keys.add(key);
                entry(tar, key + ".png", Files.readAllBytes(imgs.get(i)));
                entry(tar, key + ".txt", ("caption " + i + "\n").getBytes(StandardCharsets.UTF_8));
            }
        }
        entry(tar, "0099.txt", "no image".getBytes(StandardCharsets.UTF_8));   // incomplete: skipped
        tar.write(new byte[1024]);
        Path shard = tmp.resolve("shard-0000.tar");
        Files.write(shard, tar.toByteArray());
        WebDataset wds = WebDataset.open(tmp.toString());
        assertEquals(5, wds.size());
        Iterator<Sample> it = wds.epoch(0, 1, false, 0);
        List<String> got = new ArrayList<>();
        while (it.hasNext()) { Sample s = it.next(); got.add(s.name() + "=" + s.caption()); assertNotNull(s.bytes()); }
        assertEquals(List.of(shard + ":0000=caption 0", shard + ":0001=caption 1", shard + ":0002=caption 2", shard + ":0003=caption 3",
                shard + ":0004=caption 4"), got);
        Sample third = wds.epoch(0, 1, true, 2).next();
        List<Sample> shuffled = new ArrayList<>();
        wds.epoch(0, 1, true, 0).forEachRemaining(shuffled::add);
        assertEquals(shuffled.get(2).name(), third.name());
        assertEquals(2, third.position());

        var tok = Tokenizers.load(TrainTesting.tokenizerDir());
        Augment aug = new Augment(PreprocessConfig.clip(32), 32, true, 0.9, 1.0, new int[]{255, 255, 255});
        try (Loader l = new Loader(wds, aug, tok, 77, 2, 0, false, 0, 0, 2, 2, m -> {})) {
            Loader.Batch b = l.next();
            assertEquals(List.of(shard + ":0000", shard + ":0001"), b.names());
            assertEquals(2 * 3 * 32 * 32, b.pixels().length);
            assertEquals(2, l.next().resumePosition() / 2);
            assertEquals(1, l.next().epoch(), "5 samples: the partial batch is dropped, epoch 1 starts");
        }
    }

    /** Samples are named shard:key: a key in two shards is two samples, and a corrupt image names its shard. */
    @Test void tarSamplesAreNamedByShardAndKey() throws Exception {
        byte[] png;
        try (var s = Files.list(TrainTesting.emojiRoot().resolve("images/google"))) {
            png = Files.readAllBytes(s.sorted().findFirst().orElseThrow());
        }
        List<Path> shards = new ArrayList<>();
        for (String name : List.of("a.tar", "b.tar")) {
            ByteArrayOutputStream tar = new ByteArrayOutputStream();
            entry(tar, "0000.png", "not an image".getBytes(StandardCharsets.UTF_8));
            entry(tar, "0000.txt", "broken".getBytes(StandardCharsets.UTF_8));
            entry(tar, "0001.png", png);
            entry(tar, "0001.txt", "fine".getBytes(StandardCharsets.UTF_8));
            tar.write(new byte[1024]);
            shards.add(Files.write(tmp.resolve(name), tar.toByteArray()));
        }
        Path a = shards.get(0), b = shards.get(1);
        WebDataset wds = WebDataset.open(a + "," + b);
        assertEquals(4, wds.size());
        List<String> names = new ArrayList<>();
        wds.epoch(0, 1, false, 0).forEachRemaining(s -> names.add(s.name()));
        assertEquals(List.of(a + ":0000", a + ":0001", b + ":0000", b + ":0001"), names);

        var tok = Tokenizers.load(TrainTesting.tokenizerDir());
        Augment aug = new Augment(PreprocessConfig.clip(32), 32, false, 0.9, 1.0, null);
        List<String> warnings = java.util.Collections.synchronizedList(new ArrayList<>());
        try (Loader l = new Loader(wds, aug, tok, 77, 2, 0, false, 0, 0, 1, 1, warnings::add)) {
            assertEquals(List.of(a + ":0001", b + ":0001"), l.next().names());
            assertEquals(List.of(a + ":0000", b + ":0000"), l.skippedNames(), "both corrupt images count");
        }
        assertEquals(2, warnings.size(), warnings.toString());
        assertTrue(warnings.get(0).startsWith("skipping " + a + ":0000: cannot decode image " + a + ":0000"), warnings.get(0));
        assertTrue(warnings.get(1).startsWith("skipping " + b + ":0000: "), warnings.get(1));
    }

    static void entry(ByteArrayOutputStream out, String name, byte[] data) throws Exception {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(n, 0, h, 0, n.length);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", data.length));
        put(h, 136, "00000000000");
        h[156] = '0';
        put(h, 257, "ustar");
        h[263] = '0'; h[264] = '0';
        for (int i = 148; i < 156; i++) h[i] = ' ';
        int sum = 0;
        for (byte b : h) sum += b & 0xFF;
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        out.write(h);
        out.write(data);
        out.write(new byte[(512 - data.length % 512) % 512]);
    }

    static void put(byte[] h, int off, String s) { byte[] b = s.getBytes(StandardCharsets.US_ASCII); System.arraycopy(b, 0, h, off, b.length); }

    @Test void randomResizedCropFollowsTorchvisionsRules() {
        Augment a = new Augment(PreprocessConfig.clip(32), 32, true, 0.9, 1.0, null);
        SplittableRandom r = new SplittableRandom(1);
        for (int i = 0; i < 2000; i++) {
            int[] b = a.cropBox(64, 64, r);
            double area = (double) b[2] * b[3] / (64 * 64), ratio = (double) b[2] / b[3];
            assertTrue(b[0] >= 0 && b[1] >= 0 && b[0] + b[2] <= 64 && b[1] + b[3] <= 64, java.util.Arrays.toString(b));
            // rounding of w and h can push area and ratio slightly outside the nominal ranges
            assertTrue(area > 0.85 && area <= 1.0 && ratio > 0.7 && ratio < 1.45, java.util.Arrays.toString(b));
        }
        // an image far wider than 4:3 never fits the area range: the centre fallback clamps it to 4:3
        Augment tight = new Augment(PreprocessConfig.clip(32), 32, true, 1.0, 1.0, null);
        assertArrayEquals(new int[]{(300 - 133) / 2, 0, 133, 100}, tight.cropBox(300, 100, new SplittableRandom(2)));
    }
}
