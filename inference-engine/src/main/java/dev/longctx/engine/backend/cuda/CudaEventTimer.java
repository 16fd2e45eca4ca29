package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.backend.DeviceTimer;
import jcuda.driver.CUevent;
import jcuda.driver.CUevent_flags;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@link DeviceTimer} on CUDA events: every lap records an event on the context's stream and returns at once, so
 * the host keeps queueing work while the GPU runs; {@link #seconds()} waits for the last event and sums the
 * intervals between consecutive events by part. What a CUDA backend's {@code newTimer} should return: the default
 * timer waits for the stream at every lap, which costs a round trip per op and the overlap of launching with running.
 *
 * <p>Events are created on first need and reused by the next {@link #start()}; they live as long as the context.
 * Not thread-safe, like the context's other users.
 */
public final class CudaEventTimer implements DeviceTimer {
    private final CudaContext ctx;
    private final int parts;
    private final List<CUevent> events = new ArrayList<>();
    /** partOf[i]: the part the interval ending at event i is charged to (i ≥ 1). */
    private int[] partOf = new int[64];
    private int recorded;

    public CudaEventTimer(CudaContext ctx, int parts) {
        if (parts < 1) throw new IllegalArgumentException("a timer needs at least one part, got " + parts);
        this.ctx = ctx;
        this.parts = parts;
    }

    @Override
    public void start() {
        recorded = 0;
        record();
    }

    @Override
    public void lap(int part) {
        if (part < 0 || part >= parts) throw new IndexOutOfBoundsException("part " + part + " of " + parts);
        if (recorded == 0) throw new IllegalStateException("lap before start");
        if (recorded == partOf.length) partOf = Arrays.copyOf(partOf, 2 * partOf.length);
        partOf[recorded] = part;
        record();
    }

    @Override
    public double[] seconds() {
        double[] s = new double[parts];
        if (recorded < 2) return s;
        JCudaDriver.cuEventSynchronize(events.get(recorded - 1));
        float[] ms = new float[1];
        for (int i = 1; i < recorded; i++) {
            JCudaDriver.cuEventElapsedTime(ms, events.get(i - 1), events.get(i));
            s[partOf[i]] += ms[0] / 1e3;
        }
        return s;
    }

    private void record() {
        if (recorded == events.size()) {
            CUevent e = new CUevent();
            JCudaDriver.cuEventCreate(e, CUevent_flags.CU_EVENT_DEFAULT);
            events.add(e);
        }
        JCudaDriver.cuEventRecord(events.get(recorded), ctx.stream());
        recorded++;
    }
}
