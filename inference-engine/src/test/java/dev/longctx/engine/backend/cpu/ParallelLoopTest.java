package dev.longctx.engine.backend.cpu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class ParallelLoopTest {
    private static final ForkJoinPool POOL = new ForkJoinPool(3);

    @AfterAll
    static void shutdown() { POOL.shutdown(); }

    @Test
    void runsEveryIndexExactlyOnce() {
        for (int round = 0; round < 200; round++) {
            AtomicIntegerArray hits = new AtomicIntegerArray(1000);
            ParallelLoop.run(POOL, 4, 1000, hits::incrementAndGet);
            for (int i = 0; i < 1000; i++) assertThat(hits.get(i)).as("index %d, round %d", i, round).isEqualTo(1);
        }
    }

    @Test
    void runsIndicesConcurrently() {
        // Both bodies must be inside the barrier at once, which a serial loop never achieves.
        CyclicBarrier both = new CyclicBarrier(2);
        ParallelLoop.run(POOL, 2, 2, i -> {
            try {
                both.await(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw new AssertionError("index " + i + " ran alone", e);
            }
        });
    }

    @Test
    void nestedLoopsFromWorkersFinish() {
        AtomicIntegerArray hits = new AtomicIntegerArray(64 * 64);
        ParallelLoop.run(POOL, 4, 64, i -> ParallelLoop.run(POOL, 4, 64, j -> hits.incrementAndGet(i * 64 + j)));
        for (int k = 0; k < hits.length(); k++) assertThat(hits.get(k)).isEqualTo(1);
    }

    @Test
    void rethrowsTheBodysExceptionAfterClaimedIndicesFinish() {
        assertThatThrownBy(() -> ParallelLoop.run(POOL, 4, 100, i -> {
            if (i == 37) throw new IllegalArgumentException("bad index " + i);
        })).isInstanceOf(IllegalArgumentException.class).hasMessage("bad index 37");
        // The pool is still usable afterwards.
        AtomicIntegerArray hits = new AtomicIntegerArray(10);
        ParallelLoop.run(POOL, 4, 10, hits::incrementAndGet);
        for (int i = 0; i < 10; i++) assertThat(hits.get(i)).isEqualTo(1);
    }

    @Test
    void singleThreadAndEmptyLoopsRunInline() {
        AtomicIntegerArray hits = new AtomicIntegerArray(5);
        Thread me = Thread.currentThread();
        ParallelLoop.run(POOL, 1, 5, i -> {
            assertThat(Thread.currentThread()).isSameAs(me);
            hits.incrementAndGet(i);
        });
        ParallelLoop.run(POOL, 4, 0, i -> { throw new AssertionError("no index to run"); });
        for (int i = 0; i < 5; i++) assertThat(hits.get(i)).isEqualTo(1);
    }
}
