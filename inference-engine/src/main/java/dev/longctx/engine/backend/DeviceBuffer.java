package dev.longctx.engine.backend;

/**
 * An activation buffer that lives where its {@link Backend} computes (host memory for the CPU, device memory for a
 * GPU): row-major fp32 {@code [rows, cols]}. The forward pass allocates its buffers once, sized for the largest
 * step, and a step of n tokens uses the first n rows. Sizes are 64-bit: {@code rows × cols} passes 2³¹ for the MLP
 * of a 131,072-token step of a 7B model.
 *
 * <p>Only the backend that made a buffer may read it; the host sees its contents through
 * {@link Backend#copyToHost}.
 */
public interface DeviceBuffer {

    long rows();

    long cols();

    /** rows × cols, in 64 bits. */
    default long numel() {
        return Math.multiplyExact(rows(), cols());
    }
}
