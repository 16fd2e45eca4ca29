package dev.longctx.engine.cli;

import dev.longctx.engine.backend.Device;
import dev.longctx.engine.bench.BenchSettings;
import dev.longctx.engine.bench.Geometry;
import dev.longctx.engine.bench.Geometry.Mode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The flags {@code bench prefill} and {@code bench decode} share, and how both report. */
final class BenchFlags {
    /** The reports' records as JSON, field names in snake_case. */
    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT).build();

    @Option(names = "--geometry", paramLabel = "NAME",
            description = "Built-in model shape, on random bf16 weights (no files needed): qwen2.5-7b-instruct-1m, "
                    + "qwen2.5-14b-instruct-1m, qwen2.5-0.5b, or tiny (tests, a quick look on a CPU) (default: ${DEFAULT-VALUE}).")
    String geometry = Geometry.QWEN25_7B_1M.name();

    @Option(names = "--mode", split = ",", paramLabel = "dense|dca",
            description = "Attention: dca = the geometry's DCA config, dense = DCA off; several run one after another "
                    + "(default: dense,dca for prefill, dca for decode; dense alone where the geometry has no DCA).")
    List<String> modes;

    @Option(names = "--piece", paramLabel = "N",
            description = "Prefill piece size, tokens per step (max_num_batched_tokens) (default: ${DEFAULT-VALUE}).")
    int piece = 32768;

    @Option(names = "--device", paramLabel = "cpu|cuda|auto",
            description = "Where the model runs; auto takes a CUDA GPU where one works (default: ${DEFAULT-VALUE}).")
    String device = "auto";

    @Option(names = "--runs", paramLabel = "N", description = "Timed runs; the median is reported (default: ${DEFAULT-VALUE}).")
    int runs = 3;

    @Option(names = "--warmup", paramLabel = "N", description = "Untimed warm-up runs before them (default: ${DEFAULT-VALUE}).")
    int warmup = 1;

    @Option(names = "--kv-block-size", paramLabel = "N",
            description = "Tokens per paged KV block (default: the geometry's, 256; 16 for tiny).")
    Integer kvBlockSize;

    @Option(names = "--threads", paramLabel = "N", description = "CPU worker threads (default: all cores).")
    int threads;

    @Option(names = "--seed", paramLabel = "S", description = "Seed of the random weights and token ids (default: ${DEFAULT-VALUE}).")
    long seed = 1;

    @Option(names = "--enforce-eager", description = "No CUDA graphs: launch every op of a decode step itself.")
    boolean enforceEager;

    @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON.")
    Path json;

    BenchSettings settings() {
        try {
            Geometry g = Geometry.named(geometry);
            return new BenchSettings(g, Device.parse(device), piece, kvBlockSize != null ? kvBlockSize : g.kvBlockSize(),
                    threads, runs, warmup, seed, enforceEager);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** The modes asked for, or the default: {@code withDense} and DCA where the geometry has it. */
    List<Mode> modes(Geometry g, boolean withDense) {
        if (modes == null) {
            List<Mode> m = new ArrayList<>();
            if (withDense || g.config().dca() == null) m.add(Mode.DENSE);
            if (g.config().dca() != null) m.add(Mode.DCA);
            return m;
        }
        try {
            List<Mode> m = new ArrayList<>();
            for (String s : modes) {
                Mode mode = Mode.parse(s);
                g.config(mode);  // fails for DCA on a geometry without it
                m.add(mode);
            }
            return m;
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
    }

    /** Progress lines to the command's stderr, each flushed at once (runs take minutes). */
    static Consumer<String> progress(CommandSpec spec) {
        PrintWriter err = spec.commandLine().getErr();
        return line -> {
            err.println(line);
            err.flush();
        };
    }

    /** The table to stdout; the report's record to {@code --json} when given. */
    void report(CommandSpec spec, String table, Object report) {
        PrintWriter out = spec.commandLine().getOut();
        out.print(table);
        out.flush();
        if (json != null) JSON.writeValue(json.toFile(), report);
    }
}
