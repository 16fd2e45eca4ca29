package dev.longctx.engine.backend;

import java.util.Arrays;

/**
 * The default {@link DeviceTimer}: at every lap it waits for the backend's pending ops (by copying one element to
 * the host, which waits on every backend) and reads the host clock. Exact for the CPU, whose ops finish before they
 * return; on a GPU each wait costs a round trip (tens of microseconds) and the overlap of launching with running.
 */
final class SynchronizingTimer implements DeviceTimer {
    private final Backend backend;
    private final DeviceBuffer probe;
    private final float[] sink = new float[1];
    private final long[] nanos;
    private long last;

    SynchronizingTimer(Backend backend, int parts) {
        if (parts < 1) throw new IllegalArgumentException("a timer needs at least one part, got " + parts);
        this.backend = backend;
        this.probe = backend.allocate(1, 1);
        this.nanos = new long[parts];
    }

    @Override
    public void start() {
        await();
        Arrays.fill(nanos, 0);
        last = System.nanoTime();
    }

    @Override
    public void lap(int part) {
        await();
        long now = System.nanoTime();
        nanos[part] += now - last;
        last = now;
    }

    @Override
    public double[] seconds() {
        double[] s = new double[nanos.length];
        for (int i = 0; i < s.length; i++) s[i] = nanos[i] / 1e9;
        return s;
    }

    private void await() {
        backend.copyToHost(probe, 0, 1, sink);
    }
}
