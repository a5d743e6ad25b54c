package io.clip4j.index;

import io.clip4j.Clip4jException;
import io.clip4j.model.ClipModel;
import io.clip4j.task.ImageEmbedder;
import org.apache.lucene.document.Document;
import org.apache.lucene.index.DirectoryReader;
import org.apache.lucene.index.IndexWriter;
import org.apache.lucene.index.IndexWriterConfig;
import org.apache.lucene.index.LeafReaderContext;
import org.apache.lucene.index.SegmentInfos;
import org.apache.lucene.index.StoredFields;
import org.apache.lucene.index.Term;
import org.apache.lucene.search.IndexSearcher;
import org.apache.lucene.search.TermQuery;
import org.apache.lucene.search.TopDocs;
import org.apache.lucene.store.Directory;
import org.apache.lucene.store.FSDirectory;
import org.apache.lucene.store.LockObtainFailedException;
import org.apache.lucene.util.Bits;

import java.io.Closeable;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

/**
 * Builds and refreshes an image index. {@link #sync} brings the index in line with a folder:
 *
 * <ul>
 * <li>files whose size and modification time match their entry are skipped without being read;</li>
 * <li>files that are new, or whose size or mtime changed, are read and hashed (SHA-256); when the hash matches
 *     their entry (a touched file) or any indexed file (a moved or copied file), the stored embedding is reused
 *     without decoding; otherwise they are decoded and embedded, {@code batchSize} at a time;</li>
 * <li>entries under the folder whose file is gone are deleted;</li>
 * <li>a file that cannot be read or decoded is reported and left out (its old entry, if any, removed); the run
 *     goes on.</li>
 * </ul>
 *
 * The index is committed every {@code commitEvery} batches, so a killed run loses at most that many batches and
 * the next run continues where it stopped. Every commit records the model's identity; opening an index built with
 * another model fails before anything is written.
 *
 * <p>One updater per index at a time (Lucene's write lock); readers ({@link ImageIndex}) may search meanwhile and
 * see each commit when reopened.
 */
public final class IndexUpdater implements Closeable {
    /** Extensions indexed by default (the formats the decoder reads). */
    public static final Set<String> DEFAULT_EXTENSIONS = io.clip4j.image.ImageDecoder.FILE_EXTENSIONS;

    /**
     * @param batchSize   images per forward pass
     * @param commitEvery batches between commits
     * @param extensions  lower-case file extensions to index
     */
    public record Options(int batchSize, int commitEvery, Set<String> extensions) {
        public Options {
            if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1");
            if (commitEvery < 1) throw new IllegalArgumentException("commitEvery must be at least 1");
            extensions = Set.copyOf(extensions);
        }
        public static Options defaults() { return new Options(ClipModel.DEFAULT_BATCH_SIZE, 1, DEFAULT_EXTENSIONS); }
        public Options withBatchSize(int b) { return new Options(b, commitEvery, extensions); }
        public Options withCommitEvery(int c) { return new Options(batchSize, c, extensions); }
        public Options withExtensions(Set<String> e) { return new Options(batchSize, commitEvery, e); }
    }

    /** Progress callbacks, on the updating thread. */
    public interface Listener {
        /** After the walk: image files found, and how many are new or changed (to read). */
        default void scanned(int files, int toRead) {}
        /** After each batch: files read so far, of toRead. */
        default void progress(int done, int toRead) {}
        default void failed(Path file, String error) {}
        /** After each commit, with the number of indexed files. */
        default void committed(int documents) {}
    }

    public record Failure(Path path, String error) {}

    /**
     * What a sync did.
     * @param scanned   image files found
     * @param unchanged skipped: size and mtime as indexed
     * @param added     new files indexed
     * @param changed   files re-indexed (re-embedded, or with the same bytes under a new mtime)
     * @param deleted   entries removed because their file is gone
     * @param embedded  files decoded and embedded
     * @param reused    files whose embedding was reused from an identical file (same SHA-256)
     * @param decoded   decode attempts (embedded plus decode failures)
     * @param commits   commits written
     * @param documents indexed files after the sync
     */
    public record Stats(int scanned, int unchanged, int added, int changed, int deleted, int embedded, int reused,
                        long decoded, int commits, int documents, List<Failure> failures) {
        public int failed() { return failures.size(); }
    }

