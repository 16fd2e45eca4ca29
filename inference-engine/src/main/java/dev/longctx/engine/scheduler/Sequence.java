package dev.longctx.engine.scheduler;

import dev.longctx.engine.kv.BlockTable;
import dev.longctx.engine.kv.TokenIds;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.serving.OutputListener;

import java.util.Arrays;

/**
 * One request's state: its tokens (prompt then generated), how many of them have K/V in the cache, and its
 * block table. Owned by the engine's step loop; only {@link #cancel} may be called from other threads.
 *
 * <p>Tokens {@code [0, numComputedTokens)} have K/V; the rest still have to go through the model. While
 * decoding, exactly one token (the last sampled) is uncomputed.
 */
public final class Sequence implements TokenIds {
    private final String requestId;
    private final int promptLength;
    private int[] tokens;
    private int numTokens;
    private final SamplingParams sampling;
    private final OutputListener listener;
    private final BlockTable blockTable;
    private final Boolean sparse;
    private final String cacheSalt;
    private volatile boolean cancelled;
    private SequenceStatus status = SequenceStatus.WAITING;
    private int numComputedTokens;
    private int numCachedTokens = -1;   // -1 until first scheduled; a recompute does not change it
    private long startOrder;            // when it last became RUNNING; larger = more recently started

    /** The engine's per-request sampling and detokenizing state; null when only a scheduler drives it. */
    DecodeState decodeState;

    /**
     * @param blockTable an empty table from {@code BlockManager.newTable(cacheSalt)}
     * @param sparse     null for the engine default, else this request's sparse-prefill choice
     */
    public Sequence(String requestId, int[] promptTokenIds, SamplingParams sampling, OutputListener listener,
                    BlockTable blockTable, Boolean sparse, String cacheSalt) {
        this.requestId = requestId;
        this.promptLength = promptTokenIds.length;
        this.tokens = Arrays.copyOf(promptTokenIds, Math.max(1, promptTokenIds.length + Math.min(sampling.maxTokens(), 256)));
        this.numTokens = promptTokenIds.length;
        this.sampling = sampling;
        this.listener = listener;
        this.blockTable = blockTable;
        this.sparse = sparse;
        this.cacheSalt = cacheSalt;
    }

    public String requestId() { return requestId; }
    public SamplingParams sampling() { return sampling; }
    public OutputListener listener() { return listener; }
    public BlockTable blockTable() { return blockTable; }
    public Boolean sparse() { return sparse; }
    public String cacheSalt() { return cacheSalt; }
    public SequenceStatus status() { return status; }
    public int promptLength() { return promptLength; }
    public int numOutputTokens() { return numTokens - promptLength; }
    public int numComputedTokens() { return numComputedTokens; }
    /** Prompt tokens served from the prefix cache when first scheduled (0 before). */
    public int numCachedTokens() { return Math.max(0, numCachedTokens); }
    public long startOrder() { return startOrder; }
    public boolean isCancelled() { return cancelled; }
    public boolean isFinished() { return status == SequenceStatus.FINISHED; }

    /** Asks the engine to drop this request; its blocks are freed at the next step. Thread-safe. */
    public void cancel() { cancelled = true; }

    @Override public int numTokens() { return numTokens; }

    @Override public int tokenAt(int index) {
        if (index >= numTokens) throw new IndexOutOfBoundsException("token " + index + " of " + numTokens);
        return tokens[index];
    }

    public int lastTokenId() { return tokens[numTokens - 1]; }

    /** Copy of tokens {@code [from, to)}. */
    public int[] tokenIds(int from, int to) {
        if (to > numTokens) throw new IndexOutOfBoundsException("tokens up to " + to + " of " + numTokens);
        return Arrays.copyOfRange(tokens, from, to);
    }

    public int[] promptTokenIds() { return Arrays.copyOf(tokens, promptLength); }
    public int[] outputTokenIds() { return Arrays.copyOfRange(tokens, promptLength, numTokens); }
    public int[] allTokenIds() { return Arrays.copyOf(tokens, numTokens); }

    /** Appends a sampled token; it has no K/V until the next step computes it. */
    public void appendToken(int tokenId) {
        if (numTokens == tokens.length) tokens = Arrays.copyOf(tokens, tokens.length * 2);
        tokens[numTokens++] = tokenId;
    }

    // state changes, made by the scheduler

    void setStatus(SequenceStatus status) { this.status = status; }

    void setNumComputedTokens(int n) { this.numComputedTokens = n; }

    void recordCachedTokensOnce(int n) { if (numCachedTokens < 0) numCachedTokens = n; }

    void setStartOrder(long order) { this.startOrder = order; }

    @Override
    public String toString() {
        return "Sequence[" + requestId + ", " + status + ", tokens=" + numTokens + ", computed=" + numComputedTokens
                + ", blocks=" + blockTable.numBlocks() + "]";
    }
}
