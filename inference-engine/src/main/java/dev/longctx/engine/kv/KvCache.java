package dev.longctx.engine.kv;

/**
 * Paged K/V storage for every layer: {@code numBlocks} blocks of {@code blockSize} token slots each. A slot holds
 * {@code kvDim = numKvHeads * headDim} floats for K and the same for V. Keys are stored already rotated (at
 * position p, or p mod L under DCA) so that a cached block is valid for any later request.
 *
 * <p>Which blocks belong to which sequence is not this class's business: that is {@link BlockAllocator} and the
 * per-sequence block tables. This is only memory, addressed by (layer, block, slot).
 */
public final class KvCache {
    private final int numLayers;
    private final int numBlocks;
    private final int blockSize;
    private final int numKvHeads;
    private final int headDim;
    private final int kvDim;
    private final float[][][] keys;   // [layer][block] -> blockSize * kvDim, allocated on first write
    private final float[][][] values;

    public KvCache(int numLayers, int numBlocks, int blockSize, int numKvHeads, int headDim) {
        if (blockSize <= 0 || numBlocks <= 0) {
            throw new IllegalArgumentException("KV cache needs blockSize > 0 and numBlocks > 0");
        }
        this.numLayers = numLayers;
        this.numBlocks = numBlocks;
        this.blockSize = blockSize;
        this.numKvHeads = numKvHeads;
        this.headDim = headDim;
        this.kvDim = numKvHeads * headDim;
        this.keys = new float[numLayers][numBlocks][];
        this.values = new float[numLayers][numBlocks][];
    }

    public int numLayers() { return numLayers; }
    public int numBlocks() { return numBlocks; }
    public int blockSize() { return blockSize; }
    public int numKvHeads() { return numKvHeads; }
    public int headDim() { return headDim; }
    public int kvDim() { return kvDim; }

    /** Bytes a block takes across all layers (K and V, fp32). */
    public long bytesPerBlock() {
        return 2L * numLayers * blockSize * kvDim * Float.BYTES;
    }

    /** The K storage of one block of one layer: slot s, KV head h starts at {@code (s * kvDim) + h * headDim}. */
    public float[] keyBlock(int layer, int block) {
        float[] b = keys[layer][block];
        if (b == null) b = keys[layer][block] = new float[blockSize * kvDim];
        return b;
    }

    public float[] valueBlock(int layer, int block) {
        float[] b = values[layer][block];
        if (b == null) b = values[layer][block] = new float[blockSize * kvDim];
        return b;
    }
}
