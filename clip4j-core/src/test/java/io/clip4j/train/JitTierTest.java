package io.clip4j.train;

import io.clip4j.testing.ChildJvm;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The kernels and the training step give the same bits in every JIT tier. A child JVM limited to C1
 * ({@code -XX:TieredStopAtLevel=1}: the Vector API is never intrinsified and runs its Java fallback, as in the
 * interpreter) runs {@link TierWorkload}; this JVM runs it repeatedly until its kernels run C2 code with the vector
 * intrinsics. Every result must be identical, including the losses and parameters of three training steps.
 */
class JitTierTest {
    @TempDir Path tmp;

    @Test void kernelsAndTrainingStepsGiveTheSameBitsInEveryJitTier() throws Exception {
        List<String> first = TierWorkload.run(), warm = first;
        for (int i = 0; i < 4; i++) warm = TierWorkload.run();
        assertEquals(first, warm, "first run vs warmed-up run in this JVM");

        Path log = tmp.resolve("c1.log");
        ChildJvm.run(List.of("-XX:TieredStopAtLevel=1", "-Xmx1g"), TierWorkload.class, List.of(), log, 120);
        List<String> c1 = Files.readAllLines(log).stream().filter(l -> !l.startsWith("WARNING")).toList();
        assertEquals(warm, c1, "C1-only child JVM (Vector API fallback) vs C2 in this JVM");
    }
}
