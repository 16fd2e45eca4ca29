package dev.longctx.engine.backend.cuda;

/**
 * One layer's paged KV cache on the device: K and V each {@code [numBlocks][blockSize][numKvHeads][headDim]} bf16.
 * Token slot {@code s = block · blockSize + offset} holds its K row at element {@code s · numKvHeads · headDim}.
 * Keys are stored rotated at p (p mod L under DCA) and carry no temperature scale (ALGORITHMS.md §1, §5).
 */
public record PagedKvLayer(CudaMemory k, CudaMemory v, int numBlocks, int blockSize, int numKvHeads, int headDim) {

    public PagedKvLayer {
        if (numBlocks <= 0 || blockSize <= 0 || numKvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("KV layout needs positive sizes, got " + numBlocks + " blocks × "
                    + blockSize + " × " + numKvHeads + " heads × " + headDim);
        }
        long need = bytes(numBlocks, blockSize, numKvHeads, headDim);
        if (k.bytes() < need || v.bytes() < need) {
            throw new IllegalArgumentException("K/V buffers of " + k.bytes() + "/" + v.bytes() + " bytes are smaller than "
                    + numBlocks + " blocks need (" + need + ")");
        }
    }

    /** Bytes of one of K or V for this layout. */
    public static long bytes(int numBlocks, int blockSize, int numKvHeads, int headDim) {
        return 2L * numBlocks * blockSize * numKvHeads * headDim;
    }
}
