package io.clip4j.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The clip4j command line: one subcommand per job. */
@Command(name = "clip4j", mixinStandardHelpOptions = true, version = "clip4j 0.1.0",
        description = "CLIP-family image and text embeddings in pure Java.")
public final class Main implements Runnable {
    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override public void run() {
        new CommandLine(this).usage(System.out);
    }
}
