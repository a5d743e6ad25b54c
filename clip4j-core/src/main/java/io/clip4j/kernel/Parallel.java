package io.clip4j.kernel;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.Supplier;

/**
 * The one shared thread pool of the kernels.
 *
 * <p>Size: {@code Runtime.availableProcessors()}, or the system property {@code clip4j.threads}. Threads are daemons.
 * {@link #forEach} hands out task indices from an atomic counter: the calling thread works too, pool threads help
 * as they become free, and the caller waits only for tasks that some thread has already claimed — so a busy pool
 * (several callers at once) degrades to the caller doing the work itself, never to a deadlock. Called from a pool
 * thread (nested parallelism), or with a single task, or with parallelism limited to 1, it runs inline.
 */
public final class Parallel {
    private Parallel() {}

    private static final int THREADS = configuredThreads();
    private static final ThreadLocal<int[]> LIMIT = ThreadLocal.withInitial(() -> new int[] {Integer.MAX_VALUE});

    private static int configuredThreads() {
        String p = System.getProperty("clip4j.threads");
        int n = Runtime.getRuntime().availableProcessors();
        if (p != null && !p.isBlank()) {
            try { n = Integer.parseInt(p.trim()); } catch (NumberFormatException e) {
                throw new IllegalArgumentException("clip4j.threads must be an integer: " + p, e);
            }
        }
        return Math.max(1, n);
    }

    /** Size of the shared pool. */
    public static int threads() { return THREADS; }

    /** How many threads a kernel called from the current thread may use (1 inside a pool thread). */
    public static int parallelism() {
        if (Thread.currentThread() instanceof Worker) return 1;
        return Math.max(1, Math.min(THREADS, LIMIT.get()[0]));
    }

    /** Runs {@code body} with the kernels called from this thread limited to {@code maxThreads} threads. */
    public static <T> T withMaxThreads(int maxThreads, Supplier<T> body) {
        int[] lim = LIMIT.get();
        int saved = lim[0];
        lim[0] = Math.max(1, maxThreads);
        try { return body.get(); } finally { lim[0] = saved; }
    }

    /** Runs {@code body} with the kernels called from this thread limited to {@code maxThreads} threads. */
    public static void withMaxThreads(int maxThreads, Runnable body) {
        withMaxThreads(maxThreads, () -> { body.run(); return null; });
    }

    /** Calls {@code body.accept(i)} for every i in [0, n), spread over up to {@link #parallelism()} threads; returns when all are done. */
    public static void forEach(int n, IntConsumer body) {
        forEach(n, parallelism(), body);
    }

    /** As {@link #forEach(int, IntConsumer)} with at most {@code maxThreads} threads (the caller included). */
    public static void forEach(int n, int maxThreads, IntConsumer body) {
        if (n <= 0) return;
        int p = Math.min(Math.min(n, maxThreads), parallelism());
        if (p <= 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        Job job = new Job(n, body);
        for (int i = 0; i < p - 1; i++) Pool.QUEUE.offer(job);
        job.work();
        job.await();
    }

    /** Below about this many multiply-adds per chunk, splitting work over threads costs more than it saves. */
    public static final long MIN_CHUNK_WORK = 1L << 16;

    /**
     * Runs body over [0, n) in contiguous chunks (up to 4 per thread), serially when the work, n · workPerItem
     * multiply-adds, is small. Each index is handled by exactly one chunk.
     */
    public static void forWork(int n, long workPerItem, RangeBody body) {
        if (n <= 0) return;
        long chunksByWork = Math.max(1, (long) n * Math.max(1, workPerItem) / MIN_CHUNK_WORK);
        int chunks = (int) Math.min(Math.min(n, 4L * parallelism()), chunksByWork);
        if (chunks <= 1) body.run(0, n);
        else forRange(n, chunks, body);
    }

    /** Splits [0, total) into about {@code chunks} contiguous ranges and runs them as {@link #forEach} tasks. */
    public static void forRange(int total, int chunks, RangeBody body) {
        if (total <= 0) return;
        int k = Math.max(1, Math.min(chunks, total));
        forEach(k, i -> body.run((int) ((long) total * i / k), (int) ((long) total * (i + 1) / k)));
    }

    /** A body over a half-open index range. */
    @FunctionalInterface
    public interface RangeBody { void run(int from, int to); }

    private static final class Job implements Runnable {
        final int n;
        final IntConsumer body;
        final AtomicInteger next = new AtomicInteger();
        final AtomicInteger done = new AtomicInteger();
        volatile Throwable error;

        Job(int n, IntConsumer body) { this.n = n; this.body = body; }

        @Override public void run() { work(); }

        void work() {
            int i;
            while ((i = next.getAndIncrement()) < n) {
                try {
                    if (error == null) body.accept(i);
                } catch (Throwable t) {
                    synchronized (this) { if (error == null) error = t; }
                } finally {
                    if (done.incrementAndGet() == n) synchronized (this) { notifyAll(); }
                }
            }
        }

        void await() {
            if (done.get() < n) {
                boolean interrupted = false;
                synchronized (this) {
                    while (done.get() < n) {
                        try { wait(); } catch (InterruptedException e) { interrupted = true; }
                    }
                }
                if (interrupted) Thread.currentThread().interrupt();
            }
            Throwable t = error;
            if (t instanceof RuntimeException re) throw re;
            if (t instanceof Error er) throw er;
            if (t != null) throw new RuntimeException(t);
        }
    }

    private static final class Worker extends Thread {
        Worker(int i) {
            super("clip4j-kernel-" + i);
            setDaemon(true);
        }

        @Override public void run() {
            while (true) {
                Runnable r;
                try { r = Pool.QUEUE.take(); } catch (InterruptedException e) { continue; }
                try { r.run(); } catch (Throwable ignored) { /* Job records its own failures */ }
            }
        }
    }

    /** Lazily started workers (only when some kernel first goes parallel). */
    private static final class Pool {
        static final LinkedBlockingQueue<Runnable> QUEUE = new LinkedBlockingQueue<>();
        static {
            for (int i = 0; i < THREADS; i++) new Worker(i).start();
        }
    }
}
