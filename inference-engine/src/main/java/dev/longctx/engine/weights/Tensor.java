package dev.longctx.engine.weights;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * A named, read-only view of a tensor inside a memory-mapped checkpoint file. Row-major; {@code data} is
 * exactly {@code numel * dtype.bytes} bytes, little-endian.
 */
public record Tensor(String name, DType dtype, long[] shape, MemorySegment data) {

    public long numel() {
        long n = 1;
        for (long s : shape) n *= s;
        return n;
    }

    public int rows() { return (int) shape[0]; }

    /** Elements per row (product of all dimensions but the first). */
    public int cols() {
        long n = 1;
        for (int i = 1; i < shape.length; i++) n *= shape[i];
        return (int) n;
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}
