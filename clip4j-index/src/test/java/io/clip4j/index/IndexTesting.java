package io.clip4j.index;

import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;
import io.clip4j.testing.Fixtures;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/** Shared helpers: real images copied into temp folders, expected answers computed from the model's own embeddings. */
final class IndexTesting {
    private IndexTesting() {}

    static Path tiny() { return Fixtures.path("models/tiny/hf"); }

    static Path emoji(String style, String codepoints) {
        return Fixtures.repoRoot().resolve("../shared/data/emoji/images").resolve(style).resolve(codepoints + ".png").normalize();
    }

    /** n emoji PNGs of a style, spread over the set (every 97th by file name, from an offset). */
    static List<Path> emojis(String style, int n) throws IOException {
        try (Stream<Path> s = Files.list(Fixtures.repoRoot().resolve("../shared/data/emoji/images").resolve(style).normalize())) {
            List<Path> all = s.sorted().toList();
            List<Path> out = new ArrayList<>();
            for (int i = 0; i < n; i++) out.add(all.get((13 + 97 * i) % all.size()));
            return out;
        }
    }

    static Path copy(Path src, Path dst) throws IOException {
        Files.createDirectories(dst.getParent());
        return Files.copy(src, dst);
    }

    /** path → unit embedding, from model.embedImages. */
    static Map<String, float[]> embeddings(ClipModel model, List<Path> files) {
        float[][] e = model.embedImages(files);
        Map<String, float[]> out = new HashMap<>();
        for (int i = 0; i < files.size(); i++) out.put(files.get(i).toAbsolutePath().normalize().toString(), e[i]);
        return out;
    }

    /**
     * The hits are the top k of the expected scores (dot with each file's embedding), best first; only genuine ties
     * (within eps) may change places across the cut, and exactly equal scores come in path order.
     */
    static void assertHits(List<Hit> hits, Map<String, float[]> expected, float[] query, int k) {
        float[] q = Vectors.normalize(query);
        double eps = 1e-5;
        assertEquals(Math.min(k, expected.size()), hits.size(), "number of hits");
        List<String> seen = new ArrayList<>();
        for (int r = 0; r < hits.size(); r++) {
            Hit h = hits.get(r);
            assertTrue(expected.containsKey(h.path()), "unexpected hit " + h.path());
            assertFalse(seen.contains(h.path()), "duplicate hit " + h.path());
            seen.add(h.path());
            assertEquals(Vectors.dot(q, expected.get(h.path())), h.score(), eps, "score of " + h.path());
            if (r > 0) {
                Hit prev = hits.get(r - 1);
                assertTrue(h.score() <= prev.score(), "scores descend at rank " + r);
                if (h.score() == prev.score()) assertTrue(prev.path().compareTo(h.path()) < 0, "ties in path order at rank " + r);
            }
        }
        float last = hits.isEmpty() ? Float.POSITIVE_INFINITY : hits.get(hits.size() - 1).score();
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            if (!seen.contains(e.getKey())) {
                assertTrue(Vectors.dot(q, e.getValue()) <= last + eps, e.getKey() + " belongs in the top " + k);
            }
        }
    }
}
