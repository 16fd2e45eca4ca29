package dev.longctx.engine.attention;

import dev.longctx.engine.kv.SequenceKv;

import java.util.Arrays;
import java.util.List;

/**
 * Sparse vertical-slash prefill of one piece (ALGORITHMS.md §2): per head, estimate the indices from the piece's
 * last queries, then per 64-row query block compute the selected keys of every DCA part with {@link PartAttention}
 * and merge. With a recorder, the dense LSE of the same rows is computed alongside for attention recall (§3).
 */
final class SparsePrefill {
    private SparsePrefill() {}

    /** The per-block key set of every part of one head, and the per-piece fallback decisions. */
    record HeadPlan(VerticalSlash.Selection selection, int[][] fallback) {}

    static void run(CpuAttention attn, PieceQueries pq, int layer, SequenceKv kv, float scale,
                    SparseAttentionConfig.HeadBudget[] budgets, float[] out, RecallTally tally,
                    RecallRecorder recorder) {
        AttentionGeometry g = attn.geometry();
        Piece piece = pq.piece();
        int heads = g.numHeads();
        int nq = Math.min(VerticalSlash.LAST_Q, piece.rows());
        pq.prepareCritical(piece.rows() - nq);

        HeadPlan[] plans = new HeadPlan[heads];
        long t0 = System.nanoTime();
        attn.parallel(heads, h -> plans[h] = plan(pq, kv, layer, h, h / g.groupSize(), scale, budgets[h]));
        attn.addEstimationNanos(System.nanoTime() - t0);
        if (recorder != null) {
            for (int h = 0; h < heads; h++) recorder.selected(layer, h, plans[h].selection());
        }

        int blocks = (piece.rows() + CpuAttention.ROW_BLOCK - 1) / CpuAttention.ROW_BLOCK;
        double[] recall = tally == null ? null : new double[heads * blocks];
        long[] computed = tally == null ? null : new long[heads * blocks];
        int headDim = g.headDim();
        int qDim = g.qDim();
        attn.parallel(heads * blocks, task -> {
            int h = task / blocks;
            int r0 = (task % blocks) * CpuAttention.ROW_BLOCK;
            int rows = Math.min(CpuAttention.ROW_BLOCK, piece.rows() - r0);
            int outOff = pq.outRow(r0) * qDim + h * headDim;
            float[] lse = new float[rows];
            Keys[] keys = blockKeys(plans[h], piece, r0, rows);
            sparseBlock(pq, layer, kv, scale, h, h / g.groupSize(), r0, rows, keys, out, outOff, qDim, lse);
            if (tally != null) {
                float[] full = new float[rows];
                float[] scratch = new float[rows * headDim];
                attn.denseGroup(pq, layer, kv, scale, h, 1, r0, rows, scratch, 0, headDim, full);
                double sum = 0;
                long pairs = 0;
                for (int r = 0; r < rows; r++) {
                    long p = piece.begin() + r0 + r;
                    sum += lse[r] == Float.NEGATIVE_INFINITY ? 0 : Math.exp((double) lse[r] - full[r]);
                    for (int a = 0; a < keys.length; a++) {
                        pairs += piece.parts().get(a).causal() ? keys[a].countUpTo(p) : keys[a].size();
                    }
                }
                recall[task] = sum;
                computed[task] = pairs;
            }
        });
        if (tally != null) {
            for (int h = 0; h < heads; h++) {
                for (int b = 0; b < blocks; b++) {
                    int r0 = b * CpuAttention.ROW_BLOCK;
                    int rows = Math.min(CpuAttention.ROW_BLOCK, piece.rows() - r0);
                    long qa = piece.begin() + r0;
                    tally.add(h, recall[h * blocks + b], rows, computed[h * blocks + b],
                            RecallTally.causalPairs(qa, qa + rows));
                }
            }
        }
    }

    /** Steps 1–3 for one head, plus which parts no index reaches (they get the fallback keys). */
    static HeadPlan plan(PieceQueries pq, SequenceKv kv, int layer, int h, int kvHead, float scale,
                         SparseAttentionConfig.HeadBudget budget) {
        VerticalSlash.Selection sel = VerticalSlash.estimate(pq, kv, layer, h, kvHead, scale,
                budget.verticalSize(), budget.slashSize());
        List<DcaPart> parts = pq.piece().parts();
        int[][] fallback = new int[parts.size()][];
        for (int a = 0; a < parts.size(); a++) {
            DcaPart part = parts.get(a);
            if (!VerticalSlash.reaches(sel, pq.piece().begin(), part.keyFrom(), part.keyTo())) {
                fallback[a] = VerticalSlash.fallbackKeys(part.keyFrom(), part.keyTo());
            }
        }
        return new HeadPlan(sel, fallback);
    }

    /** Step 4: the keys each part computes for query rows [r0, r0 + rows) of the piece. */
    static Keys[] blockKeys(HeadPlan plan, Piece piece, int r0, int rows) {
        long qa = piece.begin() + r0;
        long qz = qa + rows - 1;
        int[] all = VerticalSlash.blockKeys(plan.selection(), qa, qz);
        List<DcaPart> parts = piece.parts();
        Keys[] keys = new Keys[parts.size()];
        for (int a = 0; a < parts.size(); a++) {
            DcaPart part = parts.get(a);
            if (plan.fallback()[a] != null) {
                keys[a] = Keys.of(plan.fallback()[a]);
                continue;
            }
            int lo = lowerBound(all, part.keyFrom());
            int hi = lowerBound(all, part.keyTo());
            keys[a] = Keys.of(Arrays.copyOfRange(all, lo, hi));
        }
        return keys;
    }

    private static void sparseBlock(PieceQueries pq, int layer, SequenceKv kv, float scale, int h, int kvHead,
                                    int r0, int rows, Keys[] keys, float[] out, int outOff, int outStride,
                                    float[] lseOut) {
        List<DcaPart> parts = pq.piece().parts();
        int d = pq.headDim();
        float[] qb = new float[rows * d];
        float[][] o = new float[parts.size()][rows * d];
        float[][] lse = new float[parts.size()][rows];
        for (int a = 0; a < parts.size(); a++) {
            if (keys[a].isEmpty()) {
                // An absent part: LSE −∞, weight 0 in the merge.
                Arrays.fill(lse[a], Float.NEGATIVE_INFINITY);
                continue;
            }
            pq.rotate(a, h, r0, rows, qb);
            PartAttention.attend(qb, 0, rows, d, pq.piece().begin() + r0, kv, layer, kvHead, keys[a],
                    parts.get(a).causal(), scale, o[a], 0, lse[a], 0);
        }
        PartAttention.merge(o, lse, parts.size(), rows, d, out, outOff, outStride, lseOut, 0);
    }

    private static int lowerBound(int[] a, int key) {
        int i = Arrays.binarySearch(a, key);
        return i >= 0 ? i : -i - 1;
    }
}
