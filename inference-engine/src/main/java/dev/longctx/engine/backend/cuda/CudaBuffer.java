package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.backend.DeviceBuffer;

/**
 * An activation buffer of the CUDA backend: device memory holding {@code rows × cols} elements, row-major, fp32 or
 * (for the operands of matrix products) bf16.
 */
record CudaBuffer(CudaMemory memory, long rows, long cols, boolean bf16) implements DeviceBuffer {

    long elementBytes() { return bf16 ? 2 : 4; }

    long rowBytes() { return cols * elementBytes(); }

    static CudaBuffer cast(DeviceBuffer b) {
        if (b instanceof CudaBuffer c) return c;
        throw new IllegalArgumentException("not a CUDA buffer: " + (b == null ? "null" : b.getClass().getSimpleName()));
    }
}
