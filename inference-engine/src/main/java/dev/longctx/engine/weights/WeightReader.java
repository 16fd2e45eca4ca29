package dev.longctx.engine.weights;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Scalar reads of single elements and rows of a {@link Tensor} as float, whatever its storage dtype. For tests,
 * tools and slow paths; the hot kernels read the segment directly.
 */
public final class WeightReader {

    // Slices start wherever the safetensors writer put them, so no alignment can be assumed.
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort HALF = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private WeightReader() {}

    /** Element {@code index} of the tensor in row-major order. */
    public static float get(Tensor tensor, long index) {
        long numel = tensor.numel();
        if (index < 0 || index >= numel) {
            throw new IndexOutOfBoundsException("element " + index + " outside " + tensor + " (" + numel + " elements)");
        }
        return read(tensor.dtype(), tensor.data(), index);
    }

    /** Element {@code [row, col]} of a tensor viewed as rows × cols. */
    public static float get(Tensor tensor, int row, int col) {
        checkRow(tensor, row);
        if (col < 0 || col >= tensor.cols()) {
            throw new IndexOutOfBoundsException("column " + col + " outside " + tensor);
        }
        return read(tensor.dtype(), tensor.data(), (long) row * tensor.cols() + col);
    }

    /** Row {@code row} (the first dimension) as a new float array of {@link Tensor#cols()} elements. */
    public static float[] row(Tensor tensor, int row) {
        float[] out = new float[tensor.cols()];
        readRow(tensor, row, out, 0);
        return out;
    }

    /** Copies row {@code row} into {@code dst} starting at {@code dstOffset}. */
    public static void readRow(Tensor tensor, int row, float[] dst, int dstOffset) {
        checkRow(tensor, row);
        int cols = tensor.cols();
        if (dstOffset < 0 || dstOffset > dst.length - cols) {
            throw new IndexOutOfBoundsException("destination of " + dst.length + " floats at " + dstOffset
                    + " cannot hold a row of " + cols + " from " + tensor);
        }
        long first = (long) row * cols;
        for (int i = 0; i < cols; i++) dst[dstOffset + i] = read(tensor.dtype(), tensor.data(), first + i);
    }

    /** The whole tensor as floats; only for tensors small enough for one Java array. */
    public static float[] toFloatArray(Tensor tensor) {
        long numel = tensor.numel();
        if (numel > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(tensor + " is too large for a float[]");
        float[] out = new float[(int) numel];
        for (int i = 0; i < out.length; i++) out[i] = read(tensor.dtype(), tensor.data(), i);
        return out;
    }

    /** Decodes element {@code index} of {@code data} stored as {@code dtype}. */
    public static float read(DType dtype, MemorySegment data, long index) {
        return switch (dtype) {
            case F32 -> data.getAtIndex(F32, index);
            case F16 -> Float.float16ToFloat(data.getAtIndex(HALF, index));
            case BF16 -> bf16ToFloat(data.getAtIndex(HALF, index));
        };
    }

    /** bfloat16 is the top half of a float32, so widening is a shift. */
    public static float bf16ToFloat(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** Rounds to the nearest bfloat16, ties to even, as PyTorch does; NaN stays a (quiet) NaN. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if (Float.isNaN(value)) return (short) ((bits >>> 16) | 0x0040);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    private static void checkRow(Tensor tensor, int row) {
        if (tensor.shape().length == 0) throw new IllegalArgumentException(tensor + " is a scalar and has no rows");
        if (row < 0 || row >= tensor.rows()) {
            throw new IndexOutOfBoundsException("row " + row + " outside " + tensor);
        }
    }
}
