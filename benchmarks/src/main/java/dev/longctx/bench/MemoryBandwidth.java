package dev.longctx.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The memory read bandwidth this JVM reaches on this machine: threads each sum the longs of their share of one
 * large off-heap segment. Decode streams every weight once per token, so this is the ceiling decode is held
 * against; measuring it in the same process, with the same thread count, keeps the ratio honest on shared or
 * throttled machines where a datasheet number would not be.
 */
final class MemoryBandwidth {
    private static final VectorSpecies<Long> SPECIES = LongVector.SPECIES_PREFERRED;
    /** Written so that the JIT cannot drop the sums as dead code. */
    static volatile long sink;

    private MemoryBandwidth() {}

    /** Best of {@code passes} full reads of a {@code bytes}-byte segment, in bytes per second. */
    static double measure(long bytes, int threads, int passes) throws Exception {
        long slice = (bytes / threads) / 64 * 64;
        try (Arena arena = Arena.ofShared(); ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            // allocate() zeroes the memory, which also faults every page in before the first timed pass.
            MemorySegment segment = arena.allocate(slice * threads, 64);
            double best = 0;
            for (int p = 0; p < passes; p++) {
                List<Future<Long>> parts = new ArrayList<>(threads);
                long t0 = System.nanoTime();
                for (int t = 0; t < threads; t++) {
                    MemorySegment part = segment.asSlice(t * slice, slice);
                    parts.add(pool.submit(() -> sum(part)));
                }
                long total = 0;
                for (Future<Long> f : parts) total += f.get();
                double seconds = (System.nanoTime() - t0) / 1e9;
                sink = total;
                best = Math.max(best, slice * threads / seconds);
            }
            return best;
        }
    }

    /** Four independent accumulators so that the loop is bound by loads, not by the add latency chain. */
    private static long sum(MemorySegment s) {
        int step = SPECIES.vectorByteSize();
        long n = s.byteSize() / (4L * step) * (4L * step);
        LongVector a0 = LongVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
        for (long off = 0; off < n; off += 4L * step) {
            a0 = a0.add(LongVector.fromMemorySegment(SPECIES, s, off, ByteOrder.nativeOrder()));
            a1 = a1.add(LongVector.fromMemorySegment(SPECIES, s, off + step, ByteOrder.nativeOrder()));
            a2 = a2.add(LongVector.fromMemorySegment(SPECIES, s, off + 2L * step, ByteOrder.nativeOrder()));
            a3 = a3.add(LongVector.fromMemorySegment(SPECIES, s, off + 3L * step, ByteOrder.nativeOrder()));
        }
        long total = a0.add(a1).add(a2).add(a3).reduceLanes(VectorOperators.ADD);
        for (long off = n; off + 8 <= s.byteSize(); off += 8) total += s.get(ValueLayout.JAVA_LONG_UNALIGNED, off);
        return total;
    }
}
