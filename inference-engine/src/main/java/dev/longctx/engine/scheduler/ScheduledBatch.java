package dev.longctx.engine.scheduler;

import java.util.List;

/** What the model runs in one step; a runner flattens the chunks (token ids, positions, slot mapping). */
public record ScheduledBatch(List<ScheduledChunk> chunks) {

    public static final ScheduledBatch EMPTY = new ScheduledBatch(List.of());

    public ScheduledBatch {
        chunks = List.copyOf(chunks);
    }

    public boolean isEmpty() { return chunks.isEmpty(); }

    public int numTokens() { return chunks.stream().mapToInt(ScheduledChunk::numTokens).sum(); }

    /** Chunks whose logits the runner must return, in this order. */
    public int numLogitsRows() { return (int) chunks.stream().filter(ScheduledChunk::needsLogits).count(); }
}
