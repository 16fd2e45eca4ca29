package dev.longctx.engine.bench;

import dev.longctx.engine.bench.Geometry.Mode;
import dev.longctx.engine.bench.TimedBackend.Part;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2Model;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * {@code longctx bench prefill}: time to first token of one prompt per context length, prefilled in pieces as the
 * engine serves it, on random weights of a built-in geometry. Per length: the median TTFT of the timed runs, split
 * into attention, GEMMs and the rest (device-synchronised laps, {@link TimedBackend}), achieved TFLOP/s
 * ({@link Work}), the peak device memory, and the GEMM part set against the same GEMMs timed alone on the same
 * shapes. The hardware limit the TFLOP/s are compared with is the best of those GEMMs alone (or {@code --peak-tflops}).
 */
public final class PrefillBench {

    /** One of a layer's matrix products (or the lm_head) timed by itself: median of the runs. */
    public record GemmAlone(String mode, String name, int rows, long in, long out, double seconds, double tflops) {}

    /**
     * One context length in one mode. Times are of the median run; parts are null when the split is off.
     *
     * @param gemmVsAlone      the GEMMs alone over the GEMM part of the TTFT: 1 = as fast inside the pipeline as alone
     * @param fractionOfPeak   achieved TFLOP/s (attention + GEMM FLOPs over the TTFT) over the peak
     * @param peakMemoryBytes  the most device memory in use seen at piece boundaries; null when the backend does not say
     */
    public record Result(String mode, int length, int pieces, double ttftSeconds, List<Double> ttftRunsSeconds,
                         Double attentionSeconds, Double gemmSeconds, Double otherSeconds, double attentionFlop,
                         double gemmFlop, Double attentionTflops, Double gemmTflops, double tflops, double fractionOfPeak,
                         double gemmAloneSeconds, Double gemmVsAlone, Long peakMemoryBytes) {}

