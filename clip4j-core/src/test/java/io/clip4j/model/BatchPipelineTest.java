package io.clip4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchPipelineTest {
    @Test void consumesEveryBatchInOrderOnTheCallersThread() {
        List<Integer> seen = new ArrayList<>();
        Thread caller = Thread.currentThread();
        List<String> preparedOn = new ArrayList<>();
        BatchPipeline.run(7, k -> {
            synchronized (preparedOn) { preparedOn.add(Thread.currentThread().getName()); }
            return k * 10;
        }, (k, v) -> {
            assertEquals(caller, Thread.currentThread());
            assertEquals(k * 10, v);
            seen.add(k);
        });
        assertEquals(List.of(0, 1, 2, 3, 4, 5, 6), seen);
        for (String name : preparedOn) assertNotEquals(caller.getName(), name, "batches are prepared off the caller's thread");
    }

    @Test void aFailedPreparationIsThrownWhenItsTurnComes() {
        List<Integer> seen = new ArrayList<>();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> BatchPipeline.run(5, k -> {
            if (k == 3) throw new IllegalStateException("batch 3 is bad");
            return k;
        }, (k, v) -> seen.add(v)));
        assertEquals("batch 3 is bad", e.getMessage());
        assertEquals(List.of(0, 1, 2), seen);
    }

    @Test void aFailedConsumerStopsThePipeline() {
        List<Integer> seen = new ArrayList<>();
        assertThrows(ArithmeticException.class, () -> BatchPipeline.run(5, k -> k, (k, v) -> {
            if (k == 1) throw new ArithmeticException("stop");
            seen.add(v);
        }));
        assertEquals(List.of(0), seen);
        BatchPipeline.run(0, k -> { throw new AssertionError("no batch to prepare"); }, (k, v) -> { throw new AssertionError(); });
    }
}
