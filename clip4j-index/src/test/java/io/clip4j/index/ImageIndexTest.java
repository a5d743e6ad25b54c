package io.clip4j.index;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;
import io.clip4j.testing.Fixtures;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.store.FSDirectory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import static io.clip4j.index.IndexTesting.*;
import static org.junit.jupiter.api.Assertions.*;

class ImageIndexTest {
    static ClipModel model;
    @TempDir Path tmp;

    @BeforeAll static void load() { model = ClipModel.load(tiny()); }
    @AfterAll static void close() { model.close(); }

    static final IndexUpdater.Listener QUIET = new IndexUpdater.Listener() {};

    static long generation(Path index) throws Exception {
        try (var d = FSDirectory.open(index)) {
            return SegmentInfos.readLatestCommit(d).getGeneration();
        }
    }

    /** The index holds exactly these files, each with the model's embedding and its true size, mtime, hash and dimensions. */
    static void assertIndexHolds(Path index, List<Path> files) throws Exception {
        Map<String, float[]> expected = embeddings(model, files);
        try (ImageIndex idx = ImageIndex.open(index)) {
            assertEquals(files.size(), idx.size());
            List<Entry> entries = idx.entries();
            assertEquals(new HashSet<>(expected.keySet()), new HashSet<>(entries.stream().map(Entry::path).toList()));
            for (Entry e : entries) {
                Path p = Path.of(e.path());
                assertEquals(Files.size(p), e.size(), e.path());
                assertEquals(Files.getLastModifiedTime(p).toMillis(), e.mtimeMillis(), e.path());
                assertEquals(io.clip4j.task.ImageEmbedder.sha256(Files.readAllBytes(p)), e.sha256(), e.path());
                var img = io.clip4j.image.ImageDecoder.read(p);
                assertEquals(img.width(), e.width());
                assertEquals(img.height(), e.height());
                float[] v = idx.vector(e.path()).orElseThrow();
                float[] want = expected.get(e.path());
                for (int d = 0; d < v.length; d++) assertEquals(want[d], v[d], 1e-5, e.path() + " dim " + d);
            }
        }
    }

    @Test void incrementalUpdatesEmbedOnlyWhatChanged() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        Path in = Fixtures.path("images/inputs");
        List<Path> files = new ArrayList<>(List.of(
                copy(in.resolve("chelsea.png"), photos.resolve("cat.png")),
                copy(in.resolve("rocket.jpg"), photos.resolve("space/rocket.jpg")),
                copy(in.resolve("coffee.png"), photos.resolve("coffee.PNG")),
                copy(emoji("google", "1F600"), photos.resolve("emoji/grin.png")),
                copy(emoji("twitter", "1F680"), photos.resolve("emoji/rocket.png")),
                copy(emoji("google", "1F431"), photos.resolve("emoji/cat.png"))));
        Files.writeString(photos.resolve("notes.txt"), "not an image");
        copy(in.resolve("china.jpg"), photos.resolve(".hidden/china.jpg"));

