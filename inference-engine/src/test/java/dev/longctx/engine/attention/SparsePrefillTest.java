package dev.longctx.engine.attention;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.model.DcaConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import java.util.function.IntPredicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sparse vertical-slash prefill (ALGORITHMS.md §2) and attention recall (§3) against the naive explicit-key-set
 * reference, on DCA (chunk_size 64, local_size 16 → L = 48) and plain RoPE geometries.
 */
class SparsePrefillTest {
    static final DcaConfig DCA = new DcaConfig(64, 16, 100);
    static final double TOL = 1e-5;

    static AttentionGeometry geometry(DcaConfig dca) {
        return new AttentionGeometry(6, 2, 16, 10000.0, dca);
    }

    /** One layer; head h gets vertical v0 + h·dv and slash s0 + h·ds. */
    static SparseAttentionConfig budgets(int heads, int v0, int dv, int s0, int ds) {
        List<SparseAttentionConfig.HeadBudget> layer = new ArrayList<>();
        for (int h = 0; h < heads; h++) layer.add(new SparseAttentionConfig.HeadBudget(v0 + h * dv, s0 + h * ds, Double.NaN));
        return new SparseAttentionConfig(List.of(layer));
    }

    /** Collects what the attention reports. */
    static final class Recorded implements RecallRecorder {
        final double[] recall = new double[6];
        final long[] rows = new long[6];
        final long[] computed = new long[6];
        final long[] causal = new long[6];

        @Override
        public synchronized void record(int layer, int head, double recallSum, long n, long computedPairs, long causalPairs) {
            recall[head] += recallSum;
            rows[head] += n;
            computed[head] += computedPairs;
            causal[head] += causalPairs;
        }
    }

    @Test
    void selectionEqualsNaiveSelection() {
        for (DcaConfig dca : new DcaConfig[] {DCA, null}) {
            AttentionGeometry g = geometry(dca);
            int t = 260;
            RandomKv kv = RandomKv.create(g, t, 21);
            float[] q = RandomKv.queries(g, t, 22);
            int[][] pieces = dca == null ? new int[][] {{0, 40}, {0, 200}, {150, 260}} : new int[][] {{0, 40}, {96, 144}, {200, 240}, {240, 260}};
            double scale = NaiveAttention.scale(dca, 16, t);
            for (int[] pc : pieces) {
                Piece piece = Piece.split(dca, pc[0], pc[1]).get(0);
                assertThat(piece.end()).isEqualTo(pc[1]);
                PieceQueries pq = new PieceQueries(new Rope(16, g.ropeTheta()), dca, q, g.qDim(), 0, piece);
                pq.prepareCritical(piece.rows() - Math.min(64, piece.rows()));
                for (int h = 0; h < 6; h++) {
                    int v = 30 + 11 * h;
                    int s = 100 + 13 * h;
                    VerticalSlash.Selection got = VerticalSlash.estimate(pq, kv.kv(), 0, h, h / 3, (float) scale, v, s);
                    NaiveSparse.Selection want = NaiveSparse.select(kv, q, pc[0], pc[1], h, scale, v, s);
                    String where = "dca=" + (dca != null) + " piece " + Arrays.toString(pc) + " head " + h;
                    assertThat(set(got.verticals())).as("verticals, " + where).isEqualTo(want.verticals());
                    assertThat(set(got.slashes())).as("slashes, " + where).isEqualTo(want.slashes());
                    // Guard against a vacuous test: the budgets must actually drop keys here.
                    if (pc[1] > v) assertThat(got.verticals()).hasSize(v);
                }
            }
        }
    }

    @Test
    void estimationInRowGroupsEqualsAllRowsAtOnce() {
        AttentionGeometry g = geometry(DCA);
        int t = 260;
        RandomKv kv = RandomKv.create(g, t, 25);
        float[] q = RandomKv.queries(g, t, 26);
        Piece piece = Piece.split(DCA, 240, 260).get(0);
        PieceQueries pq = new PieceQueries(new Rope(16, g.ropeTheta()), DCA, q, g.qDim(), 0, piece);
        pq.prepareCritical(0);
        float scale = (float) NaiveAttention.scale(DCA, 16, t);
        for (int h = 0; h < 6; h++) {
            VerticalSlash.Scores all = VerticalSlash.scores(pq, kv.kv(), 0, h, h / 3, scale);
            // Room for 3 rows of logits: the 20 query rows go in 7 groups.
            VerticalSlash.Scores grouped = VerticalSlash.scores(pq, kv.kv(), 0, h, h / 3, scale, 3 * (t + 64));
            assertThat(grouped.vertical()).as("head %d", h).containsExactly(all.vertical());
            assertThat(grouped.slash()).as("head %d", h).containsExactly(all.slash());
        }
    }

