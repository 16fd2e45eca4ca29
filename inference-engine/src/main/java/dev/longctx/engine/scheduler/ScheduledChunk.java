package dev.longctx.engine.scheduler;

/**
 * One sequence's share of a step: the model computes K/V for {@code tokenIds} at positions
 * {@code startPosition ...} (attending to everything before them through {@code blockTable}), and, if
 * {@code needsLogits}, the logits after the last of them. A decode is a chunk of one token; a prefill piece
 * that does not reach the end of the known tokens needs no logits.
 *
 * @param blockTable the sequence's block ids, covering at least {@code startPosition + tokenIds.length} tokens
 */
public record ScheduledChunk(Sequence sequence, int startPosition, int[] tokenIds, int[] blockTable,
                             boolean needsLogits) {

    public int numTokens() { return tokenIds.length; }

    public int endPosition() { return startPosition + tokenIds.length; }

    /** One generated token fed back (a runner may take a decode-only fast path, e.g. a captured graph). */
    public boolean isDecode() { return tokenIds.length == 1 && startPosition >= sequence.promptLength(); }
}