    private final Path dir;
    private final Directory directory;
    private final IndexWriter writer;
    private final ModelIdentity model;
    private final int dimension;
    private boolean committedOnce;

    private IndexUpdater(Path dir, Directory directory, IndexWriter writer, ModelIdentity model, int dimension, boolean committedOnce) {
        this.dir = dir;
        this.directory = directory;
        this.writer = writer;
        this.model = model;
        this.dimension = dimension;
        this.committedOnce = committedOnce;
    }

    /** Opens (creating when absent) the index at dir for embeddings of the given model. */
    public static IndexUpdater open(Path indexDir, ClipModel model) {
        Path abs = indexDir.toAbsolutePath().normalize();
        return open(abs, ModelIdentity.of(model, recordedModel(abs)), model.embedDim());
    }

    /** Opens (creating when absent) the index at dir for vectors of a model with this identity and width. */
    public static IndexUpdater open(Path indexDir, ModelIdentity model, int dimension) {
        Path abs = indexDir.toAbsolutePath().normalize();
        if (dimension < 1 || dimension > ClipHnswVectorsFormat.MAX_DIMENSIONS) {
            throw new Clip4jException("embedding width " + dimension + " is outside 1.." + ClipHnswVectorsFormat.MAX_DIMENSIONS);
        }
        Directory d = null;
        try {
            if (Files.exists(abs) && !Files.isDirectory(abs)) throw new Clip4jException("index path " + abs + " is a file, not a directory");
            Files.createDirectories(abs);
            d = FSDirectory.open(abs);
            boolean exists = DirectoryReader.indexExists(d);
            if (exists) {
                Map<String, String> meta = SegmentInfos.readLatestCommit(d).getUserData();
                if (!Fields.FORMAT.equals(meta.get(Fields.META_FORMAT)) || meta.get(Fields.META_MODEL) == null) {
                    throw new Clip4jException(abs + " holds a Lucene index that is not a clip4j image index (or from another clip4j version): use another --index directory");
                }
                ModelIdentity recorded = ModelIdentity.fromJson(meta.get(Fields.META_MODEL));
                if (!recorded.sameModel(model)) throw ImageIndex.mismatch(abs, recorded, model);
            }
            IndexWriterConfig cfg = new IndexWriterConfig().setCodec(Fields.codec()).setOpenMode(IndexWriterConfig.OpenMode.CREATE_OR_APPEND)
                    .setCommitOnClose(false); // only commit() commits, always with the model record
            IndexWriter w;
            try {
                w = new IndexWriter(d, cfg);
            } catch (LockObtainFailedException e) {
                throw new Clip4jException("index " + abs + " is being updated by another process (its write.lock is held): wait for it to finish", e);
            }
            return new IndexUpdater(abs, d, w, model, dimension, exists);
        } catch (IOException e) {
            closeQuietly(d);
            throw new Clip4jException("cannot open index " + abs + " for writing: " + e.getMessage(), e);
        } catch (RuntimeException e) {
            closeQuietly(d);
            throw e;
        }
    }

