package io.clip4j.index;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.model.Vectors;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.FloatVectorValues;
import org.apache.lucene.index.IndexNotFoundException;
import org.apache.lucene.index.KnnVectorValues;
import org.apache.lucene.index.LeafReader;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.ReaderUtil;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.DocIdSetIterator;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.KnnFloatVectorQuery;
import org.apache.lucene.search.PrefixQuery;
import org.apache.lucene.search.Query;
import org.apache.lucene.search.ScoreDoc;
import org.apache.lucene.search.ScoreMode;
import org.apache.lucene.search.Scorer;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.search.Weight;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.util.Bits;
import org.apache.lucene.util.FixedBitSet;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * A searchable image index: a Lucene index with one document per image file (path, size, mtime, SHA-256 of the
 * bytes, pixel dimensions) and its unit embedding in an HNSW graph (dot product = cosine similarity). The model
 * that made the embeddings is recorded with every commit; queries with another model are refused.
 *
 * <p>Build and refresh it with {@link IndexUpdater}. An ImageIndex reads the latest commit at open time; it is
 * thread-safe.
 */
public final class ImageIndex implements Closeable {
    private final Path dir;
    private final Directory directory;
    private final DirectoryReader reader;
    private final IndexSearcher searcher;
    private final ModelIdentity model;
    private final int dimension;

    private ImageIndex(Path dir, Directory directory, DirectoryReader reader) throws IOException {
        this.dir = dir;
        this.directory = directory;
        this.reader = reader;
        this.searcher = new IndexSearcher(reader);
        Map<String, String> meta = reader.getIndexCommit().getUserData();
        if (!Fields.FORMAT.equals(meta.get(Fields.META_FORMAT)) || meta.get(Fields.META_MODEL) == null) {
            throw new Clip4jException(dir + " is a Lucene index but not a clip4j image index (or from another clip4j version): rebuild it");
        }
        this.model = ModelIdentity.fromJson(meta.get(Fields.META_MODEL));
        this.dimension = Integer.parseInt(meta.get(Fields.META_DIM));
    }

    /** Whether dir holds an index. */
    public static boolean exists(Path dir) {
        if (!Files.isDirectory(dir)) return false;
        try (Directory d = FSDirectory.open(dir)) {
            return DirectoryReader.indexExists(d);
        } catch (IOException e) {
            return false;
        }
    }

    /** Opens the latest commit of an existing index. */
    public static ImageIndex open(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) throw noIndex(abs);
        Directory d = null;
        try {
            d = FSDirectory.open(abs);
            return new ImageIndex(abs, d, DirectoryReader.open(d));
        } catch (IndexNotFoundException e) {
            close(d);
            throw noIndex(abs);
        } catch (IOException e) {
            close(d);
            throw new Clip4jException("cannot open index " + abs + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close(d);
            throw e;
        }
    }

