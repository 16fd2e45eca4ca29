package dev.longctx.engine.backend.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs body(i) for i in [0, count) on the calling thread and up to parallelism - 1 pool workers, which claim
 * indices from one shared counter.
 *
 * <p>Decode calls this a few hundred times per token, mostly for work of tens of microseconds, so the fixed cost
 * matters: the caller works instead of waiting for a worker to wake up, helpers need no splitting, and a helper
 * that wakes after all indices are claimed just returns. The caller waits only for indices already claimed, so a
 * nested call from inside a pool worker cannot deadlock. The first exception a body throws is rethrown to the
 * caller once every claimed index has finished.
 */
public final class ParallelLoop {
    /** Spins before parking: the last claimed body usually ends within microseconds of the caller's. */
    private static final int SPINS_BEFORE_PARK = 20_000;

    private final int count;
    private final IntConsumer body;
    private final AtomicInteger next = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread caller = Thread.currentThread();

    private ParallelLoop(int count, IntConsumer body) {
        this.count = count;
        this.body = body;
    }

    public static void run(ForkJoinPool pool, int parallelism, int count, IntConsumer body) {
        if (count <= 0) return;
        if (count == 1 || parallelism <= 1) {
            for (int i = 0; i < count; i++) body.accept(i);
            return;
        }
        ParallelLoop loop = new ParallelLoop(count, body);
        int helpers = Math.min(parallelism, count) - 1;
        for (int h = 0; h < helpers; h++) pool.execute(loop::work);
        loop.work();
        loop.awaitFinished();
        Throwable t = loop.failure.get();
        if (t instanceof RuntimeException e) throw e;
        if (t instanceof Error e) throw e;
        if (t != null) throw new IllegalStateException(t);
    }

    private void work() {
        for (int i; (i = next.getAndIncrement()) < count; ) {
            try {
                if (failure.get() == null) body.accept(i);
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            } finally {
                if (finished.incrementAndGet() == count) LockSupport.unpark(caller);
            }
        }
    }

    private void awaitFinished() {
        for (int spin = 0; finished.get() < count; spin++) {
            if (spin < SPINS_BEFORE_PARK) Thread.onSpinWait();
            else LockSupport.park(this);
        }
    }
}