    /** The model recorded in the index at dir, or null when there is none. */
    public static ModelIdentity recordedModel(Path indexDir) {
        Path abs = indexDir.toAbsolutePath().normalize();
        if (!Files.isDirectory(abs)) return null;
        try (Directory d = FSDirectory.open(abs)) {
            if (!DirectoryReader.indexExists(d)) return null;
            String m = SegmentInfos.readLatestCommit(d).getUserData().get(Fields.META_MODEL);
            return m == null ? null : ModelIdentity.fromJson(m);
        } catch (IOException e) {
            throw new Clip4jException("cannot read index " + abs + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(Directory d) {
        try {
            if (d != null) d.close();
        } catch (IOException ignored) {
            // already failing
        }
    }

    /** Opens the index, syncs it with the folder, closes it. */
    public static Stats update(Path indexDir, Path folder, ClipModel model, Options options, Listener listener) {
        try (IndexUpdater u = open(indexDir, model)) {
            return u.sync(folder, model, options, listener);
        }
    }

    public Path dir() { return dir; }
    public ModelIdentity model() { return model; }

    /** Adds or replaces the entry for e.path() with a precomputed embedding (normalised by the caller). */
    public void put(Entry e, float[] unitVector) {
        if (unitVector.length != dimension) throw new Clip4jException("vector has " + unitVector.length + " dimensions, the index " + dimension);
        try {
            writer.updateDocument(new Term(Fields.PATH, e.path()), Fields.document(e, unitVector));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    public void delete(String path) {
        try {
            writer.deleteDocuments(new Term(Fields.PATH, path));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Makes everything so far durable, with the model record. Changes not committed when the updater closes are dropped. */
    public void commit() {
        try {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put(Fields.META_FORMAT, Fields.FORMAT);
            meta.put(Fields.META_MODEL, model.toJson());
            meta.put(Fields.META_DIM, Integer.toString(dimension));
            writer.setLiveCommitData(meta.entrySet());
            writer.commit();
            committedOnce = true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Merges the index into at most maxSegments segments and commits. Each segment has its own HNSW graph that every
     * query searches, so fewer segments make queries faster; merging rebuilds graphs, which takes a while on large
     * indexes.
     */
    public void optimize(int maxSegments) {
        try {
            writer.forceMerge(maxSegments);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        commit();
    }

    /** Indexed files, counting uncommitted changes. */
    public int documents() { return writer.getDocStats().numDocs; }

    private record Scanned(Path path, String key, long size, long mtime) {}

    private record Known(Entry entry, int doc) {}

    private record Reusable(float[] vector, int width, int height) {}

    /** Brings the index in line with the folder (recursively); see the class comment. */
    public Stats sync(Path folder, ClipModel clip, Options options, Listener listener) {
        if (clip.embedDim() != dimension) throw new Clip4jException("the model's embeddings have " + clip.embedDim() + " dimensions, the index " + dimension);
        Path root = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(root)) throw new Clip4jException((Files.exists(root) ? "not a folder: " : "folder not found: ") + folder);
        String prefix = root.toString().endsWith(File.separator) ? root.toString() : root + File.separator;
        List<Failure> failures = new ArrayList<>();
        List<Scanned> files = scan(root, options.extensions(), failures, listener);
        try (DirectoryReader reader = DirectoryReader.open(writer)) {
            IndexSearcher searcher = new IndexSearcher(reader);
            Map<String, Known> known = known(reader, prefix);

            int deleted = 0;
            Set<String> present = new HashSet<>();
            for (Scanned s : files) present.add(s.key());
            for (String p : known.keySet()) {
                // an entry under a folder that could not be read is kept: its file may well still be there
                if (!present.contains(p) && !underFailure(p, failures)) {
                    writer.deleteDocuments(new Term(Fields.PATH, p));
                    deleted++;
                }
            }
            List<Scanned> todo = new ArrayList<>();
            for (Scanned s : files) {
                Known k = known.get(s.key());
                if (k == null || k.entry().size() != s.size() || k.entry().mtimeMillis() != s.mtime()) todo.add(s);
            }
            int unchanged = files.size() - todo.size();
            listener.scanned(files.size(), todo.size());

            ImageEmbedder embedder = new ImageEmbedder(clip, options.batchSize(), false);
            Map<String, Reusable> thisRun = new HashMap<>();
            int added = 0, changed = 0, embedded = 0, reused = 0, commits = 0, batches = 0, done = 0;
            for (int start = 0; start < todo.size(); start += options.batchSize()) {
                List<Scanned> batch = todo.subList(start, Math.min(todo.size(), start + options.batchSize()));
                int n = batch.size();
                byte[][] bytes = new byte[n][];
                String[] sha = new String[n], error = new String[n];
                IntStream.range(0, n).parallel().forEach(i -> {
                    try {
                        bytes[i] = ImageEmbedder.read(batch.get(i).path());
                        sha[i] = ImageEmbedder.sha256(bytes[i]);
                    } catch (RuntimeException e) {
                        error[i] = ImageEmbedder.describe(e);
                    }
                });
                Reusable[] vec = new Reusable[n];
                int[] sameAs = new int[n];
                List<Integer> toDecode = new ArrayList<>();
                Map<String, Integer> decodingBySha = new HashMap<>();
                for (int i = 0; i < n; i++) {
                    sameAs[i] = -1;
                    if (error[i] != null) continue;
                    Known k = known.get(batch.get(i).key());
                    if (k != null && k.entry().sha256().equals(sha[i])) vec[i] = new Reusable(vectorOf(reader, k.doc()), k.entry().width(), k.entry().height());
                    else if (thisRun.containsKey(sha[i])) vec[i] = thisRun.get(sha[i]);
                    else if ((vec[i] = bySha(reader, searcher, sha[i])) != null) thisRun.put(sha[i], vec[i]);
                    else if (decodingBySha.containsKey(sha[i])) sameAs[i] = decodingBySha.get(sha[i]);
                    else {
                        decodingBySha.put(sha[i], i);
                        toDecode.add(i);
                    }
                    if (vec[i] != null) reused++;
                }
                if (!toDecode.isEmpty()) {
                    List<Path> paths = new ArrayList<>();
                    List<byte[]> data = new ArrayList<>();
                    for (int i : toDecode) { paths.add(batch.get(i).path()); data.add(bytes[i]); }
                    List<ImageEmbedder.Result> results = embedder.embedBatch(paths, data);
                    for (int j = 0; j < toDecode.size(); j++) {
                        int i = toDecode.get(j);
                        ImageEmbedder.Result r = results.get(j);
                        if (r.ok()) {
                            vec[i] = new Reusable(r.embedding(), r.width(), r.height());
                            thisRun.put(sha[i], vec[i]);
                            embedded++;
                        } else error[i] = r.error();
                    }
                }
                for (int i = 0; i < n; i++) {
                    if (sameAs[i] >= 0) {
                        vec[i] = vec[sameAs[i]];
                        if (vec[i] == null) error[i] = error[sameAs[i]].replace(batch.get(sameAs[i]).path().toString(), batch.get(i).path().toString());
                        else reused++;
                    }
                }
                for (int i = 0; i < n; i++) {
                    Scanned s = batch.get(i);
                    boolean wasKnown = known.containsKey(s.key());
                    if (vec[i] == null) {
                        failures.add(new Failure(s.path(), error[i]));
                        listener.failed(s.path(), error[i]);
                        if (wasKnown) writer.deleteDocuments(new Term(Fields.PATH, s.key()));
                        continue;
                    }
                    Entry e = new Entry(s.key(), s.size(), s.mtime(), sha[i], vec[i].width(), vec[i].height());
                    writer.updateDocument(new Term(Fields.PATH, s.key()), Fields.document(e, vec[i].vector()));
                    if (wasKnown) changed++;
                    else added++;
                }
                done += n;
                if (++batches % options.commitEvery() == 0) {
                    commit();
                    commits++;
                    listener.committed(documents());
                }
                listener.progress(done, todo.size());
            }
            if (writer.hasUncommittedChanges() || !committedOnce) {
                commit();
                commits++;
                listener.committed(documents());
            }
            return new Stats(files.size(), unchanged, added, changed, deleted, embedded, reused, embedder.decodes(), commits, documents(), List.copyOf(failures));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether path is a failed scan entry or lies under one (a folder that could not be read). */
    private static boolean underFailure(String path, List<Failure> failures) {
        for (Failure f : failures) {
            String d = f.path().toString();
            if (path.equals(d) || path.startsWith(d.endsWith(File.separator) ? d : d + File.separator)) return true;
        }
        return false;
    }

    /** Why a scan step failed, in words (an AccessDeniedException's message is only the path). */
    private static String reason(IOException e) {
        if (e instanceof java.nio.file.AccessDeniedException) return "permission denied";
        if (e instanceof java.nio.file.FileSystemLoopException) return "a symbolic link back to a folder above it (skipped)";
        if (e instanceof java.nio.file.NoSuchFileException) return "it disappeared during the scan";
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Image files under root, sorted by path; hidden files and folders (name starting with '.') are skipped. Symbolic
     * links are followed (root itself may be one), so a file is known by the path it has under root; a link back to a
     * folder above is reported and skipped. A file whose name is not valid in the platform's encoding (it would not
     * map back to the same file) is reported instead of indexed.
     */
    private static List<Scanned> scan(Path root, Set<String> extensions, List<Failure> failures, Listener listener) {
        List<Scanned> out = new ArrayList<>();
        try {
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE, new SimpleFileVisitor<>() {
                @Override public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) {
                    return !d.equals(root) && d.getFileName().toString().startsWith(".") ? FileVisitResult.SKIP_SUBTREE : FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult visitFile(Path f, BasicFileAttributes a) {
                    String name = f.getFileName().toString();
                    if (a.isSymbolicLink() && !name.startsWith(".")) {
                        // the walk follows links, so these attributes are the link's own: its target is missing or
                        // loops (perhaps a folder on a drive that is not mounted: whatever was indexed under it stays)
                        String msg = "cannot read " + f + ": a symbolic link whose target is missing or loops";
                        failures.add(new Failure(f, msg));
                        listener.failed(f, msg);
                        return FileVisitResult.CONTINUE;
                    }
                    int dot = name.lastIndexOf('.');
                    if (!a.isRegularFile() || name.startsWith(".") || dot < 0) return FileVisitResult.CONTINUE;
                    if (!extensions.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT))) return FileVisitResult.CONTINUE;
                    if (name.indexOf('\uFFFD') >= 0 && !Files.exists(Path.of(f.toString()))) {
                        String msg = "cannot index " + f + ": its name's bytes are not valid in the file name encoding ("
                                + System.getProperty("sun.jnu.encoding", "unknown") + "), so the name read back names no file: rename it";
                        failures.add(new Failure(f, msg));
                        listener.failed(f, msg);
                        return FileVisitResult.CONTINUE;
                    }
                    out.add(new Scanned(f, f.toString(), a.size(), a.lastModifiedTime().toMillis()));
                    return FileVisitResult.CONTINUE;
                }

                @Override public FileVisitResult visitFileFailed(Path f, IOException e) {
                    String msg = "cannot read " + f + ": " + reason(e);
                    failures.add(new Failure(f, msg));
                    listener.failed(f, msg);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new Clip4jException("cannot scan " + root + ": " + e.getMessage(), e);
        }
        out.sort((a, b) -> a.key().compareTo(b.key()));
        return out;
    }

    /** Entries under the prefix, by path. */
    private static Map<String, Known> known(DirectoryReader reader, String prefix) throws IOException {
        Map<String, Known> out = new HashMap<>();
        StoredFields stored = reader.storedFields();
        for (LeafReaderContext ctx : reader.leaves()) {
            Bits live = ctx.reader().getLiveDocs();
            for (int d = 0; d < ctx.reader().maxDoc(); d++) {
                if (live != null && !live.get(d)) continue;
                Document doc = stored.document(ctx.docBase + d);
                String p = doc.get(Fields.PATH);
                if (p.startsWith(prefix)) out.put(p, new Known(Fields.entry(doc), ctx.docBase + d));
            }
        }
        return out;
    }

    private static Reusable bySha(DirectoryReader reader, IndexSearcher searcher, String sha) throws IOException {
        TopDocs td = searcher.search(new TermQuery(new Term(Fields.SHA, sha)), 1);
        if (td.scoreDocs.length == 0) return null;
        int doc = td.scoreDocs[0].doc;
        Entry e = Fields.entry(reader.storedFields().document(doc));
        return new Reusable(vectorOf(reader, doc), e.width(), e.height());
    }

    private static float[] vectorOf(DirectoryReader reader, int globalDoc) throws IOException {
        List<LeafReaderContext> leaves = reader.leaves();
        LeafReaderContext ctx = leaves.get(org.apache.lucene.index.ReaderUtil.subIndex(globalDoc, leaves));
        var values = ctx.reader().getFloatVectorValues(Fields.VECTOR);
        var it = values.iterator();
        if (it.advance(globalDoc - ctx.docBase) != globalDoc - ctx.docBase) throw new IllegalStateException("document " + globalDoc + " has no vector");
        return values.vectorValue(it.index()).clone();
    }

    @Override public void close() {
        try {
            writer.close();
            directory.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
