package io.clip4j.kernel;

import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class WarmupTest {
    @Test void runsEveryPathWithoutError() {
        Warmup.run(9); // 9 rounds: every activation, both attention masks, the two-K-block GEMM
    }

    @Test void startsAtMostOncePerJvm() throws InterruptedException {
        Thread first = Warmup.startInBackground();
        if (first != null) first.join();
        assertNull(Warmup.startInBackground(), "a second start must be a no-op");
    }
}
