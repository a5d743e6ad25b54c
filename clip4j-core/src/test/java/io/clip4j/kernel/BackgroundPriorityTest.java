package io.clip4j.kernel;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BackgroundPriorityTest {
    /** On Linux (the tests run with native access enabled) the calling thread's nice value changes, and only its. */
    @Test void lowersTheCallingThreadOnly() throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux") && Files.exists(Path.of("/proc/thread-self/stat")), "Linux only");
        AtomicReference<String> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            boolean ok = BackgroundPriority.lowerCurrentThread(7);
            seen.set(ok + " " + niceOfThisThread());
        });
        t.start();
        t.join();
        assertEquals("true 7", seen.get());
        assertEquals(0, niceOfThisThread(), "other threads keep their priority");
    }

    /** Field 19 of /proc/thread-self/stat (after the parenthesised name, which may hold spaces). */
    private static int niceOfThisThread() {
        try {
            String stat = Files.readString(Path.of("/proc/thread-self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Integer.parseInt(f[16]);                        // fields from 3 on: nice is the 19th, index 16
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }
}
