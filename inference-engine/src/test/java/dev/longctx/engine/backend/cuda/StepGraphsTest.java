package dev.longctx.engine.backend.cuda;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** When the backend records a decode shape: bookkeeping only, no GPU needed (nothing is recorded here). */
class StepGraphsTest {

    private record Shape(int numSeqs, int split) {}

    @Test
    void aShapeIsRecordedFromItsSecondVisitAndNotRetriedAfterARecordingFailedUntilBuffersMove() {
        StepGraphs graphs = new StepGraphs(null);
        Shape a = new Shape(1, 512), b = new Shape(2, 512);

        assertThat(graphs.shouldRecord(a)).as("first visit: remembered, run eagerly").isFalse();
        assertThat(graphs.shouldRecord(a)).as("second visit: record").isTrue();
        assertThat(graphs.shouldRecord(new Shape(1, 512))).as("shapes are values").isTrue();
        assertThat(graphs.shouldRecord(b)).isFalse();
        assertThat(graphs.find(a)).as("nothing recorded yet").isNull();

        graphs.recordingFailed(a);
        assertThat(graphs.shouldRecord(a)).as("a failed recording is not retried every step").isFalse();
        assertThat(graphs.shouldRecord(b)).as("other shapes are unaffected").isTrue();

        graphs.clear();   // buffers moved (what usually made the recording fail): try again
        assertThat(graphs.shouldRecord(a)).isTrue();
        assertThat(graphs.size()).isZero();
    }
}
