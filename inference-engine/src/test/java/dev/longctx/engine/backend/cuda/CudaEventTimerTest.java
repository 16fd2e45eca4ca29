package dev.longctx.engine.backend.cuda;

import static dev.longctx.engine.backend.cuda.CudaTestSupport.kernels;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** Event laps charge each part the device time of the work queued in it. Skipped without a working GPU. */
class CudaEventTimerTest {

    @Test
    void eachLapMeasuresTheWorkQueuedSinceThePreviousOne() {
        CudaContext c = kernels().context();
        long big = 2L << 30, small = big / 4;  // 0.25 and 1 ms at the H200's ~4.2 TB/s of copy
        try (CudaMemory a = c.allocate(big); CudaMemory b = c.allocate(big)) {
            a.fill(1);
            CudaEventTimer t = new CudaEventTimer(c, 3);
            for (int round = 0; round < 2; round++) {  // the second round reuses the first one's events
                t.start();
                b.copyFrom(a.view(0, small));
                t.lap(0);
                b.copyFrom(a);
                t.lap(1);
                for (int i = 0; i < 10; i++) t.lap(2);  // nothing queued: next to no time
                double[] s = t.seconds();
                assertThat(s[0]).isPositive();
                // Four times the bytes: about four times the time (copies are bandwidth-bound).
                assertThat(s[1] / s[0]).isBetween(2.5, 6.0);
                assertThat(s[2]).isLessThan(s[0] / 5);
            }
            t.start();
            assertThat(t.seconds()).containsExactly(0, 0, 0);
            assertThatThrownBy(() -> t.lap(3)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }
}
