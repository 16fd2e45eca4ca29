package dev.longctx.engine.attention;

/** Collects attention recall (ALGORITHMS.md §3) per layer and query head. */
public interface RecallRecorder {

    /**
     * @param recallSum sum over the recorded query rows of exp(LSE_sparse − LSE_full)
     * @param rows      how many query rows that sum covers
     * @param computedPairs (query, key) pairs the sparse kernel computed for those rows
     * @param causalPairs   causal (query, key) pairs that exist for those rows
     */
    void record(int layer, int head, double recallSum, long rows, long computedPairs, long causalPairs);

    /**
     * The vertical and slash indices the estimation kept for one head of one prefill piece, for analysis (e.g. where
     * the slashes fall); the default ignores them.
     */
    default void selected(int layer, int head, VerticalSlash.Selection selection) {}

    /** One recorder that passes everything to both. */
    static RecallRecorder both(RecallRecorder first, RecallRecorder second) {
        return new RecallRecorder() {
            @Override
            public void record(int layer, int head, double recallSum, long rows, long computedPairs, long causalPairs) {
                first.record(layer, head, recallSum, rows, computedPairs, causalPairs);
                second.record(layer, head, recallSum, rows, computedPairs, causalPairs);
            }

            @Override
            public void selected(int layer, int head, VerticalSlash.Selection selection) {
                first.selected(layer, head, selection);
                second.selected(layer, head, selection);
            }
        };
    }
}
