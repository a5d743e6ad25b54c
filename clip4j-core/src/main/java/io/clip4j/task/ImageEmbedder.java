package io.clip4j.task;

import io.clip4j.Clip4jException;
import io.clip4j.image.ImageDecoder;
import io.clip4j.image.PilImage;
import io.clip4j.model.BatchPipeline;
import io.clip4j.model.ClipModel;
import io.clip4j.model.ImageInput;
import io.clip4j.model.Vectors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.stream.IntStream;

/**
 * Embeds image files in batches, with a result per file: a file that cannot be read or decoded gets its error in
 * its place and the others go on. Each file is read once; its bytes are decoded (in parallel within a batch) and,
 * when hashing is on, hashed (SHA-256) from the same bytes. Embeddings are L2-normalised.
 */
public final class ImageEmbedder {
    /**
     * One file's outcome.
     * @param embedding unit vector (raw features when the embedder does not normalise), null on error
     * @param width     decoded image width (0 on error)
     * @param height    decoded image height (0 on error)
     * @param sha256    hex SHA-256 of the file bytes, when hashing is on and the file could be read (else null)
     * @param error     one line naming the file, null on success
     */
    public record Result(Path path, float[] embedding, int width, int height, long size, String sha256, String error) {
        public boolean ok() { return error == null; }
    }

    private final ClipModel model;
    private final int batchSize;
    private final boolean hashing;
    private final boolean normalize;
    private final AtomicLong decodes = new AtomicLong();

    public ImageEmbedder(ClipModel model) { this(model, ClipModel.DEFAULT_BATCH_SIZE, false); }

    public ImageEmbedder(ClipModel model, int batchSize, boolean hashing) { this(model, batchSize, hashing, true); }

    /** @param normalize false: results carry the raw projected features instead of unit vectors */
    public ImageEmbedder(ClipModel model, int batchSize, boolean hashing, boolean normalize) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1");
        this.model = model;
        this.batchSize = batchSize;
        this.hashing = hashing;
        this.normalize = normalize;
    }

    public int batchSize() { return batchSize; }

    /** How many files this embedder has tried to decode so far. */
    public long decodes() { return decodes.get(); }

    /** Results in input order. */
    public List<Result> embed(List<Path> files) {
        List<Result> out = new ArrayList<>(files.size());
        embed(files, out::addAll);
        return out;
    }

    /**
     * Embeds batch after batch, handing each batch's results (in input order) to the consumer as soon as it is done.
     * The next batch is read and decoded while the current one is encoded.
     */
    public void embed(List<Path> files, Consumer<List<Result>> perBatch) {
        int batches = (files.size() + batchSize - 1) / batchSize;
        BatchPipeline.run(batches,
                k -> prepare(files.subList(k * batchSize, Math.min(files.size(), (k + 1) * batchSize)), null),
                (k, prepared) -> perBatch.accept(encode(prepared)));
    }

    /** One forward pass over the files that decode. */
    public List<Result> embedBatch(List<Path> batch) { return embedBatch(batch, null); }

    /**
     * One forward pass; {@code data}, when not null, holds each file's bytes already read (an entry may be null: that
     * file is read here). {@code batch} names the files (for errors and results).
     */
    public List<Result> embedBatch(List<Path> batch, List<byte[]> data) { return encode(prepare(batch, data)); }

    /** A batch read, decoded and preprocessed: per file its model input or its error, and what the results report. */
    private record Prepared(List<Path> files, ImageInput[] inputs, String[] errors, String[] hashes, int[] widths, int[] heights, long[] sizes) {}

    private Prepared prepare(List<Path> batch, List<byte[]> data) {
        if (data != null && data.size() != batch.size()) throw new IllegalArgumentException("data and batch differ in length");
        int n = batch.size();
        Prepared p = new Prepared(batch, new ImageInput[n], new String[n], new String[n], new int[n], new int[n], new long[n]);
        ImageDecoder decoder = model.imageDecoder();
        IntStream.range(0, n).parallel().forEach(i -> {
            Path file = batch.get(i);
            try {
                byte[] bytes = data != null && data.get(i) != null ? data.get(i) : read(file);
                p.sizes[i] = bytes.length;
                if (hashing) p.hashes[i] = sha256(bytes);
                decodes.incrementAndGet();
                PilImage img = decoder.decode(bytes, file.toString());
                p.widths[i] = img.width();
                p.heights[i] = img.height();
                p.inputs[i] = model.preprocess(img, file.toString());
            } catch (RuntimeException | OutOfMemoryError e) {
                p.inputs[i] = null;
                p.errors[i] = describe(e);
            }
        });
        return p;
    }

    private List<Result> encode(Prepared p) {
        int n = p.files.size();
        List<ImageInput> good = new ArrayList<>(n);
        for (ImageInput in : p.inputs) if (in != null) good.add(in);
        float[][] f = model.encodeImages(good);
        List<Result> out = new ArrayList<>(n);
        for (int i = 0, g = 0; i < n; i++) {
            if (p.errors[i] != null) out.add(new Result(p.files.get(i), null, 0, 0, p.sizes[i], p.hashes[i], p.errors[i]));
            else {
                float[] e = f[g++];
                out.add(new Result(p.files.get(i), normalize ? Vectors.normalize(e) : e, p.widths[i], p.heights[i], p.sizes[i], p.hashes[i], null));
            }
        }
        return out;
    }

    /** A file's bytes; failures as one-line {@link Clip4jException}s naming the file. */
    public static byte[] read(Path file) {
        try {
            // one stat: a pipe or a device would block or never end, so only regular files are read
            var attrs = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            if (!attrs.isRegularFile())
                throw new Clip4jException("cannot read image " + file + ": " + (attrs.isDirectory() ? "it is a folder" : "not a regular file"));
            long size = attrs.size();
            if (size > Integer.MAX_VALUE - 8) throw new Clip4jException("cannot read image " + file + ": the file is too large (" + size + " bytes)");
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new Clip4jException("cannot read image " + file + ": no such file", e);
        } catch (IOException e) {
            throw new Clip4jException("cannot read image " + file + ": " + e.getMessage(), e);
        }
    }

    /** Hex SHA-256 of bytes. */
    public static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** One line for a per-file failure: our messages as they are, others with their type. */
    public static String describe(Throwable e) {
        if (e instanceof Clip4jException) return e.getMessage();
        if (e instanceof UncheckedIOException u && u.getCause() != null) e = u.getCause();
        if (e instanceof OutOfMemoryError) return "out of memory: " + e.getMessage();
        String m = e.getMessage();
        return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }
}
