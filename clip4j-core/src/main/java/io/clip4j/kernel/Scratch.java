package io.clip4j.kernel;

import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.function.Supplier;

/**
 * A pool of reusable scratch objects (packing buffers, tiles). A kernel task takes one for its duration and gives it
 * back, so buffers are allocated once per concurrently running task — not per call, and not per thread (which would
 * cost a few MB for every short-lived or virtual caller thread). LIFO, so the most recently used (cache-warm) one is
 * handed out first.
 */
final class Scratch<T> {
    private final ConcurrentLinkedDeque<T> free = new ConcurrentLinkedDeque<>();
    private final Supplier<T> factory;

    Scratch(Supplier<T> factory) { this.factory = factory; }

    T take() {
        T t = free.pollFirst();
        return t != null ? t : factory.get();
    }

    void give(T t) { free.offerFirst(t); }
}
