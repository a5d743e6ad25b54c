package io.clip4j.testing;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Locates the shared reference fixtures: {@code <repo root>/../shared/fixtures}.
 * The repo root is the nearest ancestor of the working directory that holds {@code bin/clip4j}.
 * Override with the system property {@code clip4j.fixtures}.
 */
public final class Fixtures {
    private Fixtures() {}

    private static Path cached;

    /** The repository root (the folder holding bin/clip4j). */
    public static Path repoRoot() {
        Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath();
        for (Path p = dir; p != null; p = p.getParent()) {
            if (Files.isRegularFile(p.resolve("bin/clip4j"))) return p;
        }
        throw new IllegalStateException("cannot find the clip4j repository root (a folder with bin/clip4j) above " + dir);
    }

    /** The fixtures folder; fails with a clear message if it is absent. */
    public static synchronized Path root() {
        if (cached != null) return cached;
        String override = System.getProperty("clip4j.fixtures");
        Path p = override != null ? Path.of(override) : repoRoot().resolve("../shared/fixtures").normalize();
        if (!Files.isRegularFile(p.resolve("README.md"))) {
            throw new IllegalStateException("reference fixtures not found at " + p
                    + " — clip4j's tests read ../shared/fixtures next to the repository (or -Dclip4j.fixtures=DIR)");
        }
        cached = p;
        return p;
    }

    /** A path inside the fixtures folder, which must exist. */
    public static Path path(String relative) {
        Path p = root().resolve(relative);
        if (!Files.exists(p)) throw new IllegalStateException("fixture missing: " + p);
        return p;
    }
}
