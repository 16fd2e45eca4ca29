package dev.longctx.engine.eval;

import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.attention.VerticalSlash;
import dev.longctx.engine.attention.VerticalSlash.Selection;
import java.util.Arrays;

/**
 * What the sparse kernel computes for the last 64-row query block of every (head, prefill piece), split by the
 * cause (ALGORITHMS.md §2 step 4): the local band of the forced nearest diagonals, the spans of the other kept
 * diagonals beyond it, and kept verticals outside both. It explains how the kernel's work per query row moves
 * with the context length at fixed budgets.
 */
public final class BlockCost implements RecallRecorder {
    private long blocks;
    private long bandKeys;
    private long slashKeys;
    private long slashSpans;
    private long verticalKeys;

    /**
     * Means over the recorded blocks.
     *
     * @param bandKeys     keys of the forced local band
     * @param slashSpans   separate key runs the other kept diagonals add beyond the band (merged where they touch)
     * @param slashKeys    keys in those runs
     * @param verticalKeys kept verticals outside the band and the runs
     */
    public record Means(long blocks, double bandKeys, double slashSpans, double slashKeys, double verticalKeys) {
        public double totalKeys() {
            return bandKeys + slashKeys + verticalKeys;
        }
    }

    @Override
    public void record(int layer, int head, double recallSum, long rows, long computedPairs, long causalPairs) {}

    @Override
    public synchronized void selected(int layer, int head, Selection selection) {
        int end = selection.end();
        if (end < VerticalSlash.BLOCK) return;
        long qa = end - VerticalSlash.BLOCK;
        long qz = end - 1;
        int[] slashes = selection.slashes();
        int firstForced = lowerBound(slashes, end - VerticalSlash.FORCED_SLASHES);
        int[] none = new int[0];
        int[] band = VerticalSlash.blockKeys(
                new Selection(none, Arrays.copyOfRange(slashes, firstForced, slashes.length), end), qa, qz);
        int[] allSlashes = VerticalSlash.blockKeys(new Selection(none, slashes, end), qa, qz);
        int all = VerticalSlash.blockKeys(selection, qa, qz).length;
        blocks++;
        bandKeys += band.length;
        slashKeys += allSlashes.length - band.length;
        slashSpans += runs(allSlashes) - runs(band);
        verticalKeys += all - allSlashes.length;
    }

    public synchronized Means means() {
        double n = Math.max(1, blocks);
        return new Means(blocks, bandKeys / n, slashSpans / n, slashKeys / n, verticalKeys / n);
    }

    /** Maximal runs of consecutive positions in an ascending array. */
    private static int runs(int[] keys) {
        int runs = 0;
        for (int i = 0; i < keys.length; i++) if (i == 0 || keys[i] != keys[i - 1] + 1) runs++;
        return runs;
    }

    private static int lowerBound(int[] a, int key) {
        int i = Arrays.binarySearch(a, key);
        return i >= 0 ? i : -i - 1;
    }
}
