package dev.longctx.engine.kv;

import java.nio.ByteBuffer;

/**
 * One KV block's contents (K and V of every layer) as bytes, so that a prefix computed on one instance can be
 * copied into another's cache (a KV pull). Both sides must agree on {@link #blockBytes()} and the layout, which
 * the prefix salt guarantees (same model, dtype, geometry).
 */
public interface KvBlockIo {
    /** Bytes of one block, all layers, K then V. */
    int blockBytes();

    /** Writes block {@code blockId}'s contents into {@code out} (exactly {@link #blockBytes()} bytes). */
    void read(int blockId, ByteBuffer out);

    /** Overwrites block {@code blockId} with {@link #blockBytes()} bytes from {@code in}. */
    void write(int blockId, ByteBuffer in);
}
