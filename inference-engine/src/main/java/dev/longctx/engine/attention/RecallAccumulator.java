package dev.longctx.engine.attention;

/**
 * A {@link RecallRecorder} that sums what attention reports per (layer, head) over any number of calls and
 * prompts: mean recall and density (computed / causal pairs). Thread-safe, so layers may record concurrently.
 */
public final class RecallAccumulator implements RecallRecorder {
    private final double[][] recall;
    private final long[][] rows;
    private final long[][] computed;
    private final long[][] causal;

    public RecallAccumulator(int numLayers, int numHeads) {
        recall = new double[numLayers][numHeads];
        rows = new long[numLayers][numHeads];
        computed = new long[numLayers][numHeads];
        causal = new long[numLayers][numHeads];
    }

    @Override
    public synchronized void record(int layer, int head, double recallSum, long n, long computedPairs, long causalPairs) {
        recall[layer][head] += recallSum;
        rows[layer][head] += n;
        computed[layer][head] += computedPairs;
        causal[layer][head] += causalPairs;
    }

    /** Mean recall per [layer][head]; NaN where nothing was recorded. */
    public synchronized double[][] meanRecall() {
        double[][] m = new double[recall.length][];
        for (int l = 0; l < m.length; l++) {
            m[l] = new double[recall[l].length];
            for (int h = 0; h < m[l].length; h++) m[l][h] = rows[l][h] == 0 ? Double.NaN : recall[l][h] / rows[l][h];
        }
        return m;
    }

    /** Computed / causal (query, key) pairs per [layer][head]; NaN where nothing was recorded. */
    public synchronized double[][] density() {
        double[][] d = new double[computed.length][];
        for (int l = 0; l < d.length; l++) {
            d[l] = new double[computed[l].length];
            for (int h = 0; h < d[l].length; h++) {
                d[l][h] = causal[l][h] == 0 ? Double.NaN : (double) computed[l][h] / causal[l][h];
            }
        }
        return d;
    }
}
