package dev.longctx.engine.bench;

import dev.longctx.engine.model.DcaConfig;
import dev.longctx.engine.model.ModelConfig;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A model shape the benchmarks run on random weights: the config.json fields of a released checkpoint, so that no
 * file is needed. {@code tiny} is for tests and a quick look on a CPU (seconds), with a DCA chunk short enough that
 * a few hundred tokens cross several chunks.
 *
 * @param kvBlockSize the KV block size benchmarks use by default: 256 for the GPU geometries (it divides their DCA
 *                    chunk length 253,952 and keeps block tables short), 16 for {@code tiny} (it divides 48)
 */
public record Geometry(String name, ModelConfig config, int kvBlockSize) {

    private static final DcaConfig DCA_1M = new DcaConfig(262144, 8192, 262144);

    /** Qwen2.5-7B-Instruct-1M's config.json. */
    public static final Geometry QWEN25_7B_1M = new Geometry("qwen2.5-7b-instruct-1m", new ModelConfig("Qwen2ForCausalLM",
            152064, 3584, 18944, 28, 28, 4, 128, 1e-5, 1e7, 1010000, false, "bfloat16", 151643, List.of(151645), DCA_1M), 256);
    /** Qwen2.5-14B-Instruct-1M's config.json. */
    public static final Geometry QWEN25_14B_1M = new Geometry("qwen2.5-14b-instruct-1m", new ModelConfig("Qwen2ForCausalLM",
            152064, 5120, 13824, 48, 40, 8, 128, 1e-5, 1e7, 1010000, false, "bfloat16", 151643, List.of(151645), DCA_1M), 256);
    /** Qwen2.5-0.5B's config.json (no DCA: it is not a 1M model). */
    public static final Geometry QWEN25_05B = new Geometry("qwen2.5-0.5b", new ModelConfig("Qwen2ForCausalLM",
            151936, 896, 4864, 24, 14, 2, 64, 1e-6, 1e6, 32768, true, "bfloat16", 151643, List.of(151643), null), 256);
    /** Two layers, GQA 2:1, head_dim 16, DCA with L = 48. */
    public static final Geometry TINY = new Geometry("tiny", new ModelConfig("Qwen2ForCausalLM",
            512, 64, 128, 2, 4, 2, 16, 1e-6, 1e4, 1 << 20, false, "bfloat16", 0, List.of(1), new DcaConfig(64, 16, 32)), 16);

    public static final List<Geometry> BUILT_IN = List.of(QWEN25_7B_1M, QWEN25_14B_1M, QWEN25_05B, TINY);

    /** @throws IllegalArgumentException naming the built-in geometries */
    public static Geometry named(String name) {
        for (Geometry g : BUILT_IN) if (g.name.equals(name)) return g;
        throw new IllegalArgumentException("unknown geometry '" + name + "': expected one of " + names());
    }

    public static String names() {
        return BUILT_IN.stream().map(Geometry::name).collect(Collectors.joining(", "));
    }

    /**
     * The config for an attention mode: {@link Mode#DCA} keeps the geometry's DCA config, {@link Mode#DENSE} drops it.
     *
     * @throws IllegalArgumentException for DCA on a geometry without a DCA config
     */
    public ModelConfig config(Mode mode) {
        if (mode == Mode.DENSE) return config.withoutDca();
        if (config.dca() == null) throw new IllegalArgumentException("geometry " + name + " has no DCA config: use --mode dense");
        return config;
    }

    /** Attention modes of the benchmarks (sparse prefill is not measured here). */
    public enum Mode {
        DENSE, DCA;

        public String id() { return name().toLowerCase(java.util.Locale.ROOT); }

        /** @throws IllegalArgumentException naming the accepted values */
        public static Mode parse(String s) {
            for (Mode m : values()) if (m.id().equals(s.trim().toLowerCase(java.util.Locale.ROOT))) return m;
            throw new IllegalArgumentException("unknown mode '" + s + "': expected dense or dca");
        }
    }
}
