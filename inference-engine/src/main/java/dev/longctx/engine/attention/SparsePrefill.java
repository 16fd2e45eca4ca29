package dev.longctx.engine.attention;

import dev.longctx.engine.kv.SequenceKv;

final class SparsePrefill {
    private SparsePrefill() {}

    static void run(CpuAttention attn, PieceQueries pq, int layer, SequenceKv kv, float scale,
                    SparseAttentionConfig.HeadBudget[] budgets, int start, float[] out, RecallTally tally) {
        throw new UnsupportedOperationException("sparse prefill: not yet");
    }
}
