package io.clip4j.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the tests in a new JVM: this JVM's java binary and class path, the Vector API module, and
 * the given JVM options (a JIT setting, a heap size). Output (stdout and stderr) goes to a log file.
 */
public final class ChildJvm {
    private ChildJvm() {}

    /** The command line: java [vector module] -cp CLASSPATH jvmOptions… mainClass args…. */
    public static List<String> command(List<String> jvmOptions, Class<?> mainClass, List<String> args) {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> cmd = new ArrayList<>();
        cmd.add(java);
        cmd.add("--add-modules");
        cmd.add("jdk.incubator.vector");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.addAll(jvmOptions);
        cmd.add(mainClass.getName());
        cmd.addAll(args);
        return cmd;
    }

    /** Starts the child, its output appended to log. */
    public static Process start(List<String> jvmOptions, Class<?> mainClass, List<String> args, Path log) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command(jvmOptions, mainClass, args));
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    /** Runs the child to the end (at most timeoutSeconds); fails with its output unless it exits with 0. */
    public static void run(List<String> jvmOptions, Class<?> mainClass, List<String> args, Path log, long timeoutSeconds)
            throws IOException, InterruptedException {
        Process p = start(jvmOptions, mainClass, args, log);
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("child JVM " + mainClass.getSimpleName() + " ran over " + timeoutSeconds + " s:\n" + tail(log));
        }
        if (p.exitValue() != 0) throw new AssertionError("child JVM " + mainClass.getSimpleName() + " exited with " + p.exitValue() + ":\n" + tail(log));
    }

    /** The last lines of a log, for failure messages. */
    public static String tail(Path log) {
        try {
            List<String> l = Files.readAllLines(log);
            return String.join("\n", l.subList(Math.max(0, l.size() - 40), l.size()));
        } catch (IOException e) {
            return "(no output: " + e + ")";
        }
    }
}
