import io.clip4j.index.Entry;
import io.clip4j.index.Hit;
import io.clip4j.index.ImageIndex;
import io.clip4j.index.IndexUpdater;
import io.clip4j.index.ModelIdentity;
import io.clip4j.index.SearchOptions;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

/**
 * clip4j-index benchmark (a plain main, run by bench/index/run.sh):
 *
 * <ol>
 * <li>indexing throughput: IndexUpdater.update over a folder of real images with a real model (images/s, whole
 *     pipeline: walk, read, hash, decode, embed, Lucene add, commit per batch);</li>
 * <li>vector-only insertion throughput (the index's own cost, without the model);</li>
 * <li>query latency p50/p99 (ImageIndex.search, k = 10: HNSW with exact re-scoring, and brute force) and
 *     recall@10 of HNSW against brute force, over N random unit vectors.</li>
 * </ol>
 *
 * Arguments: key=value: sizes=10000,100000 dim=512 queries=500 candidates=10,30,100 data=random,clustered merge=true|false
 * images=DIR model=DIR maxImages=2000 work=DIR. "clustered": unit vectors around 2,000 random centres (cosine to the
 * centre about 0.78, between members about 0.6), closer to real embeddings than uniform random ones, on which HNSW
 * does worst.
 */
public final class IndexBench {
    private static final java.util.logging.Logger LUCENE = java.util.logging.Logger.getLogger("org.apache.lucene.internal.vectorization");

