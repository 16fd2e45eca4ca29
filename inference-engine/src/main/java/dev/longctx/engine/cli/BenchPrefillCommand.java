package dev.longctx.engine.cli;

import dev.longctx.engine.bench.BenchSettings;
import dev.longctx.engine.bench.PrefillBench;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code longctx bench prefill}: TTFT per context length, split and set against the hardware limit. */
@Command(name = "prefill", mixinStandardHelpOptions = true,
        description = {"Time to first token of one prompt per context length, prefilled in pieces, on random weights: "
                + "split into attention / GEMMs / the rest, with achieved TFLOP/s, peak device memory and the GEMM part "
                + "against the same GEMMs alone. Progress on stderr, a table on stdout.",
                "Example: longctx bench prefill --geometry qwen2.5-7b-instruct-1m --lengths 32768,131072 --mode dense,dca --piece 32768 --device cuda"})
final class BenchPrefillCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Mixin BenchFlags flags;

    @Option(names = "--lengths", split = ",", paramLabel = "N,N,...",
            description = "Context lengths in tokens (default: ${DEFAULT-VALUE}).")
    List<Integer> lengths = List.of(32768, 131072);

    @Option(names = "--no-split", description = "Do not time attention and GEMMs apart (no wait for the device between ops).")
    boolean noSplit;

    @Option(names = "--peak-tflops", paramLabel = "X",
            description = "The compute limit to report against (default: the best GEMM alone measured in the same run).")
    Double peakTflops;

    @Override
    public Integer call() throws Exception {
        BenchSettings s = flags.settings();
        if (peakTflops != null && !(peakTflops > 0)) throw new CliException("--peak-tflops must be positive, got " + peakTflops);
        PrefillBench.Report report = PrefillBench.run(s, flags.modes(s.geometry(), true), lengths, !noSplit, peakTflops,
                BenchFlags.progress(spec));
        flags.report(spec, report.table(), report);
        return 0;
    }
}
