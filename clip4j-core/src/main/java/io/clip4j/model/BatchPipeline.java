package io.clip4j.model;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.IntFunction;

/**
 * Two-stage batch pipeline: batch k+1 is prepared (files read, decoded, preprocessed) on a helper thread while the
 * calling thread consumes batch k (encodes it). Batches are consumed in order, on the caller's thread; at most two
 * prepared batches exist at a time. An exception from {@code prepare(k)} is thrown to the caller when batch k's turn
 * comes, exactly as a sequential loop would throw it; after any exception no further batch is consumed.
 */
public final class BatchPipeline {
    private BatchPipeline() {}

    /** Consumer of one prepared batch: its index and what {@code prepare} returned for it. */
    @FunctionalInterface
    public interface Consumer<P> {
        void accept(int batch, P prepared);
    }

    public static <P> void run(int batches, IntFunction<P> prepare, Consumer<P> consume) {
        if (batches <= 0) return;
        if (batches == 1) {
            consume.accept(0, prepare.apply(0));
            return;
        }
        ExecutorService helper = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "clip4j-prepare");
            t.setDaemon(true);
            return t;
        });
        try {
            CompletableFuture<P> next = CompletableFuture.supplyAsync(() -> prepare.apply(0), helper);
            for (int k = 0; k < batches; k++) {
                P current = join(next);
                int after = k + 1;
                next = after < batches ? CompletableFuture.supplyAsync(() -> prepare.apply(after), helper) : null;
                consume.accept(k, current);
            }
        } finally {
            helper.shutdownNow();
        }
    }

    /** The batch's value, or the exception its preparation threw (unwrapped). */
    private static <P> P join(CompletableFuture<P> f) {
        try {
            return f.join();
        } catch (CompletionException | CancellationException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            if (c instanceof RuntimeException r) throw r;
            if (c instanceof Error err) throw err;
            throw new IllegalStateException(c);
        }
    }
}