    public static void main(String[] args) throws Exception {
        LUCENE.setLevel(java.util.logging.Level.WARNING);
        String sizes = "10000,100000", images = null, model = null, work = null, candidates = "10,30,100", data = "random,clustered";
        boolean merge = true;
        int dim = 512, queries = 500, maxImages = 2000;
        for (String a : args) {
            String k = a.substring(0, a.indexOf('=')), v = a.substring(a.indexOf('=') + 1);
            switch (k) {
                case "sizes" -> sizes = v;
                case "dim" -> dim = Integer.parseInt(v);
                case "queries" -> queries = Integer.parseInt(v);
                case "images" -> images = v;
                case "model" -> model = v;
                case "maxImages" -> maxImages = Integer.parseInt(v);
                case "work" -> work = v;
                case "candidates" -> candidates = v;
                case "data" -> data = v;
                case "merge" -> merge = Boolean.parseBoolean(v);
                default -> throw new IllegalArgumentException("unknown argument " + k);
            }
        }
        Path root = work != null ? Path.of(work) : Files.createTempDirectory("clip4j-index-bench");
        System.out.printf("# clip4j-index benchmark: %d cores, Java %s, %s%n", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"), System.getProperty("os.arch"));
        if (images != null && model != null) indexing(Path.of(images), Path.of(model), maxImages, root.resolve("images"));
        int[] cands = Arrays.stream(candidates.split(",")).mapToInt(c -> Integer.parseInt(c.strip())).toArray();
        for (String kind : data.split(",")) {
            for (String s : sizes.split(",")) vectors(kind.strip(), Integer.parseInt(s.strip()), dim, queries, cands, merge, root.resolve(kind.strip() + "-" + s.strip()));
        }
    }

    static void indexing(Path folder, Path modelDir, int max, Path work) throws Exception {
        Path photos = work.resolve("photos");
        Files.createDirectories(photos);
        List<Path> files;
        try (Stream<Path> s = Files.walk(folder)) {
            files = s.filter(p -> p.toString().endsWith(".png") || p.toString().endsWith(".jpg")).sorted().limit(max).toList();
        }
        int i = 0;
        for (Path f : files) Files.copy(f, photos.resolve(String.format("%05d-%s", i++, f.getFileName())));
        try (ClipModel m = ClipModel.load(modelDir)) {
            // warm the model up on a few images outside the timing
            m.embedImages(files.subList(0, Math.min(64, files.size())));
            long t0 = System.nanoTime();
            IndexUpdater.Stats st = IndexUpdater.update(work.resolve("index"), photos, m, IndexUpdater.Options.defaults(), new IndexUpdater.Listener() {});
            double secs = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            m.embedImages(files);
            double embedSecs = (System.nanoTime() - t1) / 1e9;
            long t3 = System.nanoTime();
            IndexUpdater.Stats st10 = IndexUpdater.update(work.resolve("index10"), photos, m, IndexUpdater.Options.defaults().withCommitEvery(10), new IndexUpdater.Listener() {});
            double secs10 = (System.nanoTime() - t3) / 1e9;
            long t2 = System.nanoTime();
            IndexUpdater.Stats again = IndexUpdater.update(work.resolve("index"), photos, m, IndexUpdater.Options.defaults(), new IndexUpdater.Listener() {});
            double noop = (System.nanoTime() - t2) / 1e9;
            System.out.printf("%nindexing %d images (%s, embed dim %d, %d embedded, %d reused by hash, %d commits):%n", st.scanned(), modelDir,
                    m.embedDim(), st.embedded(), st.reused(), st.commits());
            System.out.printf("  whole pipeline           %8.1f images/s  (%.1f s)%n", st.scanned() / secs, secs);
            System.out.printf("  ... committing every 10  %8.1f images/s  (%.1f s, %d commits)%n", st10.scanned() / secs10, secs10, st10.commits());
            System.out.printf("  model.embedImages alone  %8.1f images/s  (%.1f s)%n", files.size() / embedSecs, embedSecs);
            System.out.printf("  re-run, nothing changed  %8.1f files/s   (%.2f s, %d decoded)%n", again.scanned() / noop, noop, again.decoded());
        }
    }

    static float[] randomUnit(Random r, int dim) {
        float[] v = new float[dim];
        for (int d = 0; d < dim; d++) v[d] = (float) r.nextGaussian();
        return Vectors.normalize(v);
    }

    static void vectors(String kind, int n, int dim, int queries, int[] candidates, boolean merge, Path dir) throws Exception {
        Random rnd = new Random(42);
        float[][] centres = new float[2000][];
        for (int i = 0; i < centres.length; i++) centres[i] = randomUnit(rnd, dim);
        boolean clustered = kind.equals("clustered");
        java.util.function.Supplier<float[]> next = () -> {
            if (!clustered) return randomUnit(rnd, dim);
            float[] c = centres[rnd.nextInt(centres.length)], v = new float[dim];
            double sigma = 0.8 / Math.sqrt(dim);
            for (int d = 0; d < dim; d++) v[d] = (float) (c[d] + sigma * rnd.nextGaussian());
            return Vectors.normalize(v);
        };
        ModelIdentity fake = new ModelIdentity("0".repeat(64), dir, List.of());
        long t0 = System.nanoTime();
        try (IndexUpdater u = IndexUpdater.open(dir, fake, dim)) {
            for (int i = 0; i < n; i++) {
                u.put(new Entry(String.format("/bench/%07d.jpg", i), 1000, 0, Integer.toHexString(i), 224, 224), next.get());
                if ((i + 1) % 3200 == 0) u.commit(); // as indexing does: a commit every 100 batches of 32 here
            }
            u.commit();
        }
        double build = (System.nanoTime() - t0) / 1e9;
        float[][] q = new float[queries][];
        for (int i = 0; i < queries; i++) q[i] = next.get();
        System.out.printf("%n%,d %s unit vectors, dim %d (build %.1f s = %.0f vectors/s), %d queries, k = 10:%n", n, kind, dim, build, n / build, queries);
        measure(dir, q, candidates);
        if (merge) {
            long m0 = System.nanoTime();
            try (IndexUpdater u = IndexUpdater.open(dir, fake, dim)) {
                u.optimize(1);
            }
            System.out.printf(" after optimize(1) (%.1f s):%n", (System.nanoTime() - m0) / 1e9);
            measure(dir, q, candidates);
        }
    }

    static void measure(Path dir, float[][] q, int[] candidates) throws Exception {
        int queries = q.length;
        try (ImageIndex idx = ImageIndex.open(dir)) {
            for (int i = 0; i < Math.min(100, queries); i++) {
                idx.search(q[i], 10, SearchOptions.defaults().withExact(true));
                for (int c : candidates) idx.search(q[i], 10, SearchOptions.defaults().withMethod(SearchOptions.Method.HNSW).withCandidates(c));
            }
            long[] exact = new long[queries];
            long[][] hnsw = new long[candidates.length][queries];
            double[] recall = new double[candidates.length];
            for (int i = 0; i < queries; i++) {
                long a = System.nanoTime();
                List<Hit> e = idx.search(q[i], 10, SearchOptions.defaults().withExact(true));
                exact[i] = System.nanoTime() - a;
                Set<String> truth = new HashSet<>();
                for (Hit x : e) truth.add(x.path());
                for (int c = 0; c < candidates.length; c++) {
                    long b = System.nanoTime();
                    List<Hit> h = idx.search(q[i], 10, SearchOptions.defaults().withMethod(SearchOptions.Method.HNSW).withCandidates(candidates[c]));
                    hnsw[c][i] = System.nanoTime() - b;
                    recall[c] += h.stream().filter(x -> truth.contains(x.path())).count() / 10.0;
                }
            }
            System.out.printf("  %d segments%n", countSegments(dir));
            for (int c = 0; c < candidates.length; c++) {
                System.out.printf("  HNSW, %4d candidates re-scored  p50 %7.2f ms  p99 %7.2f ms  recall@10 %.3f%n", candidates[c],
                        pct(hnsw[c], 50), pct(hnsw[c], 99), recall[c] / queries);
            }
            System.out.printf("  exact (brute force)             p50 %7.2f ms  p99 %7.2f ms  recall@10 1%n", pct(exact, 50), pct(exact, 99));
        }
    }

    static int countSegments(Path dir) throws Exception {
        try (var d = org.apache.lucene.store.FSDirectory.open(dir)) {
            return org.apache.lucene.index.SegmentInfos.readLatestCommit(d).size();
        }
    }

    static double pct(long[] nanos, int p) {
        long[] s = nanos.clone();
        Arrays.sort(s);
        return s[Math.min(s.length - 1, (int) Math.ceil(p / 100.0 * s.length) - 1)] / 1e6;
    }

}
