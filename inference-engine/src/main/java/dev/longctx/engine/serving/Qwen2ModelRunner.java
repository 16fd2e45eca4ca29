package dev.longctx.engine.serving;

import dev.longctx.engine.attention.AttentionOptions;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.SequenceKv;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.model.SequenceChunk;
import dev.longctx.engine.scheduler.ModelRunner;
import dev.longctx.engine.scheduler.ScheduledBatch;
import dev.longctx.engine.scheduler.ScheduledChunk;
import java.util.ArrayList;
import java.util.List;

/** Runs a scheduled batch through the Qwen2 forward pass on the shared paged KV cache. */
public final class Qwen2ModelRunner implements ModelRunner {
    private final Qwen2Model model;
    private final KvCache cache;

    public Qwen2ModelRunner(Qwen2Model model, KvCache cache) {
        this.model = model;
        this.cache = cache;
    }

    @Override
    public float[][] run(ScheduledBatch batch) {
        List<SequenceChunk> chunks = new ArrayList<>(batch.chunks().size());
        for (ScheduledChunk c : batch.chunks()) {
            int end = c.endPosition();
            // s_f(T): T is the prompt length while prefilling, the current length while decoding.
            long scaleLength = c.isDecode() ? end : Math.max(end, c.sequence().promptLength());
            boolean sparse = c.sequence().sparse() != null ? c.sequence().sparse() : model.options().sparse();
            chunks.add(new SequenceChunk(c.tokenIds(), c.startPosition(), new SequenceKv(cache, c.blockTable(), end),
                    c.needsLogits() ? SequenceChunk.Logits.LAST : SequenceChunk.Logits.NONE,
                    new AttentionOptions(scaleLength, sparse, null)));
        }
        float[][] perChunk = model.forward(chunks);
        List<float[]> rows = new ArrayList<>();
        for (float[] r : perChunk) if (r != null) rows.add(r);
        return rows.toArray(float[][]::new);
    }
}
