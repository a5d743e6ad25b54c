package io.clip4j.kernel;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Supplier;

/**
 * A pool of reusable scratch objects (packing buffers, tiles). A kernel task takes one for its duration and gives it
 * back, so buffers are allocated once per concurrently running task — not per call, and not per thread (which would
 * cost a few MB for every short-lived or virtual caller thread). LIFO, so the most recently used (cache-warm) one is
 * handed out first.
 *
 * <p>The pool starts with one object per kernel thread plus one for a calling thread: a first call on a thread the
 * warm-up never used then finds an object instead of taking the allocation path, which compiled code that never saw
 * it taken would leave through a deoptimisation (recompiling the whole kernel that inlined {@link #take}).
 */
final class Scratch<T> {
    private final ConcurrentLinkedDeque<T> free = new ConcurrentLinkedDeque<>();
    private final Supplier<T> factory;

    Scratch(Supplier<T> factory) {
        this.factory = factory;
        for (int i = 0; i <= Parallel.parallelism(); i++) free.add(factory.get());
    }

    T take() {
        T t = free.pollFirst();
        return t != null ? t : factory.get();
    }

    void give(T t) { free.offerFirst(t); }
}
