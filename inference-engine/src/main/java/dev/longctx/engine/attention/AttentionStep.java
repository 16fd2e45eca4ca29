package dev.longctx.engine.attention;

import dev.longctx.engine.backend.DeviceBuffer;

/** One step's attention, called once per layer ({@link Attention#begin}). */
public interface AttentionStep extends AutoCloseable {

    /**
     * For every token of the step: rotates its key at {@link AttentionGeometry#keyPosition} and writes K and V into
     * the cache at its slot; then attention of every sequence's new queries against its keys [0, seqLen), into out.
     *
     * @param qkv [n, qDim + 2·kvDim]: raw q | k | v of each token (bias added, not rotated)
     * @param out [n, qDim], rows overwritten
     */
    void forward(int layer, DeviceBuffer qkv, DeviceBuffer out);

    @Override
    default void close() {}
}
