package io.clip4j.train.data;

import io.clip4j.Clip4jException;
import io.clip4j.model.ImageBatch;
import io.clip4j.train.Augment;
import io.clip4j.text.Tokenizer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The reader pool: worker threads decode and augment images ahead of the trainer, a producer thread assembles them
 * in epoch order into batches (tokenising the captions) and hands them over through a bounded queue.
 *
 * <p>Deterministic whatever the thread timing: the epoch order comes from the {@link DataSource} (seed, epoch), each
 * image's augmentation from a stream seeded by (seed, epoch, position), and samples enter batches strictly in order.
 * A batch holds batchSize consecutive good samples of one epoch; the epoch's last partial batch is dropped. A sample
 * whose image cannot be read or decoded is reported through {@code warn} (one line naming it), counted and skipped.
 * Each batch carries the epoch position after its last sample: (epoch, position) is where to resume.
 */
public final class Loader implements AutoCloseable {
    /**
     * A batch ready for a step: pixels [B,3,S,S] (or, for a NaFlex transform, patches [B,M,P·P·3]), token rows
     * ids [B·L]; images is the same values as the image encoder takes them (with the patch grids for NaFlex).
     */
    public record Batch(float[] pixels, int[] ids, int B, int L, List<String> names, List<String> captions, int epoch, long resumePosition,
                        List<String> skippedSoFar, ImageBatch images) {}

    private final DataSource source;
    private final Augment transform;
    private final Tokenizer tokenizer;
    private final int contextLength, batchSize;
    private final long seed;
    private final boolean shuffle;
    private final Consumer<String> warn;
    private final ExecutorService workers;
    private final Thread producer;
    private final BlockingQueue<Object> queue;
    private final java.util.LinkedHashSet<String> failed = new java.util.LinkedHashSet<>();   // producer thread only
    private List<String> failedSnapshot;
    private volatile List<String> consumedFailed;
    private volatile boolean closed;

    /**
     * @param startEpoch    first epoch to read
     * @param startPosition samples of that epoch already consumed (resume), 0 for a fresh start
     * @param threads       decoding threads (≥ 1)
     * @param prefetch      batches prepared ahead (the queue bound)
     */
    public Loader(DataSource source, Augment transform, Tokenizer tokenizer, int contextLength, int batchSize, long seed, boolean shuffle,
                  int startEpoch, long startPosition, int threads, int prefetch, Consumer<String> warn) {
        this(source, transform, tokenizer, contextLength, batchSize, seed, shuffle, startEpoch, startPosition, threads, prefetch, warn, List.of());
    }

