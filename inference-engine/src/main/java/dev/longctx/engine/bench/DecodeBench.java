package dev.longctx.engine.bench;

import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.attention.StepMetadata.Logits;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.bench.Geometry.Mode;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.sampling.DeviceSampling;
import dev.longctx.engine.sampling.Sampler;
import dev.longctx.engine.sampling.StepResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code longctx bench decode}: greedy decode steps of a batch of sequences that each hold a context of N tokens, on
 * random weights of a built-in geometry. Reports tokens/s and the fraction of the memory-bandwidth floor: a decode
 * step must read every weight once and every sequence's K and V ({@link Work}); those bytes over the step time,
 * against a bandwidth ceiling ({@code --hbm-gbps}, else a device-to-device copy timed through the backend, else
 * {@value #NOMINAL_GBPS} GB/s, the H200's measured copy rate in PERFORMANCE.md).
 *
 * <p>The context is prefilled for real for the first sequence (so its K/V are the model's own); the batch's other
 * sequences get copies of its blocks in blocks of their own, so that every sequence's K/V are read from memory, not
 * from a cache line another sequence brought in. Each timed run decodes {@code steps} tokens from position N again.
 */
public final class DecodeBench {

    /** H200 device-to-device copy, read + write (PERFORMANCE.md, measured 2026-11-30). */
    public static final double NOMINAL_GBPS = 4200;

    /**
     * One context length at one batch size, from the median run.
     *
     * @param bytesPerStep   weights once + every sequence's K/V at its mean context over the steps
     * @param fractionOfFloor achieved GB/s over the ceiling: how close the step is to the bandwidth floor
     */
    public record Result(String mode, int context, int batch, int steps, double stepSeconds, List<Double> runStepSeconds,
                         double tokensPerSecond, double bytesPerStep, double achievedGbps, double fractionOfFloor,
                         Long peakMemoryBytes) {}

    /** Everything one command measured, as printed and as written to --json. */
    public record Report(String command, String geometry, String device, String weights, int kvBlockSize, int runs,
                         int warmup, double ceilingGbps, String ceilingSource, long weightBytes, List<Result> results) {

        public String table() {
            StringBuilder sb = new StringBuilder();
            sb.append(String.format(Locale.ROOT, "decode: %s on %s, %s, KV blocks of %d, median of %d run(s) after %d warm-up%n",
                    geometry, device, weights, kvBlockSize, runs, warmup));
            sb.append(String.format(Locale.ROOT, "%-5s %8s %5s %9s %9s %9s %9s %8s %8s%n", "mode", "context", "batch",
                    "step ms", "tok/s", "MB/step", "GB/s", "of floor", "peak GiB"));
            for (Result r : results) {
                sb.append(String.format(Locale.ROOT, "%-5s %8d %5d %9s %9s %9s %9s %8s %8s%n", r.mode(), r.context(),
                        r.batch(), Fmt.sig(1e3 * r.stepSeconds()), Fmt.sig(r.tokensPerSecond()), Fmt.sig(r.bytesPerStep() / 1e6),
                        Fmt.sig(r.achievedGbps()), Fmt.percent(r.fractionOfFloor()), Fmt.gib(r.peakMemoryBytes())));
            }
            sb.append(String.format(Locale.ROOT, "floor: a step reads %s MB of weights + every sequence's K/V; ceiling %s GB/s: %s%n",
                    Fmt.sig(weightBytes / 1e6), Fmt.sig(ceilingGbps), ceilingSource));
            return sb.toString();
        }
    }

    private DecodeBench() {}

    /**
     * @param hbmGbps the bandwidth ceiling; null: measure a copy of {@code copyMib} MiB through the backend (once,
     *                with the first mode's model)
     */
    public static Report run(BenchSettings s, List<Mode> modes, List<Integer> contexts, List<Integer> batches, int steps,
                             Double hbmGbps, int copyMib, Consumer<String> log) {
        if (steps < 1) throw new IllegalArgumentException("--steps must be at least 1, got " + steps);
        for (int n : contexts) if (n < 1) throw new IllegalArgumentException("a context must be at least 1 token, got " + n);
        for (int b : batches) if (b < 1) throw new IllegalArgumentException("a batch must hold at least 1 sequence, got " + b);
        Double ceiling = hbmGbps;
        String source = hbmGbps != null ? "given (--hbm-gbps)" : null;
        String device = null, weights = null;
        long weightBytes = 0;
        List<Result> results = new ArrayList<>();
        for (Mode mode : modes) {
            try (BenchModel m = BenchModel.load(s, mode, false, log)) {
                ModelConfig c = m.config();
                device = m.device().name();
                weights = m.weights();
                if (ceiling == null) {
                    Double measured = copyGbps(m.device(), copyMib, s.runs());
                    ceiling = measured != null ? measured : NOMINAL_GBPS;
                    source = measured != null
                            ? String.format(Locale.ROOT, "measured: a device-to-device copy of %d MiB through the %s backend (read + write), median of %d",
                                    copyMib, device, Math.max(3, s.runs()))
                            : "nominal: the H200's copy rate in PERFORMANCE.md (the " + device + " backend has no device copy)";
                    log.accept(String.format(Locale.ROOT, "bandwidth ceiling %s GB/s: %s", Fmt.sig(ceiling), source));
                }
                weightBytes = Work.decodeWeightBytes(c, 2);
                for (int context : contexts) {
                    for (int batch : batches) results.add(measure(m, s, mode, context, batch, steps, weightBytes, ceiling, log));
                }
            }
        }
        return new Report("decode", s.geometry().name(), device, weights, s.kvBlockSize(), s.runs(), s.warmup(), ceiling,
                source, weightBytes, results);
    }

    private static Result measure(BenchModel m, BenchSettings s, Mode mode, int context, int batch, int steps,
                                  long weightBytes, double ceilingGbps, Consumer<String> log) {
        ModelConfig c = m.config();
        int perSeq = m.blocksFor((long) context + steps);
        try (KvCache cache = m.newCache(Math.multiplyExact(perSeq, batch))) {
            int[][] tables = new int[batch][];
            for (int b = 0; b < batch; b++) tables[b] = BenchModel.blockRange(b * perSeq, perSeq);
            m.resetPeakMemory();
            String label = String.format(Locale.ROOT, "%s context %d", mode.id(), context);
            float[] logits = m.prefill(BenchModel.randomIds(context, c.vocabSize(), s.seed() + context), cache, tables[0], label);
            if (batch > 1) {
                long t0 = System.nanoTime();
                int used = m.blocksFor(context);
                for (int blk = 0; blk < used; blk++) {
                    byte[] bytes = cache.readBlock(blk);
                    for (int b = 1; b < batch; b++) cache.writeBlock(tables[b][blk], bytes);
                }
                log.accept(String.format(Locale.ROOT, "%s: K/V copied to %d more sequences in %.1f s", label, batch - 1,
                        (System.nanoTime() - t0) / 1e9));
            }
            int first = Sampler.argmax(logits);
            List<Double> perStep = new ArrayList<>();
            for (int r = 0; r < s.warmup() + s.runs(); r++) {
                long t0 = System.nanoTime();
                int[] last = decode(m, cache, context, first, tables, steps);
                double sec = (System.nanoTime() - t0) / 1e9 / steps;
                if (r == 0 && Arrays.stream(last).distinct().count() > 1) {
                    // Same context, same first token: every sequence must decode the same tokens.
                    log.accept(label + " batch " + batch + ": warning: the batch's sequences diverged (" + Arrays.toString(last)
                            + "): their K/V copies or the batched step differ from the first sequence's");
                }
                m.sampleMemory();
                if (r >= s.warmup()) perStep.add(sec);
            }
            double step = perStep.get(PrefillBench.medianIndex(perStep));
            // Step i (0-based) attends to context + i + 1 keys per sequence: the mean over the steps.
            double meanKeys = context + (steps + 1) / 2.0;
            double bytes = weightBytes + batch * (double) c.kvBytesPerToken(m.device().kvDtype().bytes) * meanKeys;
            double gbps = bytes / step / 1e9;
            log.accept(String.format(Locale.ROOT, "%s batch %d: %.3f ms per step, %.1f tok/s", label, batch, 1e3 * step, batch / step));
            return new Result(mode.id(), context, batch, steps, step, perStep, batch / step, bytes, gbps, gbps / ceilingGbps,
                    m.peakMemory());
        }
    }

    /**
     * {@code steps} greedy steps of every sequence from position {@code context}, each starting from token {@code first};
     * returns each sequence's last token. Sampled where serving samples greedy requests: on the device when the
     * backend can (ids come back, not logits rows), else on the host.
     */
    private static int[] decode(BenchModel m, KvCache cache, int context, int first, int[][] tables, int steps) {
        int batch = tables.length;
        int[] next = new int[batch];
        Arrays.fill(next, first);
        List<DeviceSampling> greedy = m.device().canSample() ? Collections.nCopies(batch, DeviceSampling.GREEDY) : null;
        for (int i = 0; i < steps; i++) {
            int pos = context + i;
            StepMetadata.Builder b = m.model().newStep(null);
            // Decode: T of the request rule is the current length, as the engine passes it.
            for (int q = 0; q < batch; q++) b.add(new int[] {next[q]}, pos, tables[q], pos + 1, false, Logits.LAST);
            if (greedy != null) {
                StepResult r = m.model().forward(b.build(), cache, greedy);
                for (int q = 0; q < batch; q++) next[q] = r.tokens()[q];
            } else {
                float[][] rows = m.model().forward(b.build(), cache);
                for (int q = 0; q < batch; q++) next[q] = Sampler.argmax(rows[q]);
            }
        }
        return next;
    }

    /**
     * Read + write bytes per second of a device-to-device copy of {@code mib} MiB through the backend: one untimed
     * copy, then the median of max(3, runs). Null when the backend has no such copy.
     */
    static Double copyGbps(Backend device, int mib, int runs) {
        if (mib < 1) throw new IllegalArgumentException("--copy-mib must be at least 1, got " + mib);
        long cols = 1 << 18;  // 1 MiB rows of fp32
        DeviceBuffer a = device.allocate(mib, cols), b = device.allocate(mib, cols);
        try {
            device.copy(a, b);
        } catch (UnsupportedOperationException e) {
            return null;
        }
        double sec = BenchModel.medianSeconds(device, 0, Math.max(3, runs), () -> device.copy(a, b));
        return 2.0 * mib * (1L << 20) / sec / 1e9;
    }
}
