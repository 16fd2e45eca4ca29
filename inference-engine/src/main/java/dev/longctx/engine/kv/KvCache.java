package dev.longctx.engine.kv;

/**
 * Paged K/V memory for every layer, owned by a backend (host memory for the CPU, device memory for a GPU).
 * Which blocks belong to which sequence is not its business: block ids come from {@link BlockManager}, and the
 * attention writes and reads K/V through them. Keys are stored already rotated (at p, or p mod L under DCA) and
 * without the DCA temperature, so a cached block is valid for any later request with the same prefix salt.
 *
 * <p>Blocks move between instances (a prefix computed on one server, used on another) as bytes in one layout:
 * <pre>
 *   for layer in 0 .. numLayers-1:
 *     K: for slot in 0 .. blockSize-1, for kvHead in 0 .. numKvHeads-1, for i in 0 .. headDim-1: one element
 *     V: the same
 * </pre>
 * Elements are {@link KvCacheSpec#dtype()}, little-endian (fp32: IEEE 754 single; bf16: the top 16 bits of one);
 * the total is {@link KvCacheSpec#bytesPerBlock()}. Slots past a sequence's length hold whatever was there.
 */
public interface KvCache extends AutoCloseable {

    KvCacheSpec spec();

    default int numLayers() { return spec().numLayers(); }
    default int numBlocks() { return spec().numBlocks(); }
    default int blockSize() { return spec().blockSize(); }
    default int numKvHeads() { return spec().numKvHeads(); }
    default int headDim() { return spec().headDim(); }
    default int kvDim() { return spec().kvDim(); }
    default long bytesPerBlock() { return spec().bytesPerBlock(); }

    /** One block's K/V of every layer, in the layout above. */
    byte[] readBlock(int block);

    /** Overwrites one block's K/V of every layer from bytes in the layout above. */
    void writeBlock(int block, byte[] data);

    @Override
    default void close() {}
}
