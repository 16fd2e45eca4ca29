package dev.longctx.engine.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code longctx bench}: the engine's own speed on built-in geometries with random weights. ({@code ./longctx bench
 * serve} and {@code bench cpu} are other programs, which the launcher script starts.)
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Prefill and decode speed on built-in geometries with random weights, against the hardware's limits.",
        subcommands = {BenchPrefillCommand.class, BenchDecodeCommand.class})
final class BenchCommand implements Runnable {

    @Spec CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