    /** Everything one command measured, as printed and as written to --json. */
    public record Report(String command, String geometry, String device, String weights, int piece, int kvBlockSize,
                         int runs, int warmup, double peakTflops, String peakSource, List<GemmAlone> gemmsAlone,
                         List<Result> results) {

        /** A fixed-width table, one row per (mode, length), then the GEMMs alone and the peak used. */
        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "prefill: %s on %s, %s, pieces of %d, KV blocks of %d, median of %d run(s) after %d warm-up%n",
                    geometry, device, weights, piece, kvBlockSize, runs, warmup));
            sb.append(String.format(Locale.ROOT, "%-5s %8s %8s %8s %8s %8s %9s %9s %8s %7s %10s %8s %8s%n", "mode", "length",
                    "TTFT s", "attn s", "GEMM s", "other s", "attn TF/s", "GEMM TF/s", "TFLOP/s", "of peak",
                    "GEMM alone", "alone/in", "peak GiB"));
            for (Result r : results) {
                sb.append(String.format(Locale.ROOT, "%-5s %8d %8s %8s %8s %8s %9s %9s %8s %7s %10s %8s %8s%n",
                        r.mode(), r.length(), Fmt.sig(r.ttftSeconds()), Fmt.sig(r.attentionSeconds()), Fmt.sig(r.gemmSeconds()),
                        Fmt.sig(r.otherSeconds()), Fmt.sig(r.attentionTflops()), Fmt.sig(r.gemmTflops()), Fmt.sig(r.tflops()),
                        Fmt.percent(r.fractionOfPeak()), Fmt.sig(r.gemmAloneSeconds()), Fmt.percent(r.gemmVsAlone()),
                        Fmt.gib(r.peakMemoryBytes())));
            }
            for (GemmAlone g : gemmsAlone) {
                sb.append(String.format(Locale.ROOT, "GEMM alone %-5s %-8s [%d x %d -> %d] %s ms, %s TFLOP/s%n",
                        g.mode(), g.name(), g.rows(), g.in(), g.out(), Fmt.sig(1e3 * g.seconds()), Fmt.sig(g.tflops())));
            }
            sb.append(String.format(Locale.ROOT, "peak %s TFLOP/s: %s%n", Fmt.sig(peakTflops), peakSource));
            sb.append("attention FLOPs 4·d·H·Σ keys (causal), GEMM FLOPs 2·weights·tokens; 'GEMM alone' is the layers' GEMMs "
                    + "timed by themselves on the same shapes, 'alone/in' their time over the GEMM part of the TTFT\n");
            return sb.toString();
        }
    }

    private PrefillBench() {}

    /**
     * The measurements of one (mode, length) before the peak is known.
     *
     * @param parts     seconds per {@link Part} of the median run; null without the split
     * @param gemmAlone the GEMMs of the whole prefill timed alone; NaN until they are
     */
    private record Timed(Mode mode, int length, int pieces, List<Double> ttfts, double[] parts, Long peakMemory,
                         double attentionFlop, double gemmFlop, double gemmAlone) {
        Timed withGemmAlone(double seconds) {
            return new Timed(mode, length, pieces, ttfts, parts, peakMemory, attentionFlop, gemmFlop, seconds);
        }
    }

    /**
     * @param split      time attention, GEMMs and the rest apart (every op boundary waits for the device)
     * @param peakTflops the hardware limit to compare with; null: the best GEMM alone measured here
     * @param log        progress lines (stderr)
     */
    public static Report run(BenchSettings s, List<Mode> modes, List<Integer> lengths, boolean split, Double peakTflops,
                             Consumer<String> log) {
        for (int n : lengths) if (n < 1) throw new IllegalArgumentException("a context length must be at least 1 token, got " + n);
        List<Timed> timed = new ArrayList<>();
        List<GemmAlone> alone = new ArrayList<>();
        String device = null, weights = null;
        for (Mode mode : modes) {
            try (BenchModel m = BenchModel.load(s, mode, split, log)) {
                device = m.device().name();
                weights = m.weights();
                ModelConfig c = m.config();
                for (int w = 0; w < s.warmup(); w++) {
                    int n = Math.min(s.piece(), lengths.getFirst());
                    try (KvCache cache = m.newCache(m.blocksFor(n))) {
                        m.prefill(BenchModel.randomIds(n, c.vocabSize(), s.seed() - 1), cache, BenchModel.blockRange(0, m.blocksFor(n)), "warm-up");
                    }
                }
                List<Timed> ofMode = new ArrayList<>();
                for (int length : lengths) ofMode.add(measure(m, s, mode, length, log));
                // The activations now hold a real prefill's values: time the same GEMMs by themselves on them, at
                // every piece size the lengths were cut into, and the lm_head on its one row.
                TreeSet<Integer> rows = new TreeSet<>();
                for (int length : lengths) for (int[] p : pieces(length, s.piece())) rows.add(p[1]);
                List<GemmAlone> ofModeAlone = new ArrayList<>();
                for (int n : rows) ofModeAlone.addAll(timeAlone(m, mode, n, s.runs(), false));
                ofModeAlone.addAll(timeAlone(m, mode, 1, s.runs(), true));
                alone.addAll(ofModeAlone);
                for (Timed t : ofMode) timed.add(t.withGemmAlone(aloneSeconds(ofModeAlone, t.length(), s.piece(), c.numLayers())));
            }
        }
        String peakSource;
        double peak;
        if (peakTflops != null) {
            peak = peakTflops;
            peakSource = "given (--peak-tflops)";
        } else {
            GemmAlone best = alone.stream().filter(g -> !g.name().equals("lm_head"))
                    .max((a, b) -> Double.compare(a.tflops(), b.tflops())).orElseThrow();
            peak = best.tflops();
            peakSource = "the best GEMM alone measured in this run (" + best.name() + ", " + best.rows() + " rows); --peak-tflops to give another";
        }
        List<Result> results = new ArrayList<>();
        for (Timed t : timed) results.add(result(t, peak));
        return new Report("prefill", s.geometry().name(), device, weights, s.piece(), s.kvBlockSize(), s.runs(), s.warmup(),
                peak, peakSource, alone, results);
    }

    /** What the GEMMs of a whole prefill of {@code length} take alone: per piece, every layer's four, then the lm_head. */
    private static double aloneSeconds(List<GemmAlone> alone, int length, int piece, int layers) {
        Map<String, Double> byShape = new LinkedHashMap<>();
        for (GemmAlone g : alone) byShape.put(g.name() + "@" + g.rows(), g.seconds());
        double sum = byShape.get("lm_head@1");
        for (int[] p : pieces(length, piece)) {
            for (String g : List.of("qkv", "o", "gate_up", "down")) sum += layers * byShape.get(g + "@" + p[1]);
        }
        return sum;
    }

    private static Timed measure(BenchModel m, BenchSettings s, Mode mode, int length, Consumer<String> log) {
        ModelConfig c = m.config();
        int blocks = m.blocksFor(length);
        int[] ids = BenchModel.randomIds(length, c.vocabSize(), s.seed() + length);
        List<Double> ttfts = new ArrayList<>();
        List<double[]> parts = new ArrayList<>();
        List<Long> peaks = new ArrayList<>();
        try (KvCache cache = m.newCache(blocks)) {
            int[] table = BenchModel.blockRange(0, blocks);
            for (int r = 0; r < s.runs(); r++) {
                m.resetPeakMemory();
                if (m.timed() != null) m.timed().start();
                long t0 = System.nanoTime();
                m.prefill(ids, cache, table, String.format(Locale.ROOT, "%s %d run %d of %d", mode.id(), length, r + 1, s.runs()));
                double ttft = (System.nanoTime() - t0) / 1e9;
                ttfts.add(ttft);
                parts.add(m.timed() == null ? null : m.timed().seconds());
                peaks.add(m.peakMemory());
                log.accept(String.format(Locale.ROOT, "%s %d: TTFT %.3f s", mode.id(), length, ttft));
            }
        }
        int median = medianIndex(ttfts);
        double attentionFlop = Work.attentionFlops(c, 0, length);
        double gemmFlop = Work.gemmFlops(c, length, 1);
        return new Timed(mode, length, pieces(length, s.piece()).size(), ttfts, parts.get(median), peaks.get(median),
                attentionFlop, gemmFlop, Double.NaN);
    }

    private static Result result(Timed t, double peak) {
        double ttft = t.ttfts().get(medianIndex(t.ttfts()));
        double flops = t.attentionFlop() + t.gemmFlop();
        Double attention = null, gemm = null, other = null, attentionTf = null, gemmTf = null, vsAlone = null;
        if (t.parts() != null) {
            attention = t.parts()[Part.ATTENTION.ordinal()];
            gemm = t.parts()[Part.GEMM.ordinal()];
            other = ttft - attention - gemm;  // everything else, host time between ops included
            attentionTf = t.attentionFlop() / attention / 1e12;
            gemmTf = t.gemmFlop() / gemm / 1e12;
            vsAlone = t.gemmAlone() / gemm;
        }
        double tflops = flops / ttft / 1e12;
        return new Result(t.mode().id(), t.length(), t.pieces(), ttft, t.ttfts(), attention, gemm, other, t.attentionFlop(),
                t.gemmFlop(), attentionTf, gemmTf, tflops, tflops / peak, t.gemmAlone(), vsAlone, t.peakMemory());
    }

    /**
     * Layer 0's four GEMMs on n rows (or, with {@code head}, the lm_head), each run alone on the model's own weights
     * and buffers: two untimed calls, then the median of {@code runs} (at least 5) device-synchronised calls.
     */
    private static List<GemmAlone> timeAlone(BenchModel m, Mode mode, int rows, int runs, boolean head) {
        List<GemmAlone> out = new ArrayList<>();
        for (Qwen2Model.Gemm g : m.model().gemms(0)) {
            if (g.name().equals("lm_head") != head) continue;
            double sec = BenchModel.medianSeconds(m.device(), 2, Math.max(5, runs),
                    () -> m.device().matmul(g.weight(), g.input(), rows, g.output()));
            out.add(new GemmAlone(mode.id(), g.name(), rows, g.weight().cols(), g.weight().rows(), sec,
                    2.0 * rows * g.weight().cols() * g.weight().rows() / sec / 1e12));
        }
        return out;
    }

    /** The pieces of a prompt of {@code length} tokens: {start, tokens} each. */
    static List<int[]> pieces(int length, int piece) {
        List<int[]> p = new ArrayList<>();
        for (int start = 0; start < length; start += piece) p.add(new int[] {start, Math.min(piece, length - start)});
        return p;
    }

    /** The index of the median value (the lower one for an even count). */
    static int medianIndex(List<Double> values) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < values.size(); i++) order.add(i);
        order.sort((a, b) -> Double.compare(values.get(a), values.get(b)));
        return order.get((values.size() - 1) / 2);
    }

}
