package io.clip4j.kernel;

import java.util.function.Supplier;

/**
 * A pool of reusable scratch objects (packing buffers, tiles). A kernel task takes one for its duration and gives it
 * back, so buffers are allocated once per concurrently running task — not per call, and not per thread (which would
 * cost a few MB for every short-lived or virtual caller thread). LIFO, so the most recently used (cache-warm) one is
 * handed out first.
 *
 * <p>The pool starts with one object per kernel thread plus two: one for a call that holds an object while its
 * tasks run (the small-N GEMM's packed input), one for the background warm-up. A process that uses one model from
 * one thread then never takes the allocation path, which compiled code that never saw it taken would leave through a
 * deoptimisation (recompiling the whole kernel that inlined {@link #take}).
 *
 * <p>For the same reason the pool is a plain array under a lock rather than a lock-free deque: a lock-free deque has
 * retry branches that only a race takes, and the first race deoptimised the GEMM drivers mid-batch. The lock is held
 * for a few instructions, a few hundred times per forward pass.
 */
final class Scratch<T> {
    private final Supplier<T> factory;
    private Object[] free;
    private int size;

    Scratch(Supplier<T> factory) {
        this.factory = factory;
        int n = Parallel.parallelism() + 2;
        free = new Object[Math.max(4, 2 * n)];
        for (int i = 0; i < n; i++) free[size++] = factory.get();
    }

    @SuppressWarnings("unchecked")
    T take() {
        T t = null;
        synchronized (this) {
            if (size > 0) {
                t = (T) free[--size];
                free[size] = null;
            }
        }
        return t != null ? t : factory.get();
    }

    void give(T t) {
        synchronized (this) {
            if (size == free.length) free = java.util.Arrays.copyOf(free, 2 * size);
            free[size++] = t;
        }
    }
}
