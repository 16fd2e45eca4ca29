package dev.longctx.engine.attention;

import dev.longctx.engine.kv.SequenceKv;

/**
 * The one attention call of the forward pass. Whether it computes dense RoPE attention, Dual Chunk Attention or
 * sparse vertical-slash prefill is decided inside, from the geometry, the options and the query count; the
 * forward pass never forks on it.
 */
public interface Attention {

    /**
     * Attention output for {@code n} new tokens of one sequence at absolute positions [start, start + n).
     *
     * @param layer   layer index (selects the KV cache layer and any per-layer sparse budget)
     * @param q       n × qDim raw queries (bias added, not rotated): rotation depends on which keys they meet
     * @param kv      the sequence's KV view; keys/values of positions [0, start + n) are already written, keys
     *                rotated at {@link AttentionGeometry#keyPosition}
     * @param options per-call settings (DCA scale length, sparse switch, recall recording)
     * @param out     n × qDim output, overwritten
     */
    void forward(int layer, float[] q, int n, int start, SequenceKv kv, AttentionOptions options, float[] out);
}
