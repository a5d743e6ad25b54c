package io.clip4j.cli;

import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/** The run bin/clip4j dumps its class-data archive from: every command in it succeeds, and it leaves nothing behind. */
class ArchiveWorkloadTest {
    @Test void everyCommandSucceedsOnTheBundledModelAndSamples() throws Exception {
        Path home = ModelOptions.clip4jHome();
        assertNotNull(home, "the repository root, with models/clip4j-emoji");
        Path tmpRoot = Path.of(System.getProperty("java.io.tmpdir"));
        long before = archiveTemps(tmpRoot);
        StringWriter err = new StringWriter();
        assertEquals(0, ArchiveWorkload.run(home.resolve("samples/emoji"), new PrintWriter(err, true)), err.toString());
        assertEquals("", err.toString());
        assertEquals(before, archiveTemps(tmpRoot), "its temporary folder is deleted");

        Path empty = Files.createTempDirectory("no-samples");
        err = new StringWriter();
        assertEquals(1, ArchiveWorkload.run(empty, new PrintWriter(err, true)));
        assertEquals("ArchiveWorkload: no .png images in " + empty + System.lineSeparator(), err.toString());
        Files.delete(empty);
    }

    private static long archiveTemps(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().startsWith("clip4j-archive")).count();
        }
    }
}
