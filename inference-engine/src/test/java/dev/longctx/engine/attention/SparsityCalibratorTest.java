package dev.longctx.engine.attention;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SparsityCalibratorTest {
    @TempDir
    Path tmp;

    /** A model whose head (l, h) keeps 1 − exp(−(v + s)/τ) of the mass; τ grows with the head index. */
    static final class FakeModel implements SparsityCalibrator.RecallProbe {
        final List<SparseAttentionConfig> seen = new ArrayList<>();

        static double tau(int l, int h) {
            return 20.0 + 37.0 * h + 11.0 * l;
        }

        static double recall(int l, int h, SparseAttentionConfig.HeadBudget b) {
            return 1 - Math.exp(-(b.verticalSize() + b.slashSize()) / tau(l, h));
        }

        @Override
        public double[][] measure(SparseAttentionConfig c) {
            seen.add(c);
            double[][] r = new double[c.numLayers()][c.numHeads()];
            for (int l = 0; l < r.length; l++) for (int h = 0; h < r[l].length; h++) r[l][h] = recall(l, h, c.budget(l, h));
            return r;
        }
    }

    @Test
    void raisesOnlyFailingHeadsUntilAllPassAndRecordsTheMeasuredRecall() {
        FakeModel model = new FakeModel();
        List<SparsityCalibrator.Round> rounds = new ArrayList<>();
        var settings = new SparsityCalibrator.Settings(0.95, 1.5, 64, 100_000, 30);
        SparseAttentionConfig start = SparseAttentionConfig.uniform(3, 5, 30, 100);
        var result = new SparsityCalibrator(model, settings, rounds::add).calibrate(start);

        assertThat(result.passed()).isTrue();
        assertThat(result.capped()).isEmpty();
        assertThat(rounds).hasSize(result.rounds()).hasSize(model.seen.size());
        assertThat(result.rounds()).isGreaterThan(1);
        assertThat(rounds.get(rounds.size() - 1).failingHeads()).isZero();
        for (int i = 1; i < rounds.size(); i++) {
            assertThat(rounds.get(i).failingHeads()).isLessThanOrEqualTo(rounds.get(i - 1).failingHeads());
        }
        for (int l = 0; l < 3; l++) {
            for (int h = 0; h < 5; h++) {
                var b = result.config().budget(l, h);
                assertThat(b.score()).isEqualTo(FakeModel.recall(l, h, b)).isGreaterThanOrEqualTo(0.95);
                var initial = start.budget(l, h);
                if (FakeModel.recall(l, h, initial) >= 0.95) {
                    assertThat(b.verticalSize()).isEqualTo(initial.verticalSize());
                    assertThat(b.slashSize()).isEqualTo(initial.slashSize());
                } else {
                    // Not raised further than needed: one step less would still fail.
                    var before = model.seen.get(model.seen.size() - 1).budget(l, h);
                    assertThat(b).extracting("verticalSize").isEqualTo(before.verticalSize());
                    assertThat(b.verticalSize()).isGreaterThan(initial.verticalSize());
                    assertThat(previousFails(l, h, b, settings)).isTrue();
                }
            }
        }
        // Deterministic: a second run gives the same config.
        var again = new SparsityCalibrator(new FakeModel(), settings, null).calibrate(start);
        assertThat(again.config()).isEqualTo(result.config());
    }

    /** Whether the budget one growth step below b fails (b came from it by ×1.5 / +64). */
    private static boolean previousFails(int l, int h, SparseAttentionConfig.HeadBudget b, SparsityCalibrator.Settings s) {
        // Walk the growth sequence from the start and find the step before b.
        int v = 30, sl = 100;
        var calib = new SparsityCalibrator(c -> null, s, null);
        var cur = new SparseAttentionConfig.HeadBudget(v, sl, Double.NaN);
        SparseAttentionConfig.HeadBudget prev = null;
        while (cur.verticalSize() < b.verticalSize()) {
            prev = cur;
            cur = calib.raise(cur);
        }
        assertThat(cur.verticalSize()).isEqualTo(b.verticalSize());
        assertThat(cur.slashSize()).isEqualTo(b.slashSize());
        return prev != null && FakeModel.recall(l, h, prev) < 0.95;
    }

    @Test
    void headsThatCannotPassStopAtTheCap() {
        FakeModel model = new FakeModel();
        var settings = new SparsityCalibrator.Settings(0.999, 2.0, 16, 300, 50);
        var result = new SparsityCalibrator(model, settings, null).calibrate(SparseAttentionConfig.uniform(1, 4, 0, 0));
        assertThat(result.passed()).isFalse();
        // τ = 20 + 37h: 1 − e^{−600/τ} ≥ 0.999 needs τ ≤ 86.9, so heads 0 and 1 pass and 2, 3 stop at the cap.
        assertThat(result.capped()).containsExactly("0/2", "0/3");
        assertThat(result.config().budget(0, 3)).extracting("verticalSize", "slashSize").containsExactly(300, 300);
        assertThat(result.rounds()).isLessThan(50);
        assertThat(result.config().budget(0, 3).score()).isEqualTo(FakeModel.recall(0, 3, result.config().budget(0, 3)));
    }

    @Test
    void aProbeThatMeasuredNothingIsAnError() {
        var settings = SparsityCalibrator.Settings.defaults(1000);
        var cal = new SparsityCalibrator(c -> new double[][] {{Double.NaN}}, settings, null);
        assertThatThrownBy(() -> cal.calibrate(SparseAttentionConfig.uniform(1, 1, 30, 100)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("layer 0, head 0");
    }

    @Test
    void calibratesRealSparseAttentionOnRandomKv() {
        AttentionGeometry g = new AttentionGeometry(6, 2, 16, 10000.0, null);
        int t = 300;
        RandomKv kv = RandomKv.create(g, t, 41);
        float[] q = RandomKv.queries(g, t, 42);
        SparsityCalibrator.RecallProbe probe = cfg -> {
            RecallAccumulator acc = new RecallAccumulator(1, 6);
            new CpuAttention(g, cfg, 0, null).forward(0, q, t, 0, kv.kv(), new AttentionOptions(t, true, acc), new float[q.length]);
            return acc.meanRecall();
        };
        List<SparsityCalibrator.Round> rounds = new ArrayList<>();
        var result = new SparsityCalibrator(probe, SparsityCalibrator.Settings.defaults(t), rounds::add)
                .calibrate(SparseAttentionConfig.uniform(1, 6, 30, 100));
        assertThat(rounds.get(0).failingHeads()).isPositive();
        assertThat(result.passed()).isTrue();
        double[][] check = probe.measure(result.config());
        for (int h = 0; h < 6; h++) {
            assertThat(check[0][h]).isGreaterThanOrEqualTo(0.95).isEqualTo(result.config().budget(0, h).score());
        }
        Path out = tmp.resolve(SparseAttentionConfig.FILE_NAME);
        result.config().write(out);
        assertThat(SparseAttentionConfig.load(out, 1, 6)).isEqualTo(result.config());
    }
}
