package dev.longctx.engine.eval;

import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.attention.VerticalSlash;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Where the slashes that sparse estimation keeps fall, compared with the synthetic {@code mixed} index set of
 * PERFORMANCE.md (the nearest ⌊0.8·s⌋ distances, the rest log-uniform over the remaining range), which the GPU
 * kernel benchmarks use as a stand-in for real attention.
 *
 * <p>Per (layer, head, piece) with s kept slashes at context length N: the near share is the fraction of kept
 * distances below ⌊0.8·s⌋ ({@code mixed}: 0.8 by construction). Each far distance d is placed on the log scale of
 * the far range, u = ln(d / ⌊0.8·s⌋) / ln((N − 1) / ⌊0.8·s⌋), which is uniform on [0, 1] for {@code mixed}; its
 * quantiles show whether real far slashes spread like the stand-in or bunch up.
 */
public final class SlashStats implements RecallRecorder {
    private final List<Double> nearShares = new ArrayList<>();
    private final List<Double> farPositions = new ArrayList<>();
    private long slashes;
    private long forced;

    @Override
    public void record(int layer, int head, double recallSum, long rows, long computedPairs, long causalPairs) {}

    @Override
    public synchronized void selected(int layer, int head, VerticalSlash.Selection selection) {
        int n = selection.end();
        int s = selection.slashes().length;
        if (s == 0) return;
        int band = Math.max(1, (int) Math.floor(0.8 * s));
        int near = 0;
        for (int t : selection.slashes()) {
            int d = n - 1 - t;
            slashes++;
            if (d < VerticalSlash.FORCED_SLASHES) forced++;
            if (d < band) {
                near++;
            } else if (n - 1 > band) {
                farPositions.add(Math.log((double) d / band) / Math.log((double) (n - 1) / band));
            }
        }
        nearShares.add((double) near / s);
    }

    public synchronized double meanNearShare() {
        return nearShares.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    /** Quantile q of the far slashes' log-scale positions (uniform for {@code mixed}: quantile q = q). */
    public synchronized double farQuantile(double q) {
        if (farPositions.isEmpty()) return Double.NaN;
        List<Double> sorted = farPositions.stream().sorted().toList();
        return sorted.get((int) Math.min(sorted.size() - 1, Math.floor(q * sorted.size())));
    }

    /** Share of far slashes in each fifth of the far range's log scale ({@code mixed}: 0.2 each). */
    public synchronized double[] farHistogram() {
        double[] h = new double[5];
        for (double u : farPositions) h[(int) Math.min(4, Math.max(0, Math.floor(u * 5)))]++;
        for (int i = 0; i < 5; i++) h[i] /= Math.max(1, farPositions.size());
        return h;
    }

    public synchronized String report() {
        double[] h = farHistogram();
        return String.format(Locale.ROOT, """
                | | selected (this model) | `mixed` stand-in |
                |---|---|---|
                | (head, piece) selections | %d | – |
                | slashes kept | %d (%.1f%% of them the 100 forced nearest) | – |
                | share in the nearest band (d < ⌊0.8·s⌋) | %.3f | 0.800 |
                | far slashes: log-scale quantiles p25 / p50 / p75 | %.2f / %.2f / %.2f | 0.25 / 0.50 / 0.75 |
                | far slashes per fifth of the log range | %.2f %.2f %.2f %.2f %.2f | 0.20 each |
                """, nearShares.size(), slashes, 100.0 * forced / Math.max(1, slashes), meanNearShare(),
                farQuantile(0.25), farQuantile(0.5), farQuantile(0.75), h[0], h[1], h[2], h[3], h[4]);
    }
}