    /** As above, resuming with the images already known to be unreadable (not reported again). */
    public Loader(DataSource source, Augment transform, Tokenizer tokenizer, int contextLength, int batchSize, long seed, boolean shuffle,
                  int startEpoch, long startPosition, int threads, int prefetch, Consumer<String> warn, List<String> knownFailures) {
        if (batchSize < 1) throw new IllegalArgumentException("batch size must be at least 1");
        if (source.size() >= 0 && source.size() < batchSize) {
            throw new Clip4jException("the data holds " + source.size() + " images, fewer than one batch of " + batchSize);
        }
        this.source = source;
        this.transform = transform;
        this.tokenizer = tokenizer;
        this.contextLength = contextLength;
        this.batchSize = batchSize;
        this.seed = seed;
        this.shuffle = shuffle;
        this.warn = warn;
        this.failed.addAll(knownFailures);
        this.failedSnapshot = List.copyOf(failed);
        this.consumedFailed = failedSnapshot;
        this.queue = new ArrayBlockingQueue<>(Math.max(1, prefetch));
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(Math.max(1, threads), r -> {
            Thread t = new Thread(r, "clip4j-reader-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.producer = new Thread(() -> produce(startEpoch, startPosition), "clip4j-batcher");
        producer.setDaemon(true);
        producer.start();
    }

    /** Distinct images skipped (unreadable or corrupt) up to the last batch handed out, resumed ones included. */
    public int skipped() { return consumedFailed.size(); }

    /** Their names. */
    public List<String> skippedNames() { return consumedFailed; }

    /** The next batch (blocks until ready); batches run on across epochs without end. */
    public Batch next() {
        Object o;
        try {
            o = queue.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Clip4jException("interrupted while waiting for data");
        }
        if (o instanceof RuntimeException e) throw e;
        if (o instanceof Error e) throw e;
        Batch b = (Batch) o;
        consumedFailed = b.skippedSoFar();
        return b;
    }

    /** One transformed image: its values and, for NaFlex, its patch grid {h, w} (null for pixels). */
    private record Loaded(float[] values, int[] grid) {}

    private record Pending(Sample sample, Future<Loaded> pixels) {}

    private void produce(int startEpoch, long startPosition) {
        try {
            int window = Math.max(2 * batchSize, 16);
            ArrayDeque<Pending> pending = new ArrayDeque<>();
            int epoch = startEpoch;
            long skip = startPosition;
            Iterator<Sample> it = source.epoch(epoch, seed, shuffle, skip);
            List<Sample> good = new ArrayList<>(batchSize);
            List<Loaded> pix = new ArrayList<>(batchSize);
            int curEpoch = epoch, emptyEpochs = 0;
            boolean producedThisEpoch = false;
            while (!closed) {
                while (pending.size() < window) {
                    if (!it.hasNext()) {
                        epoch++;
                        it = source.epoch(epoch, seed, shuffle, 0);
                        if (!it.hasNext()) break;
                    }
                    Sample s = it.next();
                    pending.add(new Pending(s, workers.submit(() -> load(s))));
                }
                Pending p = pending.poll();
                if (p == null) throw new Clip4jException("the data source is empty");
                if (p.sample.epoch() != curEpoch) {                        // epoch boundary: drop the partial batch
                    if (!producedThisEpoch && ++emptyEpochs >= 2) {
                        throw new Clip4jException("no complete batch of " + batchSize + " readable images in an epoch (" + failed.size() + " skipped)");
                    }
                    if (producedThisEpoch) emptyEpochs = 0;
                    producedThisEpoch = false;
                    good.clear();
                    pix.clear();
                    curEpoch = p.sample.epoch();
                }
                Loaded px;
                try {
                    px = p.pixels.get();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (failed.add(p.sample.name())) {
                        failedSnapshot = List.copyOf(failed);
                        warn.accept("skipping " + p.sample.name() + ": " + (c instanceof Clip4jException ? c.getMessage() : String.valueOf(c)));
                    }
                    continue;
                }
                good.add(p.sample);
                pix.add(px);
                if (good.size() == batchSize) {
                    queue.put(assemble(good, pix));
                    producedThisEpoch = true;
                    good.clear();
                    pix.clear();
                }
            }
        } catch (InterruptedException e) {
            // closing
        } catch (RuntimeException | Error e) {
            if (!closed) { try { queue.put(e); } catch (InterruptedException ignored) { } }
        }
    }

    private Loaded load(Sample s) {
        SplittableRandom rng = new SplittableRandom(Seeds.mix(seed, 0x61756700L, s.epoch(), s.position()));
        float[] out = new float[transform.floatsPerImage()];
        int[][] grid = new int[1][];
        // one image per reader thread: keep the kernels' shared pool for the training step
        io.clip4j.kernel.Parallel.withMaxThreads(1, () -> {
            if (s.file() != null) grid[0] = transform.apply(s.file(), rng, out, 0);
            else grid[0] = transform.apply(s.bytes(), s.name(), rng, out, 0);
        });
        return new Loaded(out, grid[0]);
    }

    private Batch assemble(List<Sample> samples, List<Loaded> pix) {
        int B = samples.size(), per = transform.floatsPerImage(), L = contextLength;
        float[] pixels = new float[B * per];
        for (int b = 0; b < B; b++) System.arraycopy(pix.get(b).values(), 0, pixels, b * per, per);
        ImageBatch images;
        if (transform.isNaFlex()) {
            int[][] grids = new int[B][];
            for (int b = 0; b < B; b++) grids[b] = pix.get(b).grid();
            images = new ImageBatch(pixels, B, transform.maxPatches(), grids);
        } else {
            images = ImageBatch.pixels(pixels, B);
        }
        List<String> captions = new ArrayList<>(B), names = new ArrayList<>(B);
        for (Sample s : samples) { captions.add(s.caption()); names.add(s.name()); }
        int[][] rows = tokenizer.tokenize(captions, L, true);
        int[] ids = new int[B * L];
        for (int b = 0; b < B; b++) System.arraycopy(rows[b], 0, ids, b * L, L);
        Sample last = samples.get(B - 1);
        return new Batch(pixels, ids, B, L, names, captions, last.epoch(), last.position() + 1, failedSnapshot, images);
    }

    @Override public void close() {
        closed = true;
        producer.interrupt();
        workers.shutdownNow();
        queue.clear();
    }
}
