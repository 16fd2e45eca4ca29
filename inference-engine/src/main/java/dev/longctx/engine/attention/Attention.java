package dev.longctx.engine.attention;

import dev.longctx.engine.kv.KvCache;

/**
 * The one attention of the forward pass, for every sequence of a step at once. Whether it computes dense RoPE
 * attention, Dual Chunk Attention or sparse vertical-slash prefill is decided inside, per sequence, from the
 * geometry and the step's metadata; the forward pass never forks on it. One implementation per backend.
 */
public interface Attention {

    AttentionGeometry geometry();

    /**
     * Prepares a step: called once per step, before the layers, with metadata flattened once by the model runner
     * (a GPU uploads it here; the CPU splits sequences into DCA pieces here).
     */
    AttentionStep begin(StepMetadata step, KvCache cache);

    /**
     * Sets aside the per-step working memory for steps of up to {@code maxTokens} tokens now, at load: a GPU then
     * has it before the KV cache is sized from what memory is left. Nothing to do on the CPU.
     */
    default void reserve(int maxTokens) {}
}
