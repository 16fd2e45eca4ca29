package dev.longctx.engine.bench;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.attention.StepMetadata.Logits;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.Backends;
import dev.longctx.engine.backend.DeviceTimer;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.model.GenerationConfig;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.weights.RandomWeights;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * A built-in geometry on random weights, loaded on a device through the same path as a checkpoint
 * ({@link Qwen2Model#load(ModelConfig, GenerationConfig, dev.longctx.engine.weights.WeightSource,
 * dev.longctx.engine.attention.SparseAttentionConfig, EngineOptions, Backend)}), and a prefill in pieces as the
 * engine runs one (chunked prefill of max_num_batched_tokens per step), with progress on the log.
 */
final class BenchModel implements AutoCloseable {
    private final Qwen2Model model;
    private final Backend device;
    private final TimedBackend timed;
    private final BenchSettings settings;
    private final String weights;
    private final Consumer<String> log;
    private long peakMemory = -1;

    private BenchModel(Qwen2Model model, Backend device, TimedBackend timed, BenchSettings settings, String weights,
                       Consumer<String> log) {
        this.model = model;
        this.weights = weights;
        this.device = device;
        this.timed = timed;
        this.settings = settings;
        this.log = log;
    }

    /**
     * @param split whether to time attention, GEMMs and the rest apart ({@link #timed()}); a decode benchmark does
     *              not, so that nothing waits between its ops
     */
    static BenchModel load(BenchSettings s, Geometry.Mode mode, boolean split, Consumer<String> log) {
        ModelConfig config = s.geometry().config(mode);
        EngineOptions options = EngineOptions.defaults().withDevice(s.device()).withThreads(s.threads())
                .withMaxPrefillChunk(s.piece()).withKvBlockSize(s.kvBlockSize())
                .withSparse(false, EngineOptions.DEFAULT_SPARSE_THRESHOLD, null).withDca(mode == Geometry.Mode.DCA)
                .withEnforceEager(s.enforceEager());
        long t0 = System.nanoTime();
        RandomWeights weights = RandomWeights.of(config, s.seed());
        Backend device;
        try {
            Backends.Choice choice = Backends.open(options);
            device = choice.backend();
            if (choice.note() != null) log.accept(choice.note());
        } catch (RuntimeException e) {
            weights.close();
            throw e;
        }
        TimedBackend timed;
        try {
            timed = split ? new TimedBackend(device) : null;
        } catch (RuntimeException e) {
            device.close();
            weights.close();
            throw e;
        }
        Qwen2Model model = Qwen2Model.load(config, GenerationConfig.empty(), weights, null, options,
                timed != null ? timed : device);
        log.accept(String.format(Locale.ROOT, "%s (%s) on %s: %s loaded in %.1f s", s.geometry().name(), mode.id(),
                device.name(), weights.description(), (System.nanoTime() - t0) / 1e9));
        return new BenchModel(model, device, timed, s, weights.description(), log);
    }

    Qwen2Model model() { return model; }

    ModelConfig config() { return model.config(); }

    /** What the weights are ("random bf16 weights (seed 1; ...)"). */
    String weights() { return weights; }

    /** The device's own backend (not the timing wrapper). */
    Backend device() { return device; }

    /** The timing wrapper the model runs on; null when the split is off. */
    TimedBackend timed() { return timed; }

    /** A KV cache of {@code blocks} blocks of the settings' block size. */
    KvCache newCache(int blocks) {
        return model.newKvCache(blocks, settings.kvBlockSize());
    }

    /** Blocks that hold {@code tokens} tokens. */
    int blocksFor(long tokens) {
        return Math.toIntExact(Math.max(1, (tokens + settings.kvBlockSize() - 1) / settings.kvBlockSize()));
    }

    /**
     * Prefills ids at positions [0, ids.length) into the blocks of {@code table}, in pieces of the settings' size,
     * sampling device memory after each; returns the last row's logits. With more than one piece, each piece ends
     * with a progress line "label: piece k of K, t s".
     */
    float[] prefill(int[] ids, KvCache cache, int[] table, String label) {
        int piece = settings.piece(), pieces = (ids.length + piece - 1) / piece;
        long t0 = System.nanoTime();
        float[] last = null;
        for (int k = 0; k < pieces; k++) {
            int start = k * piece, end = Math.min(ids.length, start + piece);
            boolean lastPiece = end == ids.length;
            StepMetadata step = model.newStep(null).add(Arrays.copyOfRange(ids, start, end), start, table, ids.length,
                    false, lastPiece ? Logits.LAST : Logits.NONE).build();
            float[][] rows = model.forward(step, cache);
            if (lastPiece) last = rows[0];
            sampleMemory();
            if (pieces > 1) {
                log.accept(String.format(Locale.ROOT, "%s: piece %d of %d, %.1f s", label, k + 1, pieces, (System.nanoTime() - t0) / 1e9));
            }
        }
        return last;
    }

    /** Forgets the memory peak; the next samples start a new one. */
    void resetPeakMemory() {
        peakMemory = -1;
        sampleMemory();
    }

    void sampleMemory() {
        device.memoryInUse().ifPresent(m -> peakMemory = Math.max(peakMemory, m));
    }

    /** The largest device memory in use seen since {@link #resetPeakMemory()}; null when the backend does not say. */
    Long peakMemory() {
        return peakMemory < 0 ? null : peakMemory;
    }

    /** Median device seconds of {@code op} over {@code reps} timed calls, after {@code warmup} untimed ones. */
    static double medianSeconds(Backend device, int warmup, int reps, Runnable op) {
        for (int w = 0; w < warmup; w++) op.run();
        DeviceTimer timer = device.newTimer(1);
        List<Double> times = new ArrayList<>();
        for (int r = 0; r < reps; r++) {
            timer.start();
            op.run();
            timer.lap(0);
            times.add(timer.seconds()[0]);
        }
        return times.get(PrefillBench.medianIndex(times));
    }

    /** Identity block ids [first, first + count). */
    static int[] blockRange(int first, int count) {
        int[] t = new int[count];
        for (int i = 0; i < count; i++) t[i] = first + i;
        return t;
    }

    /** n token ids drawn uniformly from the vocabulary, a function of the seed. */
    static int[] randomIds(int n, int vocab, long seed) {
        return new SplittableRandom(seed).ints(n, 0, vocab).toArray();
    }

    @Override
    public void close() {
        model.close();
    }
}