        IndexUpdater.Stats s = IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults().withBatchSize(4), QUIET);
        assertEquals(6, s.scanned());
        assertEquals(6, s.added());
        assertEquals(6, s.embedded());
        assertEquals(6, s.decoded());
        assertEquals(0, s.failed());
        assertEquals(2, s.commits(), "one commit per batch");
        assertIndexHolds(index, files);

        // nothing changed: nothing read, decoded or written
        long gen = generation(index);
        s = IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        assertEquals(6, s.unchanged());
        assertEquals(0, s.decoded());
        assertEquals(0, s.commits());
        assertEquals(gen, generation(index), "an unchanged folder writes no commit");

        // modify one (new content), touch one (same bytes, new mtime), delete one, add one
        Files.copy(emoji("twitter", "1F415"), files.get(0), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.setLastModifiedTime(files.get(1), FileTime.fromMillis(Files.getLastModifiedTime(files.get(1)).toMillis() + 5000));
        Files.delete(files.get(2));
        files.remove(2);
        files.add(copy(emoji("google", "1F34E"), photos.resolve("emoji/apple.png")));
        s = IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        assertEquals(6, s.scanned());
        assertEquals(3, s.unchanged());
        assertEquals(1, s.added());
        assertEquals(2, s.changed());
        assertEquals(1, s.deleted());
        assertEquals(2, s.embedded(), "the modified and the new file");
        assertEquals(1, s.reused(), "the touched file keeps its embedding");
        assertEquals(2, s.decoded());
        assertIndexHolds(index, files);

        // a move: the embedding follows the bytes, nothing is decoded
        Path moved = photos.resolve("emoji/moved/grin.png");
        Files.createDirectories(moved.getParent());
        Files.move(files.get(2), moved);
        files.set(2, moved);
        s = IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        assertEquals(1, s.added());
        assertEquals(1, s.deleted());
        assertEquals(1, s.reused());
        assertEquals(0, s.decoded());
        assertIndexHolds(index, files);
    }

    @Test void searchReturnsWhatTheEmbeddingsSay() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        List<Path> files = new ArrayList<>();
        for (Path p : emojis("google", 14)) files.add(copy(p, photos.resolve("google/" + p.getFileName())));
        for (Path p : emojis("twitter", 6)) files.add(copy(p, photos.resolve("twitter/" + p.getFileName())));
        // an exact duplicate: a tie that must come out in path order
        files.add(copy(files.get(3), photos.resolve("google/zz-copy.png")));
        IndexUpdater.Stats s = IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        assertEquals(21, s.added());
        assertEquals(20, s.embedded());
        Map<String, float[]> expected = embeddings(model, files);
        try (ImageIndex idx = ImageIndex.open(index)) {
            for (String text : List.of("a grinning face", "a flag", "an emoji of a rocket", "")) {
                float[] q = model.embedText(text);
                for (int k : List.of(1, 3, 10, 21, 50)) {
                    List<Hit> hnsw = idx.search(q, k, SearchOptions.defaults().withMethod(SearchOptions.Method.HNSW));
                    assertHits(hnsw, expected, q, k);
                    List<Hit> exact = idx.search(q, k, SearchOptions.defaults().withExact(true));
                    assertHits(exact, expected, q, k);
                    assertEquals(exact, idx.searchText(model, text, k, SearchOptions.defaults()), "small indexes: AUTO is exact");
                }
            }
            // by image: the file itself first, tied with its copy
            float[] q = model.embedImage(files.get(3));
            List<Hit> h = idx.searchImage(model, files.get(3), 5, SearchOptions.defaults().withMethod(SearchOptions.Method.HNSW));
            assertHits(h, expected, q, 5);
            assertEquals(List.of(files.get(3).toString(), photos.resolve("google/zz-copy.png").toString()), List.of(h.get(0).path(), h.get(1).path()));
            assertEquals(h.get(0).score(), h.get(1).score());
            // path prefix: only the twitter folder
            String prefix = photos.resolve("twitter").toString() + "/";
            Map<String, float[]> twitter = new java.util.HashMap<>();
            expected.forEach((p, v) -> { if (p.startsWith(prefix)) twitter.put(p, v); });
            for (SearchOptions.Method m : SearchOptions.Method.values()) {
                List<Hit> t = idx.search(q, 4, SearchOptions.defaults().withMethod(m).withPathPrefix(prefix));
                assertHits(t, twitter, q, 4);
                assertEquals(6, idx.search(q, 100, SearchOptions.defaults().withMethod(m).withPathPrefix(prefix)).size());
                assertEquals(0, idx.search(q, 5, SearchOptions.defaults().withMethod(m).withPathPrefix("/nowhere/")).size());
            }
            // few candidates: still exact scores, and at most k
            List<Hit> few = idx.search(q, 3, SearchOptions.defaults().withMethod(SearchOptions.Method.HNSW).withCandidates(3));
            assertEquals(3, few.size());
            for (Hit x : few) assertEquals(Vectors.dot(q, expected.get(x.path())), x.score(), 1e-5);
        }
    }

    @Test void anotherModelIsRefusedWithHowToRebuild() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        copy(emoji("google", "1F600"), photos.resolve("a.png"));
        IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        long gen = generation(index);
        try (ClipModel small = ClipModel.load(Fixtures.path("models/small/hf"))) {
            Clip4jException e = assertThrows(Clip4jException.class, () -> IndexUpdater.update(index, photos, small, IndexUpdater.Options.defaults(), QUIET));
            assertTrue(e.getMessage().contains("rebuild"), e.getMessage());
            assertTrue(e.getMessage().contains(tiny().toAbsolutePath().normalize().toString()), e.getMessage());
            assertTrue(e.getMessage().contains(Fixtures.path("models/small/hf").toAbsolutePath().normalize().toString()), e.getMessage());
            try (ImageIndex idx = ImageIndex.open(index)) {
                assertThrows(Clip4jException.class, () -> idx.searchText(small, "a cat", 3, SearchOptions.defaults()));
                assertThrows(Clip4jException.class, () -> idx.search(new float[7], 3, SearchOptions.defaults()));
                assertEquals(1, idx.searchText(model, "a cat", 3, SearchOptions.defaults()).size());
            }
        }
        assertEquals(gen, generation(index), "nothing written");
        // the same weights in another folder are the same model
        Path copyDir = tmp.resolve("tiny-copy");
        Files.createDirectories(copyDir);
        try (var ds = Files.newDirectoryStream(tiny())) {
            for (Path p : ds) Files.copy(p, copyDir.resolve(p.getFileName()));
        }
        try (ClipModel same = ClipModel.load(copyDir)) {
            IndexUpdater.Stats s = IndexUpdater.update(index, photos, same, IndexUpdater.Options.defaults(), QUIET);
            assertEquals(1, s.unchanged());
        }
        assertThrows(Clip4jException.class, () -> ImageIndex.open(tmp.resolve("nothing-here")));
    }

    @Test void unreadableFilesAreReportedAndSkipped() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        List<Path> good = new ArrayList<>();
        good.add(copy(emoji("google", "1F600"), photos.resolve("a.png")));
        good.add(copy(emoji("google", "1F601"), photos.resolve("b.png")));
        Path truncated = photos.resolve("truncated.jpg");
        byte[] jpg = Files.readAllBytes(Fixtures.path("images/inputs/rocket.jpg"));
        Files.write(truncated, java.util.Arrays.copyOf(jpg, 300));
        Path empty = Files.write(photos.resolve("empty.png"), new byte[0]);
        Path text = Files.writeString(photos.resolve("text.png"), "hello");
        Path textCopy = Files.writeString(photos.resolve("text2.png"), "hello");
        List<Path> reported = new ArrayList<>();
        IndexUpdater.Stats s = IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults().withBatchSize(2), new IndexUpdater.Listener() {
            @Override public void failed(Path file, String error) {
                assertTrue(error.contains(file.toString()), error);
                reported.add(file);
            }
        });
        assertEquals(new HashSet<>(List.of(truncated, empty, text, textCopy)), new HashSet<>(reported));
        assertEquals(4, s.failed());
        assertEquals(2, s.added());
        assertIndexHolds(index, good);
        // fixed later: indexed on the next run; a file that turns bad loses its entry
        Files.copy(emoji("google", "1F602"), empty, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        good.add(empty);
        Files.write(good.get(0), new byte[]{1, 2, 3});
        good.remove(0);
        s = IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        assertEquals(1, s.added());
        assertEquals(4, s.failed());
        assertIndexHolds(index, good);
    }

    @Test void aKilledRunLosesAtMostTheLastBatchAndResumes() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        List<Path> files = new ArrayList<>();
        for (Path p : emojis("twitter", 12)) files.add(copy(p, photos.resolve(p.getFileName().toString())));
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(java, "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), SlowIndexMain.class.getName(), index.toString(), photos.toString(), tiny().toString())
                .redirectErrorStream(true).start();
        int committed = -1;
        List<String> output = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                output.add(line);
                if (line.startsWith("COMMITTED ")) {
                    committed = Integer.parseInt(line.substring(10).strip());
                    child.destroyForcibly();
                    break;
                }
            }
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
        }
        assertEquals(2, committed, "the child died after its first commit: " + output);
        try (ImageIndex idx = ImageIndex.open(index)) {
            assertEquals(2, idx.size(), "the first batch is durable");
        }
        IndexUpdater.Stats s = IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        assertEquals(2, s.unchanged());
        assertEquals(10, s.added());
        assertEquals(10, s.embedded());
        assertIndexHolds(index, files);
    }

    /**
     * Symbolic links are followed: a linked folder (the root itself, or one replacing a folder of the same files) and a
     * linked file are indexed under their paths below the root, and a folder that cannot be read (here a link loop)
     * is reported while the entries under it are kept.
     */
    @Test void linksAreFollowedAndAnUnreadableFolderKeepsItsEntries() throws Exception {
        Path real = tmp.resolve("real"), index = tmp.resolve("index");
        List<Path> files = new ArrayList<>();
        for (Path p : emojis("google", 3)) files.add(copy(p, real.resolve(p.getFileName().toString())));
        Path sub = real.resolve("sub");
        for (Path p : emojis("twitter", 2)) files.add(copy(p, sub.resolve(p.getFileName().toString())));
        Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
        IndexUpdater.Stats viaLink = IndexUpdater.update(index, link, model, IndexUpdater.Options.defaults(), QUIET);
        assertEquals(5, viaLink.scanned(), "a linked root folder is walked");
        // the folder replaced by a link to the same files: nothing deleted, nothing embedded again
        Path index2 = tmp.resolve("index2");
        assertEquals(5, IndexUpdater.update(index2, real, model, IndexUpdater.Options.defaults(), QUIET).added());
        Path moved = Files.move(real, tmp.resolve("real.d"));
        Files.createSymbolicLink(real, moved);
        IndexUpdater.Stats again = IndexUpdater.update(index2, real, model, IndexUpdater.Options.defaults(), QUIET);
        assertEquals(0, again.deleted());
        assertEquals(5, again.unchanged());
        // a linked file inside the folder is indexed under its own name
        Files.createSymbolicLink(moved.resolve("linked.png"), files.get(0).getFileName());
        assertEquals(1, IndexUpdater.update(index2, real, model, IndexUpdater.Options.defaults(), QUIET).added());
        // a subfolder that cannot be read: reported, and its two entries stay
        Path subNow = moved.resolve("sub"), aside = Files.move(subNow, tmp.resolve("sub-aside"));
        Files.createSymbolicLink(subNow, subNow.getFileName());           // sub -> sub: a loop the walk cannot enter
        List<String> failed = new ArrayList<>();
        IndexUpdater.Stats broken = IndexUpdater.update(index2, real, model, IndexUpdater.Options.defaults(), new IndexUpdater.Listener() {
            @Override public void failed(Path f, String message) { failed.add(message); }
        });
        assertEquals(0, broken.deleted(), "entries under an unreadable folder are kept");
        assertEquals(6, broken.documents());
        assertEquals(1, failed.size(), failed.toString());
        assertTrue(failed.get(0).contains(real.resolve("sub").toString()), failed.get(0));
        Files.delete(subNow);
        Files.move(aside, subNow);
        assertEquals(0, IndexUpdater.update(index2, real, model, IndexUpdater.Options.defaults(), QUIET).embedded(), "readable again: nothing to redo");
    }

    /** k and the candidate count far beyond the index's size: every document, as the exact search gives. */
    @Test void hugeKOrCandidatesReturnTheWholeIndex() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        for (Path p : emojis("google", 6)) copy(p, photos.resolve(p.getFileName().toString()));
        IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        try (ImageIndex idx = ImageIndex.open(index)) {
            float[] q = model.embedText("a face");
            List<Hit> exact = idx.search(q, Integer.MAX_VALUE, SearchOptions.defaults().withExact(true));
            assertEquals(6, exact.size());
            assertEquals(exact, idx.search(q, Integer.MAX_VALUE, SearchOptions.defaults().withMethod(SearchOptions.Method.HNSW)));
            assertEquals(exact.subList(0, 2), idx.search(q, 2, SearchOptions.defaults().withMethod(SearchOptions.Method.HNSW).withCandidates(Integer.MAX_VALUE)));
            assertEquals(idx.duplicates(0.5f, 5, true), idx.duplicates(0.5f, Integer.MAX_VALUE, false));
        }
    }

    @Test void duplicatesAreGroupsOfLinkedPairs() throws Exception {
        Path photos = tmp.resolve("photos"), index = tmp.resolve("index");
        List<Path> files = new ArrayList<>();
        for (Path p : emojis("google", 12)) files.add(copy(p, photos.resolve(p.getFileName().toString())));
        files.add(copy(files.get(0), photos.resolve("copy-of-0.png")));
        files.add(copy(files.get(5), photos.resolve("sub/copy-of-5.png")));
        files.add(copy(files.get(5), photos.resolve("sub/copy2-of-5.png")));
        IndexUpdater.update(index, photos, model, IndexUpdater.Options.defaults(), QUIET);
        Map<String, float[]> emb = embeddings(model, files);
        List<String> paths = new ArrayList<>(emb.keySet());
        paths.sort(null);
        // pick thresholds away from any pair's similarity so that rounding cannot decide
        List<Float> sims = new ArrayList<>();
        for (int i = 0; i < paths.size(); i++) for (int j = i + 1; j < paths.size(); j++) sims.add(Vectors.dot(emb.get(paths.get(i)), emb.get(paths.get(j))));
        sims.sort(null);
        List<Float> thresholds = new ArrayList<>(List.of(0.999f));
        List<Float> distinct = sims.stream().distinct().sorted().toList();
        for (int q : new int[]{distinct.size() - 4, distinct.size() - 10, distinct.size() - 25, distinct.size() / 2}) {
            if (distinct.get(q) - distinct.get(q - 1) > 1e-4) thresholds.add((distinct.get(q) + distinct.get(q - 1)) / 2);
        }
        assertTrue(thresholds.size() >= 3, "thresholds in gaps of the similarities: " + sims);
        try (ImageIndex idx = ImageIndex.open(index)) {
            for (float t : thresholds) {
                List<List<String>> want = bruteForceGroups(paths, emb, t);
                assertFalse(want.isEmpty());
                for (boolean exact : List.of(true, false)) {
                    List<DuplicateGroup> got = idx.duplicates(t, paths.size(), exact);
                    assertEquals(want, got.stream().map(DuplicateGroup::paths).toList(), "threshold " + t + " exact " + exact);
                    for (DuplicateGroup g : got) assertTrue(g.minScore() >= t && g.maxScore() >= g.minScore());
                }
            }
            List<DuplicateGroup> copies = idx.duplicates(0.999f, 8, false);
            assertEquals(2, copies.size(), copies + " sims " + sims.subList(sims.size() - 8, sims.size()));
            assertEquals(List.of(files.get(0).toString(), photos.resolve("copy-of-0.png").toString()), copies.get(0).paths());
            assertEquals(3, copies.get(1).paths().size());
        }
    }

    static List<List<String>> bruteForceGroups(List<String> paths, Map<String, float[]> emb, float t) {
        int n = paths.size();
        int[] comp = new int[n];
        for (int i = 0; i < n; i++) comp[i] = i;
        boolean[] linked = new boolean[n];
        for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) {
            if (Vectors.dot(emb.get(paths.get(i)), emb.get(paths.get(j))) >= t) {
                linked[i] = linked[j] = true;
                int a = comp[i], b = comp[j];
                for (int x = 0; x < n; x++) if (comp[x] == b) comp[x] = a;
            }
        }
        java.util.TreeMap<String, List<String>> groups = new java.util.TreeMap<>();
        java.util.Map<Integer, List<String>> byComp = new java.util.HashMap<>();
        for (int i = 0; i < n; i++) if (linked[i]) byComp.computeIfAbsent(comp[i], c -> new ArrayList<>()).add(paths.get(i));
        for (List<String> g : byComp.values()) { g.sort(null); groups.put(g.get(0), g); }
        return new ArrayList<>(groups.values());
    }

    @Test void widerVectorsThanLucenesDefaultLimit() throws Exception {
        Path index = tmp.resolve("wide");
        ModelIdentity fake = new ModelIdentity("ab".repeat(32), tmp, List.of());
        int dim = 1280;
        Random rnd = new Random(1);
        List<float[]> vs = new ArrayList<>();
        try (IndexUpdater u = IndexUpdater.open(index, fake, dim)) {
            for (int i = 0; i < 50; i++) {
                float[] v = new float[dim];
                for (int d = 0; d < dim; d++) v[d] = (float) rnd.nextGaussian();
                v = Vectors.normalize(v);
                vs.add(v);
                u.put(new Entry("/v/" + i, 0, 0, "h" + i, 1, 1), v);
            }
            u.commit();
        }
        try (ImageIndex idx = ImageIndex.open(index)) {
            assertEquals(dim, idx.dimension());
            List<Hit> h = idx.search(vs.get(7), 3, SearchOptions.defaults().withMethod(SearchOptions.Method.HNSW));
            assertEquals("/v/7", h.get(0).path());
            assertEquals(1f, h.get(0).score(), 1e-5);
        }
    }
}
