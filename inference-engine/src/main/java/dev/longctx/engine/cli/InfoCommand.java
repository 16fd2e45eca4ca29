package dev.longctx.engine.cli;

import dev.longctx.engine.model.ModelConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** {@code longctx info}: what a checkpoint is and how much context fits in a memory budget. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Print a model's size, dtypes, KV bytes per token and the longest context that fits in --memory after the weights.")
final class InfoCommand implements Callable<Integer> {

    /** The engine keeps K and V in fp32 (see KvCache). */
    static final int KV_BYTES_PER_ELEMENT = Float.BYTES;

    @ParentCommand LongctxCli parent;

    @Option(names = "--model", required = true, paramLabel = "DIR", description = "Model directory.")
    Path model;

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory budget, e.g. 24GB or 24GiB.")
    String memory;

    @Mixin EngineFlags engine;

    @Override
    public Integer call() throws IOException {
        LongctxCli.requireModelDir(model);
        Long budget = memory == null ? null : ByteSize.parse(memory);
        WeightFiles weights = WeightFiles.scan(model);
        ModelConfig c;
        try (ModelBackend backend = parent.loader.load(model, engine.toOptions())) {
            c = backend.config();
        }
        PrintWriter out = parent.spec.commandLine().getOut();
        out.printf(Locale.ROOT, "model:            %s%n", model);
        out.printf(Locale.ROOT, "architecture:     %s%n", c.architecture());
        out.printf(Locale.ROOT, "parameters:       %s (%,d by config.json; %,d in %d tensors)%n",
                billions(weights.totalParameters()), c.parameterCount(), weights.totalParameters(), weights.tensors());
        StringBuilder dtypes = new StringBuilder();
        for (Map.Entry<String, Long> e : weights.parametersByDtype().entrySet()) {
            if (!dtypes.isEmpty()) dtypes.append(", ");
            dtypes.append(e.getKey()).append(' ').append(billions(e.getValue()));
        }
        out.printf(Locale.ROOT, "weights:          %s in %d safetensors file(s): %s; torch_dtype %s%n",
                ByteSize.format(weights.totalBytes()), weights.files(), dtypes, c.torchDtype());
        out.printf(Locale.ROOT, "shape:            %d layers, hidden %d, %d query heads / %d KV heads, head dim %d, vocab %d%n",
                c.numLayers(), c.hiddenSize(), c.numHeads(), c.numKvHeads(), c.headDim(), c.vocabSize());
        out.printf(Locale.ROOT, "context:          max_position_embeddings %,d%s%n", c.maxPositionEmbeddings(),
                c.dca() == null ? "" : String.format(Locale.ROOT, "; DCA chunk %,d, local %,d, original %,d",
                        c.dca().chunkSize(), c.dca().localSize(), c.dca().originalMaxPositionEmbeddings()));
        long perToken = c.kvBytesPerToken(KV_BYTES_PER_ELEMENT);
        out.printf(Locale.ROOT, "KV per token:     %,d bytes (K+V, %d layers x %d, fp32)%n", perToken, c.numLayers(), c.kvDim());
        if (budget != null) {
            long left = budget - weights.totalBytes();
            if (left <= 0) {
                out.printf(Locale.ROOT, "memory %s:   the weights alone (%s) do not fit%n", memory, ByteSize.format(weights.totalBytes()));
            } else {
                long tokens = left / perToken;
                out.printf(Locale.ROOT, "memory %s:   %s left after weights -> %,d tokens of KV cache%s%n", memory,
                        ByteSize.format(left), tokens,
                        tokens > c.maxPositionEmbeddings() ? String.format(Locale.ROOT, " (more than the model's %,d)", c.maxPositionEmbeddings()) : "");
            }
        }
        out.flush();
        return 0;
    }

    private static String billions(long n) {
        return n >= 1_000_000_000L ? String.format(Locale.ROOT, "%.2fB", n / 1e9) : String.format(Locale.ROOT, "%.1fM", n / 1e6);
    }
}