    @Test
    void budgetsCoveringEveryKeyEqualDenseWithRecallOne() {
        for (DcaConfig dca : new DcaConfig[] {DCA, null}) {
            AttentionGeometry g = geometry(dca);
            int t = 5 * 48 + 21;
            RandomKv kv = RandomKv.create(g, t, 23);
            float[] q = RandomKv.queries(g, t, 24);
            CpuAttention dense = new CpuAttention(g);
            CpuAttention sparse = new CpuAttention(g, budgets(6, t, 0, t, 0), 0, null);
            for (int[] call : new int[][] {{0, t}, {100, t}, {0, 50}, {50, 150}}) {
                int start = call[0], n = call[1] - call[0];
                float[] qs = Arrays.copyOfRange(q, start * g.qDim(), call[1] * g.qDim());
                float[] a = new float[qs.length];
                float[] b = new float[qs.length];
                Recorded rec = new Recorded();
                dense.forward(0, qs, n, start, kv.kv(), AttentionOptions.dense(t), a);
                sparse.forward(0, qs, n, start, kv.kv(), new AttentionOptions(t, true, rec), b);
                assertThat(CpuAttentionDcaTest.maxAbsDiff(a, b)).as("call %s", Arrays.toString(call)).isLessThanOrEqualTo(TOL);
                for (int h = 0; h < 6; h++) {
                    assertThat(rec.rows[h]).isEqualTo(n);
                    assertThat(rec.recall[h] / n).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
                    assertThat(rec.computed[h]).isEqualTo(rec.causal[h]).isEqualTo(RecallTally.causalPairs(start, call[1]));
                }
            }
        }
    }

    @Test
    void dcaSparsePrefillEqualsNaiveOnExplicitKeySets() {
        int t = 8 * 48 + 17; // 9 DCA chunks, so inter parts are long enough to be sparse
        assertThat(checkAgainstNaive(geometry(DCA), t, 0, t, 25)).as("some part used the fallback keys").isTrue();
        checkAgainstNaive(geometry(DCA), t, 150, t, 26); // after a cached prefix, starting mid-chunk
    }

    @Test
    void underThePositionRuleEachRowEstimatesAndAttendsAtItsOwnScale() {
        // P = 100: rows past position 99 have s_f(p + 1) > 1, each its own, in estimation and in the kernel.
        int t = 8 * 48 + 17;
        checkAgainstNaive(geometry(DCA), t, 0, t, 31, DcaScaleRule.POSITION);
        checkAgainstNaive(geometry(DCA), t, 150, t, 32, DcaScaleRule.POSITION);
    }

    @Test
    void plainSparsePrefillEqualsNaiveOnExplicitKeySets() {
        // Without DCA one call is one piece: several 64-row query blocks share one estimation.
        checkAgainstNaive(geometry(null), 330, 0, 330, 27);
        checkAgainstNaive(geometry(null), 330, 130, 330, 28);
    }

    private static boolean checkAgainstNaive(AttentionGeometry g, int t, int start, int end, long seed) {
        return checkAgainstNaive(g, t, start, end, seed, DcaScaleRule.REQUEST);
    }

