package dev.longctx.engine.attention;

/**
 * Per-head recall sums of one attention call, summed in a fixed order (piece by piece, block by block) so that
 * the recorded numbers do not depend on thread scheduling.
 */
final class RecallTally {
    private final double[] recallSum;
    private final long[] rows;
    private final long[] computed;
    private final long[] causal;

    RecallTally(int numHeads) {
        recallSum = new double[numHeads];
        rows = new long[numHeads];
        computed = new long[numHeads];
        causal = new long[numHeads];
    }

    /** A dense piece keeps the whole softmax mass: recall 1 and every causal pair computed. */
    void addDense(Piece piece) {
        long pairs = causalPairs(piece.begin(), piece.end());
        for (int h = 0; h < rows.length; h++) {
            recallSum[h] += piece.rows();
            rows[h] += piece.rows();
            computed[h] += pairs;
            causal[h] += pairs;
        }
    }

    void add(int head, double recall, long rowCount, long computedPairs, long causalPairs) {
        recallSum[head] += recall;
        rows[head] += rowCount;
        computed[head] += computedPairs;
        causal[head] += causalPairs;
    }

    void report(RecallRecorder recorder, int layer) {
        for (int h = 0; h < rows.length; h++) {
            recorder.record(layer, h, recallSum[h], rows[h], computed[h], causal[h]);
        }
    }

    /** Σ_{p ∈ [begin, end)} (p + 1): every query sees itself and all earlier keys. */
    static long causalPairs(long begin, long end) {
        return (end * (end + 1) - begin * (begin + 1)) / 2;
    }
}
