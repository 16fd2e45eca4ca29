package dev.longctx.engine.attention;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Sparsity refinement (ALGORITHMS.md §3, Qwen2.5-1M report Alg. 1): measure every head's attention recall on
 * calibration prompts, give the heads below the target larger vertical and slash budgets, and repeat until every
 * head passes or is at the cap. The result carries the measured recall of its own budgets in the score field.
 *
 * <p>Deterministic for a deterministic probe: heads are raised in a fixed order by a fixed rule.
 */
public final class SparsityCalibrator {

    /** Runs the calibration prompts through the model with a config; wired to the model by the engine. */
    @FunctionalInterface
    public interface RecallProbe {
        /**
         * @return mean attention recall per [layer][head] (e.g. {@link RecallAccumulator#meanRecall()} over all
         *         calibration prompts), measured with the sparse budgets of {@code config}
         */
        double[][] measure(SparseAttentionConfig config);
    }

    /** One measured round. */
    public record Round(int round, int failingHeads, int cappedHeads, int totalHeads, double minRecall, double meanRecall) {}

    @FunctionalInterface
    public interface Progress {
        void onRound(Round round);
    }

    /**
     * @param targetRecall a head passes when its mean recall is ≥ this (report: 0.95)
     * @param growth       a failing head's budgets are multiplied by this …
     * @param minStep      … and grow by at least this many (so a zero budget grows too)
     * @param cap          budgets never exceed this: the number of keys of the calibration prompts, beyond which
     *                     a larger budget selects nothing more
     * @param maxRounds    measurements at most, however far from passing
     */
    public record Settings(double targetRecall, double growth, int minStep, int cap, int maxRounds) {
        public Settings {
            if (!(targetRecall > 0 && targetRecall <= 1)) throw new IllegalArgumentException("target recall must be in (0, 1], got " + targetRecall);
            if (!(growth >= 1)) throw new IllegalArgumentException("growth must be ≥ 1, got " + growth);
            if (minStep < 1) throw new IllegalArgumentException("min step must be ≥ 1, got " + minStep);
            if (cap < 1) throw new IllegalArgumentException("cap must be ≥ 1, got " + cap);
            if (maxRounds < 1) throw new IllegalArgumentException("max rounds must be ≥ 1, got " + maxRounds);
        }

        /** Target 0.95, ×1.5 per round (at least one 64-key block), capped at the prompt length, 30 rounds. */
        public static Settings defaults(int promptLength) {
            return new Settings(0.95, 1.5, VerticalSlash.BLOCK, promptLength, 30);
        }
    }

    /**
     * @param config    final budgets, each head's score = its measured mean recall with these budgets
     * @param passed    whether every head reached the target
     * @param capped    "layer/head" of heads left below the target at the cap (or when rounds ran out)
     */
    public record Result(SparseAttentionConfig config, int rounds, boolean passed, List<String> capped) {}

    private final RecallProbe probe;
    private final Settings settings;
    private final Progress progress;

    public SparsityCalibrator(RecallProbe probe, Settings settings, Progress progress) {
        this.probe = Objects.requireNonNull(probe);
        this.settings = Objects.requireNonNull(settings);
        this.progress = progress == null ? r -> { } : progress;
    }

    public Result calibrate(SparseAttentionConfig start) {
        SparseAttentionConfig config = start;
        int layers = start.numLayers();
        int heads = start.numHeads();
        for (int round = 1; ; round++) {
            double[][] recall = probe.measure(config);
            checkShape(recall, layers, heads);
            SparseAttentionConfig measured = config;
            List<int[]> failing = new ArrayList<>();
            int capped = 0;
            double min = Double.POSITIVE_INFINITY;
            double sum = 0;
            for (int l = 0; l < layers; l++) {
                for (int h = 0; h < heads; h++) {
                    double r = recall[l][h];
                    measured = measured.with(l, h, config.budget(l, h).withScore(r));
                    min = Math.min(min, r);
                    sum += r;
                    if (r < settings.targetRecall()) {
                        if (atCap(config.budget(l, h))) capped++;
                        else failing.add(new int[] {l, h});
                    }
                }
            }
            progress.onRound(new Round(round, failing.size(), capped, layers * heads, min, sum / (layers * heads)));
            if (failing.isEmpty() || round == settings.maxRounds()) {
                List<String> below = new ArrayList<>();
                for (int l = 0; l < layers; l++) {
                    for (int h = 0; h < heads; h++) if (recall[l][h] < settings.targetRecall()) below.add(l + "/" + h);
                }
                return new Result(measured, round, below.isEmpty(), List.copyOf(below));
            }
            for (int[] lh : failing) config = config.with(lh[0], lh[1], raise(config.budget(lh[0], lh[1])));
        }
    }

    private boolean atCap(SparseAttentionConfig.HeadBudget b) {
        return b.verticalSize() >= settings.cap() && b.slashSize() >= settings.cap();
    }

    /** The next budget of a failing head: both sizes grow by ×growth, at least minStep, at most to the cap. */
    SparseAttentionConfig.HeadBudget raise(SparseAttentionConfig.HeadBudget b) {
        return new SparseAttentionConfig.HeadBudget(grow(b.verticalSize()), grow(b.slashSize()), Double.NaN);
    }

    private int grow(int size) {
        if (size >= settings.cap()) return size;
        long next = Math.max((long) size + settings.minStep(), (long) Math.ceil(size * settings.growth()));
        return (int) Math.min(next, settings.cap());
    }

    private static void checkShape(double[][] recall, int layers, int heads) {
        if (recall == null || recall.length != layers) {
            throw new IllegalStateException("recall probe returned " + (recall == null ? "null" : recall.length + " layers")
                    + ", the config has " + layers);
        }
        for (int l = 0; l < layers; l++) {
            if (recall[l].length != heads) {
                throw new IllegalStateException("recall probe returned " + recall[l].length + " heads for layer " + l
                        + ", the config has " + heads);
            }
            for (int h = 0; h < heads; h++) {
                if (Double.isNaN(recall[l][h])) {
                    throw new IllegalStateException("no recall measured for layer " + l + ", head " + h
                            + ": did the calibration prompts exceed the sparse threshold?");
                }
            }
        }
    }
}