    /** @return whether the naive reference gave some part the fallback keys */
    private static boolean checkAgainstNaive(AttentionGeometry g, int t, int start, int end, long seed, DcaScaleRule rule) {
        RandomKv kv = RandomKv.create(g, t, seed);
        float[] q = RandomKv.queries(g, t, seed + 100);
        SparseAttentionConfig cfg = mixedBudgets();
        java.util.function.IntToDoubleFunction scaleAt = p -> NaiveAttention.scale(g.dca(), 16, rule == DcaScaleRule.REQUEST ? t : p + 1);
        float[] qs = Arrays.copyOfRange(q, start * g.qDim(), end * g.qDim());
        float[] out = new float[qs.length];
        Recorded rec = new Recorded();
        new CpuAttention(g, cfg, 0, null).forward(0, qs, end - start, start, kv.kv(), new AttentionOptions(t, true, rec, rule), out);

        // keySets[h][p - start]
        IntPredicate[][] sets = new IntPredicate[6][end - start];
        boolean fallback = false;
        for (int[] pc : NaiveSparse.pieces(g.dca(), start, end)) {
            for (int h = 0; h < 6; h++) {
                var b = cfg.budget(0, h);
                NaiveSparse.Selection sel = NaiveSparse.select(kv, q, pc[0], pc[1], h, scaleAt, b.verticalSize(), b.slashSize());
                NaiveSparse.PieceSets ps = NaiveSparse.keySets(g.dca(), pc[0], pc[1], sel);
                fallback |= ps.usedFallback();
                System.arraycopy(ps.rows(), 0, sets[h], pc[0] - start, ps.rows().length);
            }
        }
        long[][] rel = NaiveAttention.relativePositions(g.dca(), end);
        double[] naiveRecall = new double[6];
        long[] naiveComputed = new long[6];
        for (int p = start; p < end; p++) {
            final int row = p - start;
            double scale = scaleAt.applyAsDouble(p);
            NaiveAttention.Row sparse = NaiveAttention.row(kv, q, p, p, scale, rel, (h, pos) -> sets[h][row]);
            NaiveAttention.Row full = NaiveAttention.row(kv, q, p, p, scale, rel, null);
            for (int i = 0; i < g.qDim(); i++) {
                double diff = Math.abs(sparse.out()[i] - out[row * g.qDim() + i]);
                if (!(diff <= TOL)) {
                    throw new AssertionError("position " + p + " element " + i + ": naive " + sparse.out()[i]
                            + ", got " + out[row * g.qDim() + i] + " (dense would be " + full.out()[i] + ")");
                }
            }
            for (int h = 0; h < 6; h++) {
                naiveRecall[h] += Math.exp(sparse.lse()[h] - full.lse()[h]);
                for (int j = 0; j <= p; j++) if (sets[h][row].test(j)) naiveComputed[h]++;
            }
        }
        long causal = RecallTally.causalPairs(start, end);
        for (int h = 0; h < 6; h++) {
            assertThat(rec.recall[h]).as("recall head %d", h).isCloseTo(naiveRecall[h], org.assertj.core.data.Offset.offset(1e-4 * (end - start)));
            assertThat(rec.computed[h]).as("computed pairs head %d", h).isEqualTo(naiveComputed[h]);
            assertThat(rec.causal[h]).isEqualTo(causal);
            // Small budgets must really be sparse and lose some softmax mass.
            assertThat(rec.computed[h]).isLessThan(causal);
            assertThat(rec.recall[h] / rec.rows[h]).isLessThan(1 - 1e-4).isGreaterThan(0.0);
        }
        return fallback;
    }

    /**
     * Budgets small enough for these short sequences to be sparse: head 0 has no verticals and only the 20 nearest
     * diagonals (so parts beyond them get the fallback keys), the others add score-chosen verticals and slashes to
     * the forced ones.
     */
    static SparseAttentionConfig mixedBudgets() {
        List<SparseAttentionConfig.HeadBudget> layer = new ArrayList<>();
        layer.add(new SparseAttentionConfig.HeadBudget(0, 20, Double.NaN));
        for (int h = 1; h < 6; h++) layer.add(new SparseAttentionConfig.HeadBudget(28 + 2 * h, 100 + h % 3, Double.NaN));
        return new SparseAttentionConfig(List.of(layer));
    }

