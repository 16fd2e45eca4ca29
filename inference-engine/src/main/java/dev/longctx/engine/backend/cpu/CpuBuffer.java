package dev.longctx.engine.backend.cpu;

import dev.longctx.engine.backend.DeviceBuffer;

/** The CPU backend's activation buffer: a float[] of rows × cols, row-major. */
public record CpuBuffer(float[] data, long rows, long cols) implements DeviceBuffer {

    /** The most floats one Java array holds (a few below Integer.MAX_VALUE on HotSpot). */
    public static final long MAX_FLOATS = Integer.MAX_VALUE - 8;

    public CpuBuffer {
        if ((long) data.length != Math.multiplyExact(rows, cols)) {
            throw new IllegalArgumentException("a buffer of " + rows + " × " + cols + " needs that many floats, got " + data.length);
        }
    }

    /** The floats behind a buffer of the CPU backend. */
    public static float[] data(DeviceBuffer buffer) {
        if (buffer instanceof CpuBuffer b) return b.data;
        throw new IllegalArgumentException("not a CPU buffer: " + buffer.getClass().getSimpleName());
    }

    /** Checks that a CPU buffer can hold rows × cols floats, naming the numbers when it cannot. */
    static int checkedSize(long rows, long cols) {
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("negative buffer shape " + rows + " × " + cols);
        long n = Math.multiplyExact(rows, cols);
        if (n > MAX_FLOATS) {
            throw new IllegalArgumentException("a CPU buffer of " + rows + " × " + cols + " = " + n + " floats is larger than a Java array ("
                    + MAX_FLOATS + "); run fewer tokens per step (--prefill-chunk / max-num-batched-tokens)");
        }
        return (int) n;
    }
}
