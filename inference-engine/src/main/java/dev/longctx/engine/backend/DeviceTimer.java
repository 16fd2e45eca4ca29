package dev.longctx.engine.backend;

/**
 * Time a backend's work took, split into parts (e.g. attention, GEMMs, the rest), for benchmarks. A lap ends where
 * the ops called so far end on the device, so a GPU's asynchronous queue is timed by when its work finished, not by
 * how soon the calls returned. The default ({@link Backend#newTimer}) waits for the device at every lap and reads the
 * host clock; a GPU backend may record events instead and wait only in {@link #seconds()}.
 */
public interface DeviceTimer {

    /** Waits for the device, zeroes every part and starts the first lap. */
    void start();

    /** Ends the current lap after every op called so far, charges it to {@code part} and starts the next lap. */
    void lap(int part);

    /** Waits for the device; the seconds charged to each part since {@link #start()}. */
    double[] seconds();
}