    private static void close(Directory d) {
        try {
            if (d != null) d.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    static Clip4jException noIndex(Path dir) {
        return new Clip4jException("no index at " + dir + ": build one with `clip4j index FOLDER --index " + dir + " --model MODEL`");
    }

    public Path dir() { return dir; }

    /** The model whose embeddings the index holds. */
    public ModelIdentity model() { return model; }

    /** Embedding width. */
    public int dimension() { return dimension; }

    /** Number of indexed files. */
    public int size() { return reader.numDocs(); }

    /** Refuses a model other than the index's (by content: weights and configs), with how to fix it. */
    public void checkModel(ClipModel m) {
        ModelIdentity given = ModelIdentity.of(m, model);
        if (!given.sameModel(model)) throw mismatch(dir, model, given);
    }

    static Clip4jException mismatch(Path dir, ModelIdentity recorded, ModelIdentity given) {
        return new Clip4jException("index " + dir + " holds embeddings of the model at " + recorded.dir() + " (id " + recorded.shortId()
                + "), not of " + given.dir() + " (id " + given.shortId() + "); embeddings of different models are not comparable."
                + " Use --model " + recorded.dir() + " (or leave --model out), or rebuild the index for this model:"
                + " `clip4j index FOLDER --index NEW_DIR --model " + given.dir() + "` (or delete " + dir + " first)");
    }

    /** Files most similar to a text, embedded by the model (which must be the index's). */
    public List<Hit> searchText(ClipModel m, String text, int k, SearchOptions options) {
        checkModel(m);
        return search(m.embedText(text), k, options);
    }

    /** Files most similar to an image file, embedded by the model (which must be the index's). */
    public List<Hit> searchImage(ClipModel m, Path image, int k, SearchOptions options) {
        checkModel(m);
        return search(m.embedImage(image), k, options);
    }

    /**
     * The k files most similar to a query vector (normalised here), best first, with their cosine similarity;
     * equal scores in path order. HNSW search re-scores its candidates exactly against the stored vectors;
     * brute force compares with every stored vector (see {@link SearchOptions#method()}).
     */
    public List<Hit> search(float[] query, int k, SearchOptions options) {
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        if (query.length != dimension) throw new Clip4jException("the query has " + query.length + " dimensions, the index " + dimension);
        float[] q = Vectors.normalize(query);
        try {
            return options.exactFor(reader.numDocs()) ? exact(q, k, options.pathPrefix()) : approximate(q, k, options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private List<Hit> approximate(float[] q, int k, SearchOptions options) throws IOException {
        Query filter = options.pathPrefix() == null ? null : new PrefixQuery(new Term(Fields.PATH, options.pathPrefix()));
        int n = options.candidatesFor(k, reader.numDocs());
        TopDocs td = searcher.search(new KnnFloatVectorQuery(Fields.VECTOR, q, n, filter), n);
        int[] docs = new int[td.scoreDocs.length];
        for (int i = 0; i < docs.length; i++) docs[i] = td.scoreDocs[i].doc;
        return rank(q, docs, k);
    }

    /**
     * Exact scores for the given global doc ids, then the top k by (score desc, path asc). Scores are clip4j's
     * sequential dot product, not Lucene's vectorised one: that one's lane sum gives other bits once the JIT has
     * compiled it, so the same query could score differently from one call to the next.
     */
    private List<Hit> rank(float[] q, int[] docs, int k) throws IOException {
        List<Hit> hits = new ArrayList<>(docs.length);
        StoredFields stored = searcher.storedFields();
        for (int doc : docs) hits.add(new Hit(stored.document(doc).get(Fields.PATH), Vectors.dot(q, vector(doc))));
        hits.sort(BEST_FIRST);
        return hits.size() > k ? new ArrayList<>(hits.subList(0, k)) : hits;
    }

    static final Comparator<Hit> BEST_FIRST = Comparator.comparingDouble((Hit h) -> -h.score()).thenComparing(Hit::path);

    private List<Hit> exact(float[] q, int k, String prefix) throws IOException {
        int maxDoc = reader.maxDoc();
        float[] score = new float[maxDoc];
        Arrays.fill(score, Float.NaN);
        forEachVector(prefix, (doc, v) -> score[doc] = Vectors.dot(q, v));
        // the k-th best score, then every doc at least as good (ties at the cut all compete by path)
        float[] live = new float[maxDoc];
        int m = 0;
        for (float s : score) if (!Float.isNaN(s)) live[m++] = s;
        if (m == 0) return List.of();
        Arrays.sort(live, 0, m);
        float cut = live[Math.max(0, m - k)];
        int[] docs = IntStream.range(0, maxDoc).filter(d -> !Float.isNaN(score[d]) && score[d] >= cut).toArray();
        return rank(q, docs, k);
    }

    interface VectorVisitor { void visit(int globalDoc, float[] vector) throws IOException; }

    /** Every live document's vector (the array may be reused between calls), optionally only paths with a prefix. */
    void forEachVector(String prefix, VectorVisitor visitor) throws IOException {
        Weight w = prefix == null ? null : searcher.createWeight(searcher.rewrite(new PrefixQuery(new Term(Fields.PATH, prefix))), ScoreMode.COMPLETE_NO_SCORES, 1f);
        for (LeafReaderContext ctx : reader.leaves()) {
            LeafReader leaf = ctx.reader();
            FloatVectorValues values = leaf.getFloatVectorValues(Fields.VECTOR);
            if (values == null) continue;
            Bits liveDocs = leaf.getLiveDocs();
            Bits allowed = null;
            if (w != null) {
                Scorer s = w.scorer(ctx);
                if (s == null) continue;
                FixedBitSet bits = new FixedBitSet(leaf.maxDoc());
                bits.or(s.iterator());
                allowed = bits;
            }
            KnnVectorValues.DocIndexIterator it = values.iterator();
            for (int doc = it.nextDoc(); doc != DocIdSetIterator.NO_MORE_DOCS; doc = it.nextDoc()) {
                if (liveDocs != null && !liveDocs.get(doc)) continue;
                if (allowed != null && !allowed.get(doc)) continue;
                visitor.visit(ctx.docBase + doc, values.vectorValue(it.index()));
            }
        }
    }

    /** The stored vector of a global doc id (a fresh array). */
    float[] vector(int globalDoc) throws IOException {
        List<LeafReaderContext> leaves = reader.leaves();
        LeafReaderContext ctx = leaves.get(ReaderUtil.subIndex(globalDoc, leaves));
        FloatVectorValues values = ctx.reader().getFloatVectorValues(Fields.VECTOR);
        KnnVectorValues.DocIndexIterator it = values.iterator();
        if (it.advance(globalDoc - ctx.docBase) != globalDoc - ctx.docBase) throw new IllegalStateException("document " + globalDoc + " has no vector");
        return values.vectorValue(it.index()).clone();
    }

    private int docOf(String path) throws IOException {
        TopDocs td = searcher.search(new TermQuery(new Term(Fields.PATH, path)), 1);
        return td.scoreDocs.length == 0 ? -1 : td.scoreDocs[0].doc;
    }

    /** The entry of an indexed file (absolute path as indexed). */
    public Optional<Entry> entry(String path) {
        try {
            int doc = docOf(path);
            return doc < 0 ? Optional.empty() : Optional.of(Fields.entry(searcher.storedFields().document(doc)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The stored unit embedding of an indexed file. */
    public Optional<float[]> vector(String path) {
        try {
            int doc = docOf(path);
            return doc < 0 ? Optional.empty() : Optional.of(vector(doc));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every indexed file, sorted by path. */
    public List<Entry> entries() {
        try {
            List<Entry> out = new ArrayList<>(reader.numDocs());
            StoredFields stored = searcher.storedFields();
            for (LeafReaderContext ctx : reader.leaves()) {
                Bits liveDocs = ctx.reader().getLiveDocs();
                for (int d = 0; d < ctx.reader().maxDoc(); d++) {
                    if (liveDocs == null || liveDocs.get(d)) out.add(Fields.entry(stored.document(ctx.docBase + d)));
                }
            }
            out.sort(Comparator.comparing(Entry::path));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Groups of near-duplicates: files linked by pairs with cosine similarity ≥ threshold, found by asking the HNSW
     * graph for each file's {@code neighbours} nearest (or, when {@code exact}, by comparing all pairs). Groups and
     * their members are sorted by path.
     */
    public List<DuplicateGroup> duplicates(float threshold, int neighbours, boolean exact) {
        if (neighbours < 1) throw new IllegalArgumentException("neighbours must be at least 1");
        try {
            int maxDoc = reader.maxDoc();
            float[][] vecs = new float[maxDoc][];
            forEachVector(null, (doc, v) -> vecs[doc] = v.clone());
            int[] parent = IntStream.range(0, maxDoc).toArray();
            float[] min = new float[maxDoc], max = new float[maxDoc];
            Arrays.fill(min, Float.POSITIVE_INFINITY);
            Arrays.fill(max, Float.NEGATIVE_INFINITY);
            List<int[]> edges = new ArrayList<>();
            List<Float> edgeScores = new ArrayList<>();
            int[] docs = IntStream.range(0, maxDoc).filter(d -> vecs[d] != null).toArray();
            // neighbours of each doc, in parallel; edges collected per doc
            List<List<float[]>> found = IntStream.range(0, docs.length).parallel().mapToObj(i -> {
                int a = docs[i];
                List<float[]> out = new ArrayList<>();
                try {
                    if (exact) {
                        for (int j = i + 1; j < docs.length; j++) {
                            float s = Vectors.dot(vecs[a], vecs[docs[j]]);
                            if (s >= threshold) out.add(new float[]{a, docs[j], s});
                        }
                    } else {
                        int n = (int) Math.min(neighbours + 1L, docs.length);
                        for (ScoreDoc sd : searcher.search(new KnnFloatVectorQuery(Fields.VECTOR, vecs[a], n), n).scoreDocs) {
                            if (sd.doc == a || vecs[sd.doc] == null) continue;
                            float s = Vectors.dot(vecs[a], vecs[sd.doc]);
                            if (s >= threshold) out.add(new float[]{Math.min(a, sd.doc), Math.max(a, sd.doc), s});
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return out;
            }).toList();
            for (List<float[]> l : found) for (float[] e : l) { edges.add(new int[]{(int) e[0], (int) e[1]}); edgeScores.add(e[2]); }
            for (int[] e : edges) union(parent, e[0], e[1]);
            for (int i = 0; i < edges.size(); i++) {
                int root = find(parent, edges.get(i)[0]);
                min[root] = Math.min(min[root], edgeScores.get(i));
                max[root] = Math.max(max[root], edgeScores.get(i));
            }
            Map<Integer, List<String>> groups = new HashMap<>();
            StoredFields stored = searcher.storedFields();
            for (int d : docs) {
                int root = find(parent, d);
                if (max[root] == Float.NEGATIVE_INFINITY) continue; // no edge: a singleton
                groups.computeIfAbsent(root, r -> new ArrayList<>()).add(stored.document(d).get(Fields.PATH));
            }
            List<DuplicateGroup> out = new ArrayList<>();
            for (Map.Entry<Integer, List<String>> g : groups.entrySet()) {
                List<String> paths = new ArrayList<>(g.getValue());
                paths.sort(null);
                out.add(new DuplicateGroup(List.copyOf(paths), min[g.getKey()], max[g.getKey()]));
            }
            out.sort(Comparator.comparing(g -> g.paths().get(0)));
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int find(int[] p, int x) {
        while (p[x] != x) { p[x] = p[p[x]]; x = p[x]; }
        return x;
    }

    private static void union(int[] p, int a, int b) {
        int ra = find(p, a), rb = find(p, b);
        if (ra != rb) p[Math.max(ra, rb)] = Math.min(ra, rb);
    }

    /** Document paths, for tests. */
    Document document(int globalDoc) throws IOException { return searcher.storedFields().document(globalDoc); }

    @Override public void close() {
        try {
            reader.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
