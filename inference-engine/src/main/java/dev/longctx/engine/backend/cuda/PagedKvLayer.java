package dev.longctx.engine.backend.cuda;

/**
 * One layer's paged KV cache on the device: K and V each {@code [numBlocks][blockSize][numKvHeads][headDim]} bf16
 * ({@code elementBytes} 2), or fp32 (4) under the float32 dtype.
 * Token slot {@code s = block · blockSize + offset} holds its K row at element {@code s · numKvHeads · headDim}.
 * Keys are stored rotated at p (p mod L under DCA) and carry no temperature scale (ALGORITHMS.md §1, §5).
 */
public record PagedKvLayer(CudaMemory k, CudaMemory v, int numBlocks, int blockSize, int numKvHeads, int headDim,
                           int elementBytes) {

    public PagedKvLayer {
        if (numBlocks <= 0 || blockSize <= 0 || numKvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("KV layout needs positive sizes, got " + numBlocks + " blocks × "
                    + blockSize + " × " + numKvHeads + " heads × " + headDim);
        }
        if (elementBytes != 2 && elementBytes != 4) throw new IllegalArgumentException("KV elements are bf16 (2 bytes) or fp32 (4), not " + elementBytes);
        long need = bytes(numBlocks, blockSize, numKvHeads, headDim, elementBytes);
        if (k.bytes() < need || v.bytes() < need) {
            throw new IllegalArgumentException("K/V buffers of " + k.bytes() + "/" + v.bytes() + " bytes are smaller than "
                    + numBlocks + " blocks need (" + need + ")");
        }
    }

    /** A bf16 layout. */
    public PagedKvLayer(CudaMemory k, CudaMemory v, int numBlocks, int blockSize, int numKvHeads, int headDim) {
        this(k, v, numBlocks, blockSize, numKvHeads, headDim, 2);
    }

    public boolean bf16() { return elementBytes == 2; }

    /** Bytes of one of K or V for a bf16 layout. */
    public static long bytes(int numBlocks, int blockSize, int numKvHeads, int headDim) {
        return bytes(numBlocks, blockSize, numKvHeads, headDim, 2);
    }

    /** Bytes of one of K or V for this layout. */
    public static long bytes(int numBlocks, int blockSize, int numKvHeads, int headDim, int elementBytes) {
        return (long) elementBytes * numBlocks * blockSize * numKvHeads * headDim;
    }
}
