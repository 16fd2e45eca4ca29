package dev.longctx.engine.scheduler;

import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.serving.EngineLoad;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.EngineException.Kind;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Continuous batching with chunked prefill. Each {@link #schedule} fills one step's token budget:
 * <ol>
 *   <li>a decode (one token) for every running sequence that has finished its prompt;</li>
 *   <li>the next prefill piece of every running sequence still in its prompt, as large as budget and free
 *       blocks allow (a piece may be any size from one token up);</li>
 *   <li>new (or preempted) sequences from the front of the waiting queue, their cached prefix skipped.</li>
 * </ol>
 * When a running sequence needs a block and none is free, the most recently started running sequence is
 * preempted: its blocks are freed and it goes back to the front of the queue to recompute its K/V (its named
 * blocks stay in the prefix cache, so the recompute is often cheap). A sequence that cannot fit even with the
 * whole cache to itself is finished with OUT_OF_KV_CACHE.
 *
 * <p>Single-threaded: the engine calls everything from its step loop (or under its lock).
 */
public final class Scheduler {
    private final SchedulerConfig config;
    private final BlockManager blocks;
    private final Deque<Sequence> waiting = new ArrayDeque<>();
    private final List<Sequence> running = new ArrayList<>();   // in start order: last = most recently started
    private final List<AbortedSequence> aborted = new ArrayList<>();
    private long startCounter;
    private long numPreemptions;

    public Scheduler(SchedulerConfig config, BlockManager blocks) {
        this.config = config;
        this.blocks = blocks;
    }

    /**
     * Queues a new request.
     *
     * @throws EngineException INVALID_REQUEST for an empty prompt or one with no room to generate within
     *                         maxModelLen; QUEUE_FULL when the waiting queue is at its bound
     */
    public void add(Sequence seq) {
        if (seq.promptLength() == 0) throw new EngineException(Kind.INVALID_REQUEST, "the prompt is empty");
        if (seq.promptLength() >= config.maxModelLen()) {
            throw new EngineException(Kind.INVALID_REQUEST, "This model's maximum context length is "
                    + config.maxModelLen() + " tokens, but the prompt has " + seq.promptLength()
                    + " tokens, leaving no room to generate.");
        }
        if (waiting.size() >= config.maxWaiting()) {
            throw new EngineException(Kind.QUEUE_FULL, "the engine's waiting queue is full (" + config.maxWaiting()
                    + " requests); try again later");
        }
        seq.setStatus(SequenceStatus.WAITING);
        waiting.addLast(seq);
    }

    /** Plans the next step. Sequences dropped while planning are collected for {@link #drainAborted}. */
    public ScheduledBatch schedule() {
        dropCancelled();
        Map<Sequence, Integer> planned = new LinkedHashMap<>();   // sequence -> tokens this step
        Budget budget = new Budget(config.maxNumBatchedTokens());

        // 1. decodes, oldest first; each may preempt newer sequences for a block
        for (int i = 0; i < running.size() && budget.left > 0; i++) {
            Sequence seq = running.get(i);
            if (uncomputed(seq) == 1 && makeRoom(seq, seq.numTokens(), planned, budget)) {
                blocks.grow(seq.blockTable(), seq.numTokens());
                planned.put(seq, 1);
                budget.left--;
            }
        }
        // 2. prefill pieces of running sequences, oldest first
        for (int i = 0; i < running.size() && budget.left > 0; i++) {
            Sequence seq = running.get(i);
            if (planned.containsKey(seq) || uncomputed(seq) == 0) continue;
            if (!makeRoom(seq, seq.numComputedTokens() + 1, planned, budget)) continue;
            int n = fit(seq, Math.min(uncomputed(seq), budget.left));
            planned.put(seq, n);
            budget.left -= n;
        }
        // 3. admissions, in queue order; not in a step that preempted (that memory is already short)
        while (budget.left > 0 && !budget.preempted && !waiting.isEmpty() && running.size() < config.maxNumSeqs()) {
            Sequence seq = waiting.peekFirst();
            if (blocks.blocksFor(seq.numTokens() + 1) > blocks.numBlocks()) {   // its tokens + the next one
                waiting.removeFirst();
                abort(seq, new EngineException(Kind.OUT_OF_KV_CACHE, tooLarge(seq)));
                continue;
            }
            int cached = blocks.acquireCachedPrefix(seq.blockTable(), seq);
            int n = fit(seq, cached, Math.min(seq.numTokens() - cached, budget.left));
            if (n == 0) {                      // no room yet: give the prefix back and wait for frees
                blocks.free(seq.blockTable());
                break;
            }
            blocks.recordPrefixQuery(seq.numTokens(), cached);
            waiting.removeFirst();
            seq.setNumComputedTokens(cached);
            seq.recordCachedTokensOnce(cached);
            seq.setStatus(SequenceStatus.RUNNING);
            seq.setStartOrder(++startCounter);
            running.add(seq);
            planned.put(seq, n);
            budget.left -= n;
        }
        return toBatch(planned);
    }

    /** Records that the model has computed a step's chunks: advances each sequence and names its full blocks. */
    public void completeStep(ScheduledBatch batch) {
        for (ScheduledChunk chunk : batch.chunks()) {
            Sequence seq = chunk.sequence();
            if (seq.status() != SequenceStatus.RUNNING) continue;
            seq.setNumComputedTokens(chunk.endPosition());
            blocks.commit(seq.blockTable(), seq, seq.numComputedTokens());
        }
    }

    /** Ends a running sequence (stop, length, failure) and frees its blocks. */
    public void finish(Sequence seq) {
        if (seq.isFinished()) return;
        running.remove(seq);
        waiting.remove(seq);
        blocks.free(seq.blockTable());
        seq.setStatus(SequenceStatus.FINISHED);
    }

    /** Sequences dropped since the last call, to be told why. */
    public List<AbortedSequence> drainAborted() {
        List<AbortedSequence> out = List.copyOf(aborted);
        aborted.clear();
        return out;
    }

    /** Ends every sequence (engine shutdown) and returns them. */
    public List<Sequence> finishAll() {
        List<Sequence> all = new ArrayList<>(running);
        all.addAll(waiting);
        all.forEach(this::finish);
        return all;
    }

    /** Tokens still to prefill or decode in the waiting queue, and tokens of context the running batch holds. */
    public EngineLoad load() {
        long waitingTokens = 0, runningTokens = 0;
        for (Sequence seq : waiting) waitingTokens += uncomputed(seq);
        for (Sequence seq : running) runningTokens += seq.numTokens();
        return new EngineLoad(waiting.size(), running.size(), waitingTokens, runningTokens);
    }

    public int numRunning() { return running.size(); }
    public int numWaiting() { return waiting.size(); }
    public boolean hasUnfinished() { return !running.isEmpty() || !waiting.isEmpty(); }
    public long numPreemptions() { return numPreemptions; }
    public SchedulerConfig config() { return config; }

    private static int uncomputed(Sequence seq) { return seq.numTokens() - seq.numComputedTokens(); }

    /** The largest piece of up to {@code want} tokens whose blocks the sequence has or can get now. */
    private int fit(Sequence seq, int want) { return fit(seq, seq.numComputedTokens(), want); }

    private int fit(Sequence seq, int computed, int want) {
        int room = (seq.blockTable().numBlocks() + blocks.numFreeBlocks()) * blocks.blockSize() - computed;
        int n = Math.max(0, Math.min(want, room));
        if (n > 0) blocks.grow(seq.blockTable(), computed + n);
        return n;
    }

    /**
     * Frees blocks until {@code seq} can hold {@code numTokens} tokens, preempting the most recently started
     * running sequences. Returns false if {@code seq} itself had to go (preempted, or aborted when it is alone
     * and still does not fit).
     */
    private boolean makeRoom(Sequence seq, int numTokens, Map<Sequence, Integer> planned, Budget budget) {
        while (!blocks.canGrow(seq.blockTable(), numTokens)) {
            Sequence victim = running.getLast();
            if (victim == seq && running.size() == 1) {
                finishWithError(seq, new EngineException(Kind.OUT_OF_KV_CACHE, tooLarge(seq)));
                return false;
            }
            // a victim already planned this step (a decode, when a prefill piece makes room) gives its tokens back;
            // with the current admission order this cannot happen, so this guards a future reordering
            Integer given = planned.remove(victim);
            if (given != null) budget.left += given;
            preempt(victim);
            budget.preempted = true;
            if (victim == seq) return false;
        }
        return true;
    }

    private void preempt(Sequence seq) {
        running.remove(seq);
        blocks.free(seq.blockTable());
        seq.setNumComputedTokens(0);
        seq.setStatus(SequenceStatus.PREEMPTED);
        waiting.addFirst(seq);
        numPreemptions++;
    }

    private void dropCancelled() {
        for (Sequence seq : new ArrayList<>(running)) {
            if (seq.isCancelled()) finishWithError(seq, cancelled(seq));
        }
        for (Sequence seq : new ArrayList<>(waiting)) {
            if (seq.isCancelled()) finishWithError(seq, cancelled(seq));
        }
    }

    private void finishWithError(Sequence seq, EngineException error) {
        finish(seq);
        aborted.add(new AbortedSequence(seq, error));
    }

    private void abort(Sequence seq, EngineException error) {
        seq.setStatus(SequenceStatus.FINISHED);
        aborted.add(new AbortedSequence(seq, error));
    }

    private static EngineException cancelled(Sequence seq) {
        return new EngineException(Kind.CANCELLED, "request " + seq.requestId() + " was cancelled");
    }

    private String tooLarge(Sequence seq) {
        return "request " + seq.requestId() + " needs " + blocks.blocksFor(seq.numTokens() + 1) + " KV blocks ("
                + (seq.numTokens() + 1) + " tokens at " + blocks.blockSize() + " per block) but the whole KV cache "
                + "budget is " + blocks.numBlocks() + " blocks (" + (long) blocks.numBlocks() * blocks.blockSize()
                + " tokens); raise the KV cache budget or shorten the request";
    }

    private static ScheduledBatch toBatch(Map<Sequence, Integer> planned) {
        if (planned.isEmpty()) return ScheduledBatch.EMPTY;
        List<ScheduledChunk> chunks = new ArrayList<>(planned.size());
        planned.forEach((seq, n) -> {
            int start = seq.numComputedTokens();
            chunks.add(new ScheduledChunk(seq, start, seq.tokenIds(start, start + n), seq.blockTable().toArray(),
                    start + n == seq.numTokens()));
        });
        return new ScheduledBatch(chunks);
    }

    /** Tokens left in this step, and whether it preempted anything. */
    private static final class Budget {
        int left;
        boolean preempted;

        Budget(int left) { this.left = left; }
    }
}
