package io.clip4j.kernel;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class BackgroundPriorityTest {
    /**
     * On Linux (the tests run with native access enabled) the calling thread's nice value rises by the steps from
     * where it was (the build may itself run under nice), and only its.
     */
    @Test void lowersTheCallingThreadOnly() throws Exception {
        assumeTrue(System.getProperty("os.name").equals("Linux") && Files.exists(Path.of("/proc/thread-self/stat")), "Linux only");
        int before = niceOfThisThread();
        assumeTrue(before <= 12, "already near the lowest priority");
        AtomicReference<String> seen = new AtomicReference<>();
        Thread t = new Thread(() -> {
            int start = niceOfThisThread();
            boolean ok = BackgroundPriority.lowerCurrentThread(7);
            seen.set(ok + " " + (niceOfThisThread() - start));
        });
        t.start();
        t.join();
        assertEquals("true 7", seen.get());
        assertEquals(before, niceOfThisThread(), "other threads keep their priority");
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
