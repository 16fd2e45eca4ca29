package dev.longctx.engine.cli;

import dev.longctx.engine.bench.BenchSettings;
import dev.longctx.engine.bench.DecodeBench;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code longctx bench decode}: tokens/s at a context depth and its fraction of the memory-bandwidth floor. */
@Command(name = "decode", mixinStandardHelpOptions = true,
        description = {"Greedy decode tokens/s of a batch whose sequences each hold a context of N tokens, on random "
                + "weights, with the fraction of the bandwidth floor (weights once + the K/V of the context per step). "
                + "Progress on stderr, a table on stdout.",
                "Example: longctx bench decode --geometry qwen2.5-7b-instruct-1m --lengths 4096,131072 --batch 1,8 --device cuda"})
final class BenchDecodeCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin BenchFlags flags;

    @Option(names = "--lengths", split = ",", paramLabel = "N,N,...",
            description = "Context lengths in tokens, prefilled before decoding (default: ${DEFAULT-VALUE}).")
    List<Integer> lengths = List.of(4096, 131072);

    @Option(names = "--batch", split = ",", paramLabel = "B,B,...",
            description = "Sequences decoded together (default: ${DEFAULT-VALUE}).")
    List<Integer> batches = List.of(1);

    @Option(names = "--steps", paramLabel = "N", description = "Decode steps per run (default: ${DEFAULT-VALUE}).")
    int steps = 32;

    @Option(names = "--hbm-gbps", paramLabel = "X",
            description = "The bandwidth ceiling in GB/s (default: a device-to-device copy measured through the backend, "
                    + "else 4200, the H200's copy rate).")
    Double hbmGbps;

    @Option(names = "--copy-mib", paramLabel = "N",
            description = "MiB copied to measure the ceiling (default: ${DEFAULT-VALUE}).")
    int copyMib = 1024;

    @Override
    public Integer call() throws Exception {
        BenchSettings s = flags.settings();
        if (hbmGbps != null && !(hbmGbps > 0)) throw new CliException("--hbm-gbps must be positive, got " + hbmGbps);
        DecodeBench.Report report = DecodeBench.run(s, flags.modes(s.geometry(), false), lengths, batches, steps, hbmGbps,
                copyMib, BenchFlags.progress(spec));
        flags.report(spec, report.table(), report);
        return 0;
    }
}
