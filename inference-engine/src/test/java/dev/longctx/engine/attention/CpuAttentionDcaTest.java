package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Dense RoPE attention and Dual Chunk Attention against the naive per-(query, key) reference. chunk_size 64,
 * local_size 16 → L = 48; P = 100, so prompts longer than 100 exercise the s_f(T)² temperature too.
 */
class CpuAttentionDcaTest {
    static final DcaConfig DCA = new DcaConfig(64, 16, 100);
    static final int T = 5 * 48 + 21; // spans 6 DCA chunks, ends mid-chunk
    static final double TOL = 1e-5;

    static AttentionGeometry geometry(int heads, int kvHeads, DcaConfig dca) {
        return new AttentionGeometry(heads, kvHeads, 16, 10000.0, dca);
    }

    @Test
    void plainRopeEqualsNaive() {
        AttentionGeometry g = geometry(4, 2, null);
        RandomKv kv = RandomKv.create(g, 150, 1);
        float[] q = RandomKv.queries(g, 150, 2);
        float[] out = new float[q.length];
        new CpuAttention(g).forward(0, q, 150, 0, kv.kv(), AttentionOptions.dense(150), out);
        assertMatchesNaive(kv, q, 0, out, 0, 150, 150);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 17, 47, 48})
    void dcaIsPlainRopeWhenTheSequenceFitsOneChunk(int length) {
        AttentionGeometry dca = geometry(6, 2, DCA);
        AttentionGeometry plain = geometry(6, 2, null);
        // Below L the key positions p mod L are p, so one cache serves both.
        RandomKv kv = RandomKv.create(dca, length, 3);
        float[] q = RandomKv.queries(dca, length, 4);
        float[] a = new float[q.length];
        float[] b = new float[q.length];
        new CpuAttention(dca).forward(0, q, length, 0, kv.kv(), AttentionOptions.dense(length), a);
        new CpuAttention(plain).forward(0, q, length, 0, kv.kv(), AttentionOptions.dense(length), b);
        assertThat(maxAbsDiff(a, b)).isLessThanOrEqualTo(1e-6);
        assertMatchesNaive(kv, q, 0, a, 0, length, length);
    }

    @Test
    void dcaPrefillFromZeroEqualsNaive() {
        for (int[] heads : new int[][] {{4, 2}, {6, 2}}) {
            AttentionGeometry g = geometry(heads[0], heads[1], DCA);
            RandomKv kv = RandomKv.create(g, T, 5);
            float[] q = RandomKv.queries(g, T, 6);
            float[] out = new float[q.length];
            new CpuAttention(g).forward(0, q, T, 0, kv.kv(), AttentionOptions.dense(T), out);
            assertMatchesNaive(kv, q, 0, out, 0, T, T);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 30, 47, 48, 49, 96, 150, 260})
    void dcaPrefillAfterACachedPrefixEqualsNaive(int prefix) {
        AttentionGeometry g = geometry(6, 2, DCA);
        RandomKv kv = RandomKv.create(g, T, 7);
        float[] q = RandomKv.queries(g, T, 8);
        int n = T - prefix;
        float[] qNew = Arrays.copyOfRange(q, prefix * g.qDim(), T * g.qDim());
        float[] out = new float[qNew.length];
        new CpuAttention(g).forward(0, qNew, n, prefix, kv.kv(), AttentionOptions.dense(T), out);
        assertMatchesNaive(kv, q, prefix, out, 0, n, T);
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 7, 48, 100})
    void chunkedPrefillEqualsNaiveForEveryPieceSize(int pieceSize) {
        AttentionGeometry g = geometry(4, 2, DCA);
        RandomKv kv = RandomKv.create(g, T, 9);
        float[] q = RandomKv.queries(g, T, 10);
        float[] out = new float[q.length];
        CpuAttention attention = new CpuAttention(g, null, 0, null, 29);
        for (int s = 0; s < T; s += pieceSize) {
            int n = Math.min(pieceSize, T - s);
            float[] qp = Arrays.copyOfRange(q, s * g.qDim(), (s + n) * g.qDim());
            float[] op = new float[qp.length];
            attention.forward(0, qp, n, s, kv.kv().withLength(s + n), AttentionOptions.dense(T), op);
            System.arraycopy(op, 0, out, s * g.qDim(), op.length);
        }
        assertMatchesNaive(kv, q, 0, out, 0, T, T);
    }

    @Test
    void decodeEqualsNaiveAndPrefillAtEveryPosition() {
        AttentionGeometry g = geometry(6, 2, DCA);
        RandomKv kv = RandomKv.create(g, T, 11);
        float[] q = RandomKv.queries(g, T, 12);
        CpuAttention attention = new CpuAttention(g);
        CpuAttention segmented = new CpuAttention(g, null, 0, null, 13);
        float[] prefill = new float[q.length];
        attention.forward(0, q, T, 0, kv.kv(), AttentionOptions.dense(T), prefill);
        long[][] rel = NaiveAttention.relativePositions(DCA, T);
        for (int p = 0; p < T; p++) {
            float[] qp = Arrays.copyOfRange(q, p * g.qDim(), (p + 1) * g.qDim());
            float[] step = new float[g.qDim()];
            // Decode during generation: T is the current length.
            attention.forward(0, qp, 1, p, kv.kv().withLength(p + 1), AttentionOptions.dense(p + 1), step);
            assertRow(kv, q, p, step, 0, NaiveAttention.scale(DCA, 16, p + 1), rel);
            // Decode splits keys into segments merged by LSE; small segments make every part split.
            segmented.forward(0, qp, 1, p, kv.kv().withLength(p + 1), AttentionOptions.dense(p + 1), step);
            assertRow(kv, q, p, step, 0, NaiveAttention.scale(DCA, 16, p + 1), rel);
            // With the same scale length, decode and prefill are the same computation.
            attention.forward(0, qp, 1, p, kv.kv().withLength(p + 1), AttentionOptions.dense(T), step);
            float[] prefRow = Arrays.copyOfRange(prefill, p * g.qDim(), (p + 1) * g.qDim());
            assertThat(maxAbsDiff(step, prefRow)).as("decode vs prefill at %d", p).isLessThanOrEqualTo(TOL);
        }
    }

    @Test
    void dcaWhereTheInterPositionIsCappedBelowTheChunkSizeEqualsNaive() {
        // local_size > chunk_size / 2 makes 2L − 1 < c, so q_inter sits at 2L − 1 and q_succ is never capped:
        // the other branch of both min()s of §1 (the 1M models cap at c).
        DcaConfig dca = new DcaConfig(64, 40, 100);
        AttentionGeometry g = geometry(6, 2, dca);
        int t = 7 * 24 + 5;
        RandomKv kv = RandomKv.create(g, t, 8, 19);
        float[] q = RandomKv.queries(g, t, 20);
        CpuAttention attention = new CpuAttention(g);
        float[] out = new float[q.length];
        attention.forward(0, q, t, 0, kv.kv(), AttentionOptions.dense(t), out);
        assertMatchesNaive(kv, q, 0, out, 0, t, t);
        for (int s = 0; s < t; s += 7) {
            int n = Math.min(7, t - s);
            float[] op = new float[n * g.qDim()];
            attention.forward(0, Arrays.copyOfRange(q, s * g.qDim(), (s + n) * g.qDim()), n, s, kv.kv(),
                    AttentionOptions.dense(t), op);
            assertThat(maxAbsDiff(op, Arrays.copyOfRange(out, s * g.qDim(), (s + n) * g.qDim()))).isLessThanOrEqualTo(TOL);
        }
    }

    @Test
    void theDcaTemperatureIsApplied() {
        // Guards the reference itself: at T = 261 > P = 100 the scale differs from 1/√d.
        assertThat(NaiveAttention.scale(DCA, 16, T)).isGreaterThan(1.0 / 4 * 1.01);
        AttentionGeometry g = geometry(4, 2, DCA);
        RandomKv kv = RandomKv.create(g, T, 13);
        float[] q = RandomKv.queries(g, T, 14);
        float[] hot = new float[q.length];
        float[] cold = new float[q.length];
        new CpuAttention(g).forward(0, q, T, 0, kv.kv(), AttentionOptions.dense(T), hot);
        new CpuAttention(g).forward(0, q, T, 0, kv.kv(), AttentionOptions.dense(50), cold);
        assertThat(maxAbsDiff(hot, cold)).isGreaterThan(1e-3);
    }

    @Test
    void aBlockSizeThatDoesNotDivideTheChunkLengthIsRejected() {
        AttentionGeometry g = geometry(4, 2, DCA);
        CpuAttention.checkBlockSize(g, 16);
        CpuAttention.checkBlockSize(g, 48);
        CpuAttention.checkBlockSize(geometry(4, 2, null), 7);
        assertThatThrownBy(() -> CpuAttention.checkBlockSize(g, 32))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32").hasMessageContaining("48");
        RandomKv kv = RandomKv.create(g, 64, 32, 15);
        float[] q = RandomKv.queries(g, 64, 16);
        assertThatThrownBy(() -> new CpuAttention(g).forward(0, q, 64, 0, kv.kv(), AttentionOptions.dense(64),
                new float[q.length])).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("divide");
    }

    @Test
    void resultsDoNotDependOnTheThreadPool() {
        AttentionGeometry g = geometry(6, 2, DCA);
        RandomKv kv = RandomKv.create(g, T, 17);
        float[] q = RandomKv.queries(g, T, 18);
        float[] a = new float[q.length];
        float[] b = new float[q.length];
        new CpuAttention(g).forward(0, q, T, 0, kv.kv(), AttentionOptions.dense(T), a);
        try (var single = new java.util.concurrent.ForkJoinPool(1)) {
            new CpuAttention(g, null, 0, single).forward(0, q, T, 0, kv.kv(), AttentionOptions.dense(T), b);
        }
        assertThat(b).containsExactly(a);
    }

    // ---- helpers ----

    /** Rows [first, first + n) of out (row r at outRow0 + r − first) against the naive reference at length T. */
    static void assertMatchesNaive(RandomKv kv, float[] q, int first, float[] out, int outRow0, int n, int t) {
        AttentionGeometry g = kv.geometry();
        double scale = NaiveAttention.scale(g.dca(), g.headDim(), t);
        long[][] rel = NaiveAttention.relativePositions(g.dca(), first + n);
        for (int p = first; p < first + n; p++) {
            assertRow(kv, q, p, out, (outRow0 + p - first) * g.qDim(), scale, rel);
        }
    }

    static void assertRow(RandomKv kv, float[] q, int p, float[] out, int off, double scale, long[][] rel) {
        NaiveAttention.Row expected = NaiveAttention.row(kv, q, p, p, scale, rel, null);
        for (int i = 0; i < expected.out().length; i++) {
            double diff = Math.abs(expected.out()[i] - out[off + i]);
            if (!(diff <= TOL)) {
                throw new AssertionError("position " + p + ", element " + i + ": expected " + expected.out()[i]
                        + " got " + out[off + i]);
            }
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }
}
