package dev.longctx.engine.cli;

import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code longctx}: the engine's command line. */
@Command(name = "longctx", mixinStandardHelpOptions = true, version = "longctx 0.1.0",
        description = "Long-context inference for Qwen2-architecture models.",
        subcommands = {GenerateCommand.class, ScoreCommand.class, InfoCommand.class, EvalCommand.class, CalibrateCommand.class, SlashesCommand.class,
                BenchCommand.class})
public final class LongctxCli implements Runnable {

    /** Exit code for every user-facing error (bad flags, missing files, unusable checkpoint). */
    public static final int EXIT_ERROR = 2;

    final ModelBackend.Loader loader;

    public LongctxCli() {
        this(ModelBackend::loadQwen2);
    }

    /** @param loader how commands load a model (tests pass a fake) */
    public LongctxCli(ModelBackend.Loader loader) {
        this.loader = loader;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        // No subcommand: show what there is rather than doing nothing.
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** A configured command line: UTF-8 output, one-line errors, exit code 2 for anything that goes wrong. */
    public static CommandLine commandLine(LongctxCli cli) {
        CommandLine cmd = new CommandLine(cli);
        cmd.setOut(new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        cmd.setErr(new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true));
        cmd.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println(c.getCommandName().equals("longctx") ? "longctx: " + ex.getMessage()
                    : "longctx " + c.getCommandName() + ": " + ex.getMessage() + " (see longctx " + c.getCommandName() + " --help)");
            c.getErr().flush();
            return EXIT_ERROR;
        });
        cmd.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getOut().flush();
            c.getErr().println("longctx " + c.getCommandName() + ": " + describe(ex));
            if (System.getenv("LONGCTX_DEBUG") != null) ex.printStackTrace(c.getErr());
            c.getErr().flush();
            return EXIT_ERROR;
        });
        return cmd;
    }

    /** One line for the user: our own messages as they are, anything else with its type so it can be reported. */
    static String describe(Throwable ex) {
        String message = ex.getMessage();
        boolean expected = ex instanceof CliException || ex instanceof IllegalArgumentException
                || ex instanceof java.io.IOException || ex instanceof java.io.UncheckedIOException
                || ex instanceof dev.longctx.engine.tokenizer.TokenizerException
                || ex instanceof dev.longctx.engine.tokenizer.ChatTemplateException
                || ex instanceof UnsupportedOperationException
                || ex instanceof dev.longctx.engine.weights.CheckpointException;
        if (ex instanceof java.nio.file.NoSuchFileException) message = "file not found: " + message;
        if (message == null || message.isBlank()) message = ex.getClass().getSimpleName();
        else if (!expected) message = message + " (" + ex.getClass().getSimpleName() + "; set LONGCTX_DEBUG=1 for a stack trace)";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }

    /** Fails with a clear message unless {@code dir} is a model directory (has config.json). */
    static void requireModelDir(Path dir) {
        if (!Files.isDirectory(dir)) throw new CliException("model directory not found: " + dir);
        if (!Files.isRegularFile(dir.resolve("config.json"))) {
            throw new CliException(dir + " is not a model directory (no config.json)");
        }
    }

    public static void main(String[] args) {
        // DJL and Jinjava log through SLF4J, and the CLI ships no backend: keep SLF4J's "no providers" notice off stderr.
        if (System.getProperty("slf4j.internal.verbosity") == null) System.setProperty("slf4j.internal.verbosity", "ERROR");
        System.exit(commandLine(new LongctxCli()).execute(args));
    }
}
