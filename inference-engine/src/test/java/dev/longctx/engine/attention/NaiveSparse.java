package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.function.IntPredicate;

/**
 * Naive vertical-slash prefill written from ALGORITHMS.md §2 in double precision: explicit score matrices, sorting
 * for top-k, and explicit per-(query, key) sets. Independent of the production chunk loop, paging and kernels.
 */
final class NaiveSparse {
    private NaiveSparse() {}

    /** The pieces of a call for new tokens [start, end): split at DCA chunk boundaries. */
    static List<int[]> pieces(DcaConfig dca, int start, int end) {
        List<int[]> out = new ArrayList<>();
        if (dca == null) {
            out.add(new int[] {start, end});
            return out;
        }
        int L = dca.chunkLen();
        for (int b = start; b < end; ) {
            int e = Math.min((b / L + 1) * L, end);
            out.add(new int[] {b, e});
            b = e;
        }
        return out;
    }

    /** Relative position used for estimation: the critical query positions of §1's table. */
    static long criticalRelative(DcaConfig dca, long p, long j) {
        if (dca == null) return p - j;
        long L = dca.chunkLen();
        long i = p % L;
        long queryPos;
        if (j / L == p / L) queryPos = i;
        else if (j / L == p / L - 1) queryPos = L + i;
        else queryPos = dca.chunkSize() + i;
        return queryPos - j % L;
    }

    record Selection(TreeSet<Integer> verticals, TreeSet<Integer> slashes, double[] vertical, double[] slash) {}

    /** Steps 1–3 for the piece [begin, end), one head, every row at one logit scale. q row p at p × qDim. */
    static Selection select(RandomKv kv, float[] q, int begin, int end, int head, double scale, int vSize, int sSize) {
        return select(kv, q, begin, end, head, p -> scale, vSize, sSize);
    }

    /** The same with the logit scale of the query at position p given per row (the position temperature rule). */
    static Selection select(RandomKv kv, float[] q, int begin, int end, int head,
                            java.util.function.IntToDoubleFunction scaleAt, int vSize, int sSize) {
        AttentionGeometry g = kv.geometry();
        int d = g.headDim();
        int nq = Math.min(64, end - begin);
        double[][] a = new double[nq][end];
        for (int r = 0; r < nq; r++) {
            int p = end - nq + r;
            double max = Double.NEGATIVE_INFINITY;
            double[] logit = new double[p + 1];
            for (int j = 0; j <= p; j++) {
                double[] rq = NaiveAttention.rotate(q, p * g.qDim() + head * d, d, g.ropeTheta(),
                        criticalRelative(g.dca(), p, j));
                double s = 0;
                for (int i = 0; i < d; i++) s += rq[i] * kv.key(j, head / g.groupSize(), i);
                logit[j] = s * scaleAt.applyAsDouble(p);
                max = Math.max(max, logit[j]);
            }
            double sum = 0;
            for (int j = 0; j <= p; j++) sum += Math.exp(logit[j] - max);
            for (int j = 0; j <= p; j++) a[r][j] = Math.exp(logit[j] - max) / sum;
        }
        double[] v = new double[end];
        double[] s = new double[end];
        for (int j = 0; j < end; j++) {
            for (int r = 0; r < nq; r++) v[j] += a[r][j];
        }
        for (int t = 0; t < end; t++) {
            for (int r = 0; r < nq; r++) {
                int j = t - (nq - 1 - r);
                if (j >= 0) s[t] += a[r][j];
            }
        }
        for (int j = 0; j < Math.min(30, end); j++) v[j] = Double.POSITIVE_INFINITY;
        for (int t = Math.max(0, end - 100); t < end; t++) s[t] = Double.POSITIVE_INFINITY;
        return new Selection(top(v, vSize, false), top(s, sSize, true), v, s);
    }

    /** Top k by score; ties to the lower index, or the higher one for slashes (nearest diagonals first). */
    static TreeSet<Integer> top(double[] score, int k, boolean preferHigh) {
        List<Integer> idx = new ArrayList<>();
        for (int i = 0; i < score.length; i++) idx.add(i);
        idx.sort(Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> preferHigh ? -i : i));
        return new TreeSet<>(idx.subList(0, Math.min(k, idx.size())));
    }

    /** DCA part key ranges of a piece, §1: intra, succ, inter (or one range without DCA). */
    static List<int[]> partRanges(DcaConfig dca, int begin, int end) {
        List<int[]> r = new ArrayList<>();
        if (dca == null) {
            r.add(new int[] {0, end});
            return r;
        }
        int L = dca.chunkLen();
        int prev = begin / L * L;
        r.add(new int[] {prev, end});
        if (prev >= L) r.add(new int[] {prev - L, prev});
        if (prev >= 2 * L) r.add(new int[] {0, prev - L});
        return r;
    }

    /**
     * Keys a query block [qa, qz] selects before the causal mask: kept verticals, and for each kept diagonal at
     * distance d every key it crosses in the block, [qa − d, qz − d].
     */
    static boolean inBlockSet(Selection sel, int end, int qa, int qz, int j) {
        if (j > qz) return false;
        if (sel.verticals().contains(j)) return true;
        for (int t : sel.slashes()) {
            int d = end - 1 - t;
            if (j <= qz - d && j >= qa - d) return true;
        }
        return false;
    }

    /** Explicit key sets of every query of a piece, and whether some part got the fallback keys. */
    record PieceSets(IntPredicate[] rows, boolean usedFallback) {}

    /**
     * The explicit key set of every query of the piece for one head. A part whose range no block's set reaches
     * gets from + ⌊k·size/5⌋, k = 0..4 (all of its keys when it has fewer than 5).
     */
    static PieceSets keySets(DcaConfig dca, int begin, int end, Selection sel) {
        List<int[]> ranges = partRanges(dca, begin, end);
        int blocks = (end - begin + 63) / 64;
        boolean[][] base = new boolean[blocks][end];
        for (int b = 0; b < blocks; b++) {
            int qa = begin + 64 * b;
            int qz = Math.min(qa + 63, end - 1);
            for (int j = 0; j < end; j++) base[b][j] = inBlockSet(sel, end, qa, qz, j);
        }
        List<TreeSet<Integer>> fallback = new ArrayList<>();
        boolean used = false;
        for (int[] range : ranges) {
            boolean reached = false;
            for (int b = 0; b < blocks; b++) {
                for (int j = range[0]; j < range[1]; j++) reached |= base[b][j];
            }
            TreeSet<Integer> fb = null;
            if (!reached) {
                used = true;
                fb = new TreeSet<>();
                int size = range[1] - range[0];
                if (size < 5) for (int j = range[0]; j < range[1]; j++) fb.add(j);
                else for (int k = 0; k < 5; k++) fb.add(range[0] + k * size / 5);
            }
            fallback.add(fb);
        }
        IntPredicate[] rows = new IntPredicate[end - begin];
        for (int p = begin; p < end; p++) {
            boolean[] blockSet = base[(p - begin) / 64];
            rows[p - begin] = j -> {
                for (int a = 0; a < ranges.size(); a++) {
                    if (j < ranges.get(a)[0] || j >= ranges.get(a)[1]) continue;
                    TreeSet<Integer> fb = fallback.get(a);
                    return fb != null ? fb.contains(j) : blockSet[j];
                }
                return false;
            };
        }
        return new PieceSets(rows, used);
    }
}
