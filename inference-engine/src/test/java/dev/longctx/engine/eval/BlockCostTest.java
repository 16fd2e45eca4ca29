package dev.longctx.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.attention.RecallAccumulator;
import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.attention.VerticalSlash.Selection;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class BlockCostTest {

    /** A slash kept at distance d from every query of a piece ending at {@code end} is named t = end − 1 − d. */
    private static int slashAt(int end, int distance) {
        return end - 1 - distance;
    }

    @Test
    void splitsTheLastBlockIntoBandOtherSlashSpansAndVerticals() {
        int end = 1000; // last block: queries [936, 999]
        int[] forced = IntStream.range(0, 100).map(d -> slashAt(end, d)).sorted().toArray();
        // Distances 230 and 200 give overlapping 64-key spans (one run of 94 keys); 500 gives its own 64.
        int[] far = {slashAt(end, 500), slashAt(end, 230), slashAt(end, 200)};
        int[] slashes = IntStream.concat(IntStream.of(far), IntStream.of(forced)).sorted().toArray();
        // 990 is inside the band and 740 inside the distance-230 span [706, 769]: only 0, 5 and 600 add keys.
        int[] verticals = {0, 5, 600, 740, 990};
        BlockCost cost = new BlockCost();
        cost.selected(0, 0, new Selection(verticals, slashes, end));

        BlockCost.Means m = cost.means();
        assertThat(m.blocks()).isEqualTo(1);
        assertThat(m.bandKeys()).isEqualTo(163);    // distances 0..99 over 64 rows: [837, 999]
        assertThat(m.slashSpans()).isEqualTo(2);
        assertThat(m.slashKeys()).isEqualTo(94 + 64);
        assertThat(m.verticalKeys()).isEqualTo(3);
        assertThat(m.totalKeys()).isEqualTo(163 + 158 + 3);
    }

    @Test
    void piecesShorterThanABlockAreNotCounted() {
        BlockCost cost = new BlockCost();
        cost.selected(0, 0, new Selection(new int[] {0}, new int[] {10, 20}, 40));
        assertThat(cost.means().blocks()).isZero();
    }

    @Test
    void bothRecordersSeeEverySelectionAndRecord() {
        BlockCost cost = new BlockCost();
        RecallAccumulator acc = new RecallAccumulator(1, 1);
        RecallRecorder both = RecallRecorder.both(acc, cost);
        both.selected(0, 0, new Selection(new int[] {0}, new int[] {199}, 200));
        both.record(0, 0, 3.0, 4, 10, 20);
        assertThat(cost.means().blocks()).isEqualTo(1);
        assertThat(acc.meanRecall()[0][0]).isEqualTo(0.75);
        assertThat(acc.density()[0][0]).isEqualTo(0.5);
    }
}
