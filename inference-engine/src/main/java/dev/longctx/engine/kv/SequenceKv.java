package dev.longctx.engine.kv;

/**
 * One sequence's view of a {@link HostKvCache}: its block table and how many token positions are valid. Token t
 * lives in block {@code blockTable[t / blockSize]}, slot {@code t % blockSize}. The CPU attention reads and writes
 * K/V only through this view.
 */
public record SequenceKv(HostKvCache cache, int[] blockTable, int length) {

    public SequenceKv {
        if ((long) blockTable.length * cache.blockSize() < length) {
            throw new IllegalArgumentException("block table of " + blockTable.length + " blocks cannot hold "
                    + length + " tokens");
        }
    }

    public int blockSize() { return cache.blockSize(); }

    /** K storage holding token t (use with {@link #offset}). */
    public float[] keys(int layer, int t) {
        return cache.keyBlock(layer, blockTable[t / cache.blockSize()]);
    }

    public float[] values(int layer, int t) {
        return cache.valueBlock(layer, blockTable[t / cache.blockSize()]);
    }

    /** Offset of (token t, KV head h) inside {@link #keys}/{@link #values}' array. */
    public int offset(int t, int kvHead) {
        return (t % cache.blockSize()) * cache.kvDim() + kvHead * cache.headDim();
    }

    public SequenceKv withLength(int newLength) {
        return new SequenceKv(cache, blockTable, newLength);
    }
}
