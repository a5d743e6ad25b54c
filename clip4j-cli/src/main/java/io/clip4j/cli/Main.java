package io.clip4j.cli;

import io.clip4j.Clip4jException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * The clip4j command line: one subcommand per job. Subcommands inherit this command's attributes as they are added
 * (scope = INHERIT), the version among them, so -V/--version prints it on every command.
 */
@Command(name = "clip4j", mixinStandardHelpOptions = true, version = "clip4j 0.1.0", scope = ScopeType.INHERIT,
        description = "CLIP-family image and text embeddings in pure Java.")
public final class Main implements Runnable {
    /** The subcommands, in the order help lists them. */
    static final List<Class<?>> SUBCOMMANDS = List.of(EmbedCommand.class, TokenizeCommand.class, ClassifyCommand.class,
            ScoreCommand.class, IndexCommand.class, SearchCommand.class, DedupCommand.class, TrainCommand.class,
            EvalCommand.class, WiseFtCommand.class, TokenizerCommand.class, InitCommand.class, ConvertCommand.class,
            CommandLine.HelpCommand.class);

    @Option(names = "--debug", scope = ScopeType.INHERIT, description = "Print stack traces for errors.")
    boolean debug;

    private static final java.util.Set<String> MODEL_COMMANDS = java.util.Set.of("embed", "classify", "score", "index", "search", "dedup", "eval");

    public static void main(String[] args) {
        // commands that run a model: compile the kernels on the other core while picocli and the loader start up
        // (-Dclip4j.earlyWarmup=false: from the model load instead, for A/B runs)
        if (args.length > 0 && MODEL_COMMANDS.contains(args[0]) && !"false".equals(System.getProperty("clip4j.earlyWarmup"))) io.clip4j.kernel.Warmup.startInBackground();
        System.exit(run(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the CLI with the given streams; returns the exit code (0 ok, 1 error in the inputs, 2 usage error). */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        Main main = new Main();
        CommandLine cl = new CommandLine(main);
        addSubcommands(cl, args.length > 0 ? args[0] : null);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            boolean debug = parsed.matchedOption("--debug") != null || main.debug || hasDebug(parsed);
            err.println("clip4j: " + describe(ex));
            if (debug) ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        int code = cl.execute(args);
        out.flush();
        if (out.checkError() && code == 0) {              // PrintWriter swallows write errors: say so, and fail
            err.println("clip4j: cannot write the output (disk full, or the output closed)");
            code = 1;
        }
        err.flush();
        return code;
    }

    /**
     * Registers the subcommand that args[0] names, or all of them when it names none (help, an option, a typo: their
     * output lists or suggests the commands). Picocli builds a command's model by reflection over its options, about
     * 100 ms for the other thirteen (help included), spent at every start before any work.
     */
    static void addSubcommands(CommandLine cl, String first) {
        boolean named = first != null && SUBCOMMANDS.stream().anyMatch(c -> !c.equals(CommandLine.HelpCommand.class) && name(c).equals(first));
        for (Class<?> c : SUBCOMMANDS) if (!named || name(c).equals(first)) cl.addSubcommand(c);
    }

    private static String name(Class<?> command) {
        return command.getAnnotation(Command.class).name();
    }

    private static boolean hasDebug(CommandLine.ParseResult parsed) {
        for (CommandLine.ParseResult p = parsed; p != null; p = p.subcommand()) if (p.matchedOption("--debug") != null) return true;
        return false;
    }

    /** One line for the user: our own messages as they are, other failures with their type. */
    static String describe(Throwable ex) {
        if (ex instanceof Clip4jException) return ex.getMessage();
        if (ex instanceof UncheckedIOException u && u.getCause() != null) ex = u.getCause();
        if (ex instanceof NoSuchFileException n) return "file not found: " + n.getFile();
        if (ex instanceof OutOfMemoryError) return "out of memory (raise the heap with CLIP4J_JAVA_OPTS=-Xmx…): " + ex.getMessage();
        String m = ex.getMessage();
        return ex.getClass().getSimpleName() + (m == null ? "" : ": " + m.lines().findFirst().orElse(""));
    }

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    /** No subcommand: the usage, listing every command (none was named, so all are registered), on the run's out. */
    @Override public void run() {
        CommandLine cl = spec.commandLine();
        cl.usage(cl.getOut());
    }
}
