package dev.longctx.engine.scheduler;

/**
 * @param maxNumBatchedTokens token budget of one step (decodes + prefill pieces); ALGORITHMS.md §4's piece bound
 * @param maxNumSeqs          most sequences running at once
 * @param maxWaiting          most requests waiting for admission; one more is refused (QUEUE_FULL, HTTP 503)
 * @param maxModelLen         most tokens (prompt + output) of one sequence
 */
public record SchedulerConfig(int maxNumBatchedTokens, int maxNumSeqs, int maxWaiting, int maxModelLen) {

    public SchedulerConfig {
        if (maxNumBatchedTokens < 1 || maxNumSeqs < 1 || maxWaiting < 0 || maxModelLen < 2) {
            throw new IllegalArgumentException("bad scheduler config " + this);
        }
        // every running sequence must be able to decode in every step
        if (maxNumSeqs > maxNumBatchedTokens) {
            throw new IllegalArgumentException("maxNumSeqs (" + maxNumSeqs + ") must not exceed maxNumBatchedTokens ("
                    + maxNumBatchedTokens + ")");
        }
    }
}
