package io.clip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

class ParallelTest {
    @Test void everyIndexOnce() {
        for (int n : new int[] {0, 1, 2, 3, 17, 1000}) {
            AtomicIntegerArray hits = new AtomicIntegerArray(Math.max(1, n));
            Parallel.forEach(n, hits::incrementAndGet);
            for (int i = 0; i < n; i++) assertEquals(1, hits.get(i), "n=" + n + " i=" + i);
        }
        AtomicIntegerArray cover = new AtomicIntegerArray(1001);
        Parallel.forRange(1001, 7, (from, to) -> { for (int i = from; i < to; i++) cover.incrementAndGet(i); });
        for (int i = 0; i < 1001; i++) assertEquals(1, cover.get(i));
    }

    @Test void nestedCallsRunInlineWithoutDeadlock() throws Exception {
        ExecutorService ex = Executors.newSingleThreadExecutor();
        try {
            Future<Integer> f = ex.submit(() -> {
                AtomicInteger sum = new AtomicInteger();
                Parallel.forEach(8, i -> Parallel.forEach(8, j -> Parallel.forEach(4, k -> sum.incrementAndGet())));
                return sum.get();
            });
            assertEquals(256, f.get(60, TimeUnit.SECONDS));
        } finally {
            ex.shutdownNow();
        }
    }

    @Test void poolThreadsSeeParallelismOne() {
        ConcurrentHashMap<String, Integer> seen = new ConcurrentHashMap<>();
        Parallel.forEach(16, i -> seen.put(Thread.currentThread().getName(), Parallel.parallelism()));
        seen.forEach((name, p) -> { if (name.startsWith("clip4j-kernel-")) assertEquals(1, p, name); });
    }

    @Test void exceptionsPropagateToCaller() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Parallel.forEach(10, i -> { if (i == 7) throw new IllegalStateException("boom"); }));
        assertEquals("boom", e.getMessage());
        // the pool still works afterwards
        AtomicInteger n = new AtomicInteger();
        Parallel.forEach(10, i -> n.incrementAndGet());
        assertEquals(10, n.get());
    }

    @Test void withMaxThreadsLimitsAndRestores() {
        int before = Parallel.parallelism();
        Parallel.withMaxThreads(1, () -> {
            assertEquals(1, Parallel.parallelism());
            ConcurrentHashMap<Thread, Boolean> threads = new ConcurrentHashMap<>();
            Parallel.forEach(50, i -> threads.put(Thread.currentThread(), true));
            assertEquals(1, threads.size());
            assertTrue(threads.containsKey(Thread.currentThread()));
        });
        assertEquals(before, Parallel.parallelism());
        assertTrue(Parallel.threads() >= 1);
    }

    @Test void manyConcurrentCallers() throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(8);
        try {
            AtomicInteger total = new AtomicInteger();
            Future<?>[] fs = new Future<?>[8];
            for (int c = 0; c < 8; c++)
                fs[c] = ex.submit(() -> { for (int it = 0; it < 200; it++) Parallel.forEach(13, i -> total.incrementAndGet()); });
            for (Future<?> f : fs) f.get(60, TimeUnit.SECONDS);
            assertEquals(8 * 200 * 13, total.get());
        } finally {
            ex.shutdownNow();
        }
    }
}