    @Test
    void shortPromptsDecodeAndSparseOffRunDense() {
        AttentionGeometry g = geometry(DCA);
        int t = 200;
        RandomKv kv = RandomKv.create(g, t, 29);
        float[] q = RandomKv.queries(g, t, 30);
        SparseAttentionConfig small = budgets(6, 30, 0, 100, 0);
        float[] dense = new float[q.length];
        new CpuAttention(g).forward(0, q, t, 0, kv.kv(), AttentionOptions.dense(t), dense);

        float[] out = new float[q.length];
        // Prompt not longer than the threshold: dense.
        new CpuAttention(g, small, t, null).forward(0, q, t, 0, kv.kv(), new AttentionOptions(t, true, null), out);
        assertThat(out).containsExactly(dense);
        // Sparse switched off: dense.
        new CpuAttention(g, small, 0, null).forward(0, q, t, 0, kv.kv(), new AttentionOptions(t, false, null), out);
        assertThat(out).containsExactly(dense);
        // Above the threshold it is sparse (so the two checks above are not vacuous).
        new CpuAttention(g, small, t - 1, null).forward(0, q, t, 0, kv.kv(), new AttentionOptions(t, true, null), out);
        assertThat(CpuAttentionDcaTest.maxAbsDiff(out, dense)).isGreaterThan(1e-4);
        // Decode is always dense.
        float[] step = new float[g.qDim()];
        new CpuAttention(g, small, 0, null).forward(0, Arrays.copyOfRange(q, (t - 1) * g.qDim(), t * g.qDim()), 1, t - 1,
                kv.kv(), new AttentionOptions(t, true, null), step);
        assertThat(step).containsExactly(Arrays.copyOfRange(dense, (t - 1) * g.qDim(), t * g.qDim()));
        assertThat(EngineOptions.defaults().sparseThreshold()).isEqualTo(32768);
        assertThat(new CpuAttention(g, small, EngineOptions.DEFAULT_SPARSE_THRESHOLD, null)
                .usesSparse(0, 32768, new AttentionOptions(32768, true, null))).isFalse();
        assertThat(new CpuAttention(g, small, EngineOptions.DEFAULT_SPARSE_THRESHOLD, null)
                .usesSparse(0, 2048, new AttentionOptions(32769, true, null))).isTrue();
    }

    @Test
    void blockKeysAndFallbackFollowTheDefinition() {
        // Slashes at distances 0 and 200 from a block [300, 363] of a piece ending at 400.
        VerticalSlash.Selection sel = new VerticalSlash.Selection(new int[] {0, 5, 120, 250, 390}, new int[] {199, 399}, 400);
        int[] keys = VerticalSlash.blockKeys(sel, 300, 363);
        TreeSet<Integer> want = new TreeSet<>(List.of(0, 5, 250));
        for (int j = 300 - 200; j <= 363 - 200; j++) want.add(j);
        for (int j = 300; j <= 363; j++) want.add(j);
        assertThat(set(keys)).isEqualTo(want);
        assertThat(keys).isSorted();
        assertThat(VerticalSlash.fallbackKeys(100, 200)).containsExactly(100, 120, 140, 160, 180);
        assertThat(VerticalSlash.fallbackKeys(10, 13)).containsExactly(10, 11, 12);
        // A partial block [300, 310] crosses only 11 keys of each diagonal.
        assertThat(VerticalSlash.blockKeys(sel, 300, 310)).containsExactly(0, 5, 100, 101, 102, 103, 104, 105, 106,
                107, 108, 109, 110, 120, 250, 300, 301, 302, 303, 304, 305, 306, 307, 308, 309, 310);
        assertThat(VerticalSlash.reaches(sel, 300, 200, 250)).isFalse();
        assertThat(VerticalSlash.reaches(sel, 300, 200, 251)).isTrue();   // vertical 250
        assertThat(VerticalSlash.reaches(sel, 300, 199, 200)).isTrue();   // diagonal d = 200 reaches 199 for q 399
        float inf = Float.POSITIVE_INFINITY;
        assertThat(VerticalSlash.topK(new float[] {1, 3, 3, 2, inf}, 3, false)).containsExactly(1, 2, 4);
        assertThat(VerticalSlash.topK(new float[] {1, 3, 3, 2}, 1, false)).containsExactly(1);
        assertThat(VerticalSlash.topK(new float[] {1, 3, 3, 2}, 1, true)).containsExactly(2);
        assertThat(VerticalSlash.topK(new float[] {inf, inf, inf}, 2, true)).containsExactly(1, 2);
        assertThat(VerticalSlash.topK(new float[] {5, 3, 3, 2}, 9, false)).containsExactly(0, 1, 2, 3);
    }

    static TreeSet<Integer> set(int[] a) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int x : a) s.add(x);
        return s;
    }
}
