package dev.longctx.engine.attention;

import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.backend.Weight;

/** One step's attention, called once per layer ({@link Attention#begin}). */
public interface AttentionStep extends AutoCloseable {

    /**
     * For every token of the step: adds the q/k/v bias, rotates its key at {@link AttentionGeometry#keyPosition}
     * and writes K and V into the cache at its slot; then attention of every sequence's new queries against its
     * keys [0, seqLen), into out. (The bias is added here, not by the forward pass, because a GPU adds it in the
     * same pass that rotates and scatters K/V.)
     *
     * @param qkv     [n, qDim + 2·kvDim]: q | k | v of each token as the projection gave them (no bias, not
     *                rotated); an implementation may add the bias in place
     * @param qkvBias [qDim + 2·kvDim], or null for none
     * @param out     [n, qDim], rows overwritten
     */
    void forward(int layer, DeviceBuffer qkv, Weight qkvBias, DeviceBuffer out);

    /**
     * What decides this step's attention launches, when every step of equal shape launches exactly the same work
     * on the same buffers (a decode batch on a GPU): a value with equals/hashCode, for {@link
     * dev.longctx.engine.backend.Backend#replay}. Null when the step's launches are not known to repeat.
     */
    default Object replayShape() { return null; }

    @Override
    default void close() {}
}
