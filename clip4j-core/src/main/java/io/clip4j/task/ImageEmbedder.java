package io.clip4j.task;

import io.clip4j.Clip4jException;
import io.clip4j.image.ImagePreprocessor;
import io.clip4j.image.PilImage;
import io.clip4j.model.ClipModel;
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
     * @param embedding unit vector, null on error
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
    private final AtomicLong decodes = new AtomicLong();

    public ImageEmbedder(ClipModel model) { this(model, ClipModel.DEFAULT_BATCH_SIZE, false); }

    public ImageEmbedder(ClipModel model, int batchSize, boolean hashing) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1");
        this.model = model;
        this.batchSize = batchSize;
        this.hashing = hashing;
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

    /** Embeds batch after batch, handing each batch's results (in input order) to the consumer as soon as it is done. */
    public void embed(List<Path> files, Consumer<List<Result>> perBatch) {
        for (int start = 0; start < files.size(); start += batchSize) {
            perBatch.accept(embedBatch(files.subList(start, Math.min(files.size(), start + batchSize))));
        }
    }

    /** One forward pass over the files that decode. */
    public List<Result> embedBatch(List<Path> batch) { return embedBatch(batch, null); }

    /**
     * One forward pass; {@code data}, when not null, holds each file's bytes already read (an entry may be null: that
     * file is read here). {@code batch} names the files (for errors and results).
     */
    public List<Result> embedBatch(List<Path> batch, List<byte[]> data) {
        if (data != null && data.size() != batch.size()) throw new IllegalArgumentException("data and batch differ in length");
        int S = model.config().vision().imageSize(), per = 3 * S * S, n = batch.size();
        float[] pixels = new float[n * per];
        String[] errors = new String[n], hashes = new String[n];
        int[] widths = new int[n], heights = new int[n];
        long[] sizes = new long[n];
        ImagePreprocessor pre = model.preprocessor();
        IntStream.range(0, n).parallel().forEach(i -> {
            Path file = batch.get(i);
            try {
                byte[] bytes = data != null && data.get(i) != null ? data.get(i) : read(file);
                sizes[i] = bytes.length;
                if (hashing) hashes[i] = sha256(bytes);
                decodes.incrementAndGet();
                PilImage img = pre.decoder().decode(bytes, file.toString());
                widths[i] = img.width();
                heights[i] = img.height();
                int written = pre.applyInto(img, pixels, i * per);
                if (written != per) throw new Clip4jException("preprocessing " + file + " gave " + written + " values, the model takes " + per
                        + " (check preprocessor_config.json's crop size against the model's image_size)");
            } catch (RuntimeException | OutOfMemoryError e) {
                errors[i] = describe(e);
            }
        });
        int good = 0;
        for (int i = 0; i < n; i++) {
            if (errors[i] != null) continue;
            if (good != i) System.arraycopy(pixels, i * per, pixels, good * per, per);
            good++;
        }
        float[][] f = good > 0 ? model.encodePixels(pixels, good) : new float[0][];
        List<Result> out = new ArrayList<>(n);
        for (int i = 0, g = 0; i < n; i++) {
            if (errors[i] != null) out.add(new Result(batch.get(i), null, 0, 0, sizes[i], hashes[i], errors[i]));
            else out.add(new Result(batch.get(i), Vectors.normalize(f[g++]), widths[i], heights[i], sizes[i], hashes[i], null));
        }
        return out;
    }

    /** A file's bytes; failures as one-line {@link Clip4jException}s naming the file. */
    public static byte[] read(Path file) {
        try {
            long size = Files.size(file);
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
