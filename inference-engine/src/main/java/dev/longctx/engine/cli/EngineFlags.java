package dev.longctx.engine.cli;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.DcaScaleRule;
import dev.longctx.engine.backend.ComputeDtype;
import dev.longctx.engine.backend.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The engine flags every model-running command shares, turned into {@link EngineOptions}. */
public class EngineFlags {

    @Option(names = "--no-dca", description = "Disable Dual Chunk Attention even when config.json enables it.")
    boolean noDca;

    @Option(names = "--no-sparse", description = "Disable sparse prefill (always dense attention).")
    boolean noSparse;

    @Option(names = "--sparse-threshold", paramLabel = "N",
            description = "Prompts longer than N tokens use sparse prefill (default: ${DEFAULT-VALUE}).")
    int sparseThreshold = EngineOptions.DEFAULT_SPARSE_THRESHOLD;

    @Option(names = "--sparse-config", paramLabel = "FILE",
            description = "sparse_attention_config.json to use (default: the one beside the weights, if any).")
    Path sparseConfig;

    @Option(names = "--prefill-chunk", paramLabel = "N", description = "Most prompt tokens per prefill chunk.")
    Integer prefillChunk;

    @Option(names = "--threads", paramLabel = "N", description = "Worker threads (default: all cores).")
    Integer threads;

    @Option(names = "--kv-block-size", paramLabel = "N",
            description = "Tokens per paged KV block; must divide the DCA chunk length (default: 16).")
    Integer kvBlockSize;

    @Option(names = "--device", paramLabel = "cpu|cuda|auto",
            description = "Where the model runs: auto takes a CUDA GPU where one works, else the CPU, and says which (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--dtype", paramLabel = "auto|bfloat16|float32",
            description = "Element type of weights, GEMM operands and the KV cache: auto is bfloat16 on a GPU and float32 "
                    + "on the CPU; float32 on a GPU is the slow reference path for comparing with the CPU (default: ${DEFAULT-VALUE}).")
    String dtype = "auto";

    @Option(names = "--enforce-eager",
            description = "Launch every GPU op itself: no CUDA graphs of decode steps (vLLM's flag).")
    boolean enforceEager;

    @Option(names = "--dca-scale", paramLabel = "position|request",
            description = "DCA temperature: position (each query at s_f(p + 1); prefix caching exact) or request "
                    + "(every query at s_f(T), T the request's length; the open implementation's rule) (default: ${DEFAULT-VALUE}).")
    String dcaScale = "position";

    public EngineOptions toOptions() {
        EngineOptions o = EngineOptions.defaults();
        try {
            o = o.withDevice(Device.parse(device)).withDcaScale(DcaScaleRule.parse(dcaScale))
                    .withDtype(ComputeDtype.parse(dtype));
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        if (prefillChunk != null) {
            if (prefillChunk < 1) throw new CliException("--prefill-chunk must be at least 1, got " + prefillChunk);
            o = o.withMaxPrefillChunk(prefillChunk);
        }
        if (threads != null) {
            if (threads < 0) throw new CliException("--threads must be 0 (all cores) or more, got " + threads);
            o = o.withThreads(threads);
        }
        if (kvBlockSize != null) {
            if (kvBlockSize < 1) throw new CliException("--kv-block-size must be at least 1, got " + kvBlockSize);
            o = o.withKvBlockSize(kvBlockSize);
        }
        if (sparseThreshold < 0) throw new CliException("--sparse-threshold must be >= 0, got " + sparseThreshold);
        if (sparseConfig != null && !Files.isRegularFile(sparseConfig)) {
            throw new CliException("--sparse-config file not found: " + sparseConfig);
        }
        o = o.withSparse(!noSparse, sparseThreshold, sparseConfig);
        return o.withDca(!noDca).withEnforceEager(enforceEager);
    }
}
