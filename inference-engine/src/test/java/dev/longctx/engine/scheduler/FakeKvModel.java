package dev.longctx.engine.scheduler;

import java.util.Arrays;

/**
 * A deterministic stand-in for the model that really uses the paged KV cache: every computed token writes
 * (token, position) into its slot through the chunk's block table, and the next token is a hash of every slot
 * the sequence's table addresses up to the chunk's end. A wrong block table, a prefix block that was evicted and
 * overwritten, or K/V that was never computed changes the tokens, so comparing with {@link #reference} checks
 * the bookkeeping.
 */
final class FakeKvModel implements ModelRunner {
    static final int VOCAB = 50;
    private static final long UNWRITTEN = Long.MIN_VALUE;

    private final int blockSize;
    private final long[] slots;
    int steps;
    int maxTokensInAStep;

    FakeKvModel(int numBlocks, int blockSize) {
        this.blockSize = blockSize;
        this.slots = new long[numBlocks * blockSize];
        Arrays.fill(slots, UNWRITTEN);
    }

    @Override
    public float[][] run(ScheduledBatch batch) {
        steps++;
        maxTokensInAStep = Math.max(maxTokensInAStep, batch.numTokens());
        float[][] out = new float[batch.numLogitsRows()][];
        int row = 0;
        for (ScheduledChunk chunk : batch.chunks()) {
            if ((long) chunk.blockTable().length * blockSize < chunk.endPosition()) {
                throw new IllegalStateException("block table too short for " + chunk);
            }
            for (int j = 0; j < chunk.numTokens(); j++) {
                int pos = chunk.startPosition() + j;
                slots[slot(chunk.blockTable(), pos)] = kv(chunk.tokenIds()[j], pos);
            }
            if (chunk.needsLogits()) {
                long h = 17;
                for (int p = 0; p < chunk.endPosition(); p++) h = h * 31 + slots[slot(chunk.blockTable(), p)];
                out[row++] = oneHot(next(h));
            }
        }
        return out;
    }

    /** The tokens an ideal run (all K/V always right) generates after {@code prompt}. */
    static int[] reference(int[] prompt, int numTokens) {
        int[] all = Arrays.copyOf(prompt, prompt.length + numTokens);
        for (int n = prompt.length; n < all.length; n++) {
            long h = 17;
            for (int p = 0; p < n; p++) h = h * 31 + kv(all[p], p);
            all[n] = next(h);
        }
        return Arrays.copyOfRange(all, prompt.length, all.length);
    }

    private int slot(int[] table, int pos) { return table[pos / blockSize] * blockSize + pos % blockSize; }

    private static long kv(int token, int pos) { return token * 1_000_003L + pos; }

    private static int next(long h) { return (int) Math.floorMod(h ^ (h >>> 29), (long) VOCAB); }

    private static float[] oneHot(int token) {
        float[] logits = new float[VOCAB];
        logits[token] = 1;
        return logits;
    }
}
