package dev.longctx.engine.scheduler;

import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.sampling.DeviceSampling;
import dev.longctx.engine.sampling.Logprobs;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.sampling.StepResult;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.EngineException.Kind;
import dev.longctx.engine.serving.EngineRequest;
import dev.longctx.engine.serving.EngineLoad;
import dev.longctx.engine.serving.EngineStats;
import dev.longctx.engine.serving.GenerationOutput;
import dev.longctx.engine.serving.InferenceEngine;
import dev.longctx.engine.serving.OutputListener;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The engine loop: on its own daemon thread, repeatedly schedules a step, runs the model on it, samples a token
 * for every chunk that produced logits, detects finishes and streams {@link GenerationOutput}s to listeners.
 *
 * <p>Concurrency: {@link #submit}, cancellation and {@link #stats} meet the loop under one lock, held while
 * scheduling and post-processing a step but not while the model runs, so submitting never waits for a forward
 * pass. Listeners are called on the loop thread with no lock held; one that throws loses its request (it is
 * cancelled), never the loop.
 *
 * <p>Isolation: a request is checked against the vocabulary when submitted, and a step whose forward pass fails
 * is re-run one sequence at a time, so a failure fails only the request that causes it, never its step mates.
 *
 * <p>Sampling: where the runner samples on the device, a request whose parameters the device sampler covers
 * ({@link DeviceSampling#of}: no logprobs, logit_bias or penalties) gets its token from the step itself, with a
 * seed drawn from its own generator each step; the others get logits rows and the host {@link TokenSampler}.
 */
public final class LlmEngine implements InferenceEngine {
    private static final System.Logger LOG = System.getLogger(LlmEngine.class.getName());

    /**
     * @param eosTokenIds ids that end generation unless a request sets ignore_eos
     * @param vocabSize   rows of the model's embedding: prompt ids and logit_bias keys must be below it
     *                    (0 = not checked, for runners that take any id)
     */
    public record Config(SchedulerConfig scheduler, Set<Integer> eosTokenIds, int vocabSize) {
        public Config {
            eosTokenIds = Set.copyOf(eosTokenIds);
        }

        public Config(SchedulerConfig scheduler, Set<Integer> eosTokenIds) {
            this(scheduler, eosTokenIds, 0);
        }
    }

    private record Delivery(Sequence sequence, GenerationOutput output) {}

    private final Config config;
    private final BlockManager blocks;
    private final Scheduler scheduler;
    private final ModelRunner runner;
    private final TokenSampler sampler;
    private final OutputDecoder decoder;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition wakeUp = lock.newCondition();
    private final Thread loop;
    private boolean closed;
    private long promptTokens;
    private long generationTokens;
    private long prefillTokens;
    private long prefillNanos;

    private LlmEngine(Config config, BlockManager blocks, ModelRunner runner, TokenSampler sampler,
                      OutputDecoder decoder) {
        this.config = config;
        this.blocks = blocks;
        this.scheduler = new Scheduler(config.scheduler(), blocks);
        this.runner = runner;
        this.sampler = sampler;
        this.decoder = decoder;
        this.loop = Thread.ofPlatform().name("llm-engine-loop").daemon().unstarted(this::runLoop);
    }

    /** Builds the engine and starts its loop thread. */
    public static LlmEngine start(Config config, BlockManager blocks, ModelRunner runner, TokenSampler sampler,
                                  OutputDecoder decoder) {
        LlmEngine engine = new LlmEngine(config, blocks, runner, sampler, decoder);
        engine.loop.start();
        return engine;
    }

    @Override
    public RequestHandle submit(EngineRequest request, OutputListener listener) {
        return submit(request, null, listener);
    }

    /**
     * Like {@link #submit(EngineRequest, OutputListener)}, with a per-request prefix-cache salt: requests share
     * cached blocks only when their salts are equal (vLLM's {@code cache_salt}, e.g. one per tenant).
     */
    public RequestHandle submit(EngineRequest request, String cacheSalt, OutputListener listener) {
        SamplingParams params = request.sampling();
        checkVocabulary(request);
        Sequence seq = new Sequence(request.requestId(), request.promptTokenIds(), params, listener,
                blocks.newTable(request.promptTokenIds().length, request.sparse(), cacheSalt),
                request.sparse(), cacheSalt);
        seq.decodeState = new DecodeState(
                params.seed() != null ? new SplittableRandom(params.seed()) : new SplittableRandom(),
                decoder.start(request.promptTokenIds(), params));
        lock.lock();
        try {
            if (closed) throw new EngineException(Kind.INTERNAL, "the engine is shut down");
            scheduler.add(seq);
            wakeUp.signal();
        } finally {
            lock.unlock();
        }
        return seq::cancel;
    }

    /**
     * Admission check, per request: an id the embedding has no row for would fail the whole step it runs in (and
     * so its step mates), so it is refused here with vLLM's wording before it is queued.
     */
    private void checkVocabulary(EngineRequest request) {
        if (config.vocabSize() <= 0) return;
        int vocab = config.vocabSize();
        int min = Integer.MAX_VALUE, max = Integer.MIN_VALUE;
        for (int id : request.promptTokenIds()) {
            min = Math.min(min, id);
            max = Math.max(max, id);
        }
        if (max >= vocab || min < 0) {
            throw new EngineException(Kind.INVALID_REQUEST, "Token id " + (max >= vocab ? max : min) + " is out of vocabulary");
        }
        SamplingParams p = request.sampling();
        List<Integer> badBias = p.logitBias().keySet().stream().filter(id -> id >= vocab).sorted().toList();
        if (!badBias.isEmpty()) {
            throw new EngineException(Kind.INVALID_REQUEST, "token_id(s) " + badBias
                    + " in logit_bias contain out-of-vocab token ids. Vocabulary size: " + vocab);
        }
        if (p.logprobs() != null && p.logprobs() > vocab) {
            throw new EngineException(Kind.INVALID_REQUEST, "Requested sample logprobs of " + p.logprobs()
                    + ", which is greater than the vocabulary size " + vocab);
        }
    }

    @Override
    public EngineStats stats() {
        lock.lock();
        try {
            return new EngineStats(scheduler.numRunning(), scheduler.numWaiting(), blocks.usage(),
                    blocks.prefixQueryTokens(), blocks.prefixHitTokens(), promptTokens, generationTokens,
                    prefillTokens, prefillNanos);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int maxModelLen() { return config.scheduler().maxModelLen(); }

    /** Blocks × block size: fixed at start, so read without the lock. */
    @Override
    public java.util.OptionalLong kvCacheTokens() {
        return java.util.OptionalLong.of((long) blocks.numBlocks() * blocks.blockSize());
    }

    @Override
    public java.util.Optional<EngineLoad> load() {
        lock.lock();
        try {
            return java.util.Optional.of(scheduler.load());
        } finally {
            lock.unlock();
        }
    }

    /** Runs {@code action} on the block manager between steps (KV index events, block export and import). */
    public <T> T withBlocks(java.util.function.Function<BlockManager, T> action) {
        lock.lock();
        try {
            return action.apply(blocks);
        } finally {
            lock.unlock();
        }
    }

    /** Preemptions so far (vLLM's num_preemptions_total); not in {@link EngineStats}, which the service owns. */
    public long numPreemptions() {
        lock.lock();
        try {
            return scheduler.numPreemptions();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Stops the loop after the step in flight (a forward pass is not interrupted) and fails every request still
     * waiting or running with an INTERNAL "shut down" error.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            if (closed) return;
            closed = true;
            wakeUp.signalAll();
        } finally {
            lock.unlock();
        }
        if (Thread.currentThread() != loop) {
            try {
                loop.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void runLoop() {
        try {
            while (step()) {
                // one step per iteration
            }
        } catch (RuntimeException | Error e) {
            LOG.log(System.Logger.Level.ERROR, "engine loop died", e);
        } finally {
            List<Sequence> left;
            lock.lock();
            try {
                closed = true;
                left = scheduler.finishAll();
            } finally {
                lock.unlock();
            }
            for (Sequence seq : left) {
                sendError(seq, new EngineException(Kind.INTERNAL, "the engine shut down before request "
                        + seq.requestId() + " finished"));
            }
        }
    }

    /** One schedule → run → sample → deliver round; false once closed. */
    private boolean step() {
        ScheduledBatch batch;
        List<AbortedSequence> aborted;
        lock.lock();
        try {
            while (!closed && !scheduler.hasUnfinished()) wakeUp.awaitUninterruptibly();
            if (closed) return false;
            batch = scheduler.schedule();
            aborted = scheduler.drainAborted();
            if (batch.isEmpty() && aborted.isEmpty()) {
                // work exists but none fits this step (waiting for blocks): do not spin
                wakeUp.await(1, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            return false;
        } finally {
            lock.unlock();
        }
        for (AbortedSequence a : aborted) sendError(a.sequence(), a.error());
        if (batch.isEmpty()) return true;

        List<DeviceSampling> sampling = deviceSampling(batch);
        StepResult result;
        long stepNanos = -1;   // unmeasured when the step had to be re-run piecewise
        try {
            long started = System.nanoTime();
            result = run(batch, sampling);
            stepNanos = System.nanoTime() - started;
        } catch (RuntimeException e) {
            if (batch.chunks().size() == 1) {
                LOG.log(System.Logger.Level.ERROR, "model runner failed; failing its one request", e);
                fail(batch.chunks(), e);
                return true;
            }
            // One request's input must not take its step mates down. Prefill pieces and decodes rewrite the same
            // K/V slots when run again, so each chunk is re-run alone: those that fail again are the culprits.
            LOG.log(System.Logger.Level.WARNING, "model runner failed on a step of " + batch.chunks().size()
                    + " sequences; re-running each alone to find the one that caused it", e);
            Isolated isolated = runEachAlone(batch, sampling);
            if (isolated.kept().isEmpty()) return true;
            batch = new ScheduledBatch(isolated.kept());
            result = isolated.result();
        }

        List<Delivery> deliveries;
        List<AbortedSequence> failed = new ArrayList<>();
        lock.lock();
        try {
            countPrefill(batch, stepNanos);
            deliveries = postprocess(batch, result, failed);
        } finally {
            lock.unlock();
        }
        for (AbortedSequence f : failed) sendError(f.sequence(), f.error());
        for (Delivery d : deliveries) send(d);
        return true;
    }

    /**
     * One entry per chunk that needs logits, in batch order: how the device samples it (drawing this step's seed
     * from the request's generator), or null for the host sampler. Null as a whole when the runner cannot sample.
     */
    private List<DeviceSampling> deviceSampling(ScheduledBatch batch) {
        if (!runner.samplesOnDevice()) return null;
        List<DeviceSampling> out = new ArrayList<>(batch.numLogitsRows());
        for (ScheduledChunk chunk : batch.chunks()) {
            if (!chunk.needsLogits()) continue;
            Sequence seq = chunk.sequence();
            out.add(DeviceSampling.of(seq.sampling(), seq.decodeState.rng()));
        }
        return out;
    }

    private StepResult run(ScheduledBatch batch, List<DeviceSampling> sampling) {
        StepResult result = sampling == null ? StepResult.ofLogits(runner.run(batch)) : runner.run(batch, sampling);
        if (result == null || result.rows() != batch.numLogitsRows()) {
            throw new IllegalStateException("model runner returned " + (result == null ? "nothing" : result.rows() + " rows")
                    + " for " + batch.numLogitsRows() + " chunks that need logits");
        }
        for (int i = 0; i < result.rows(); i++) {
            if (result.sampled(i) && (sampling == null || sampling.get(i) == null)) {
                throw new IllegalStateException("model runner returned no logits for row " + i + ", which the host samples");
            }
        }
        return result;
    }

    /** The chunks that ran alone without failing, with their rows in order. */
    private record Isolated(List<ScheduledChunk> kept, StepResult result) {}

    /** Runs each chunk as a step of its own (with the seeds already drawn); a chunk that fails alone fails its request. */
    private Isolated runEachAlone(ScheduledBatch batch, List<DeviceSampling> sampling) {
        List<ScheduledChunk> kept = new ArrayList<>();
        List<float[]> logits = new ArrayList<>();
        List<Integer> tokens = new ArrayList<>();
        int row = 0;
        for (ScheduledChunk chunk : batch.chunks()) {
            int rows = chunk.needsLogits() ? 1 : 0;
            List<DeviceSampling> own = sampling == null ? null : sampling.subList(row, row + rows);
            row += rows;
            try {
                StepResult alone = run(new ScheduledBatch(List.of(chunk)), own);
                kept.add(chunk);
                if (rows == 1) {
                    logits.add(alone.logits()[0]);
                    tokens.add(alone.tokens()[0]);
                }
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "request " + chunk.sequence().requestId()
                        + " fails the model on its own; failing it", e);
                fail(List.of(chunk), e);
            }
        }
        return new Isolated(kept, new StepResult(logits.toArray(float[][]::new),
                tokens.stream().mapToInt(Integer::intValue).toArray()));
    }

    /**
     * Under the lock: the step's prompt tokens and their share of its time, evenly per token (a prefill that shares
     * steps with decodes is that much slower), which is what a KV pull's cost is weighed against.
     */
    private void countPrefill(ScheduledBatch batch, long stepNanos) {
        if (stepNanos < 0) return;
        int prefill = 0;
        for (ScheduledChunk chunk : batch.chunks()) if (!chunk.isDecode()) prefill += chunk.numTokens();
        if (prefill == 0) return;
        prefillTokens += prefill;
        prefillNanos += stepNanos * prefill / batch.numTokens();
    }

    /** Under the lock: advance the sequences, sample, check finishes. */
    private List<Delivery> postprocess(ScheduledBatch batch, StepResult result, List<AbortedSequence> failed) {
        scheduler.completeStep(batch);
        List<Delivery> out = new ArrayList<>();
        int row = 0;
        for (ScheduledChunk chunk : batch.chunks()) {
            if (!chunk.needsLogits()) continue;
            int r = row++;
            Sequence seq = chunk.sequence();
            if (seq.isFinished() || seq.isCancelled()) continue;   // dropped at the next schedule
            try {
                out.add(new Delivery(seq, advance(seq, result, r)));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "sampling/decoding failed for " + seq.requestId(), e);
                scheduler.finish(seq);
                failed.add(new AbortedSequence(seq, new EngineException(Kind.INTERNAL,
                        "generation failed: " + e.getMessage())));
            }
        }
        return out;
    }

    /** Samples the sequence's next token (or takes the one the device sampled) and decides whether that ends it. */
    private GenerationOutput advance(Sequence seq, StepResult result, int row) {
        SamplingParams p = seq.sampling();
        DecodeState state = seq.decodeState;
        float[] logits = result.logits()[row];
        float[] raw = logits != null && p.wantsLogprobs() ? logits.clone() : null;   // a sampler may change logits in place
        int token = result.sampled(row) ? result.tokens()[row]
                : sampler.sample(logits, p, penaltyContext(seq), generatedContext(seq), state.rng());
        List<GenerationOutput.TokenLogprob> logprobs = raw == null ? null : List.of(logprobs(raw, token, p.logprobs()));
        if (seq.numOutputTokens() == 0) promptTokens += seq.promptLength();
        seq.appendToken(token);
        generationTokens++;

        String finish = null;
        String text;
        if ((!p.ignoreEos() && config.eosTokenIds().contains(token)) || p.stopTokenIds().contains(token)) {
            finish = "stop";                              // the stop token itself is not shown as text
            text = state.decoder().flush();
        } else {
            OutputDecoder.TextDelta delta = state.decoder().decode(new int[] {token});
            text = delta.text();
            if (delta.stopMatched()) finish = "stop";
        }
        if (finish == null && (seq.numOutputTokens() >= p.maxTokens() || seq.numTokens() >= maxModelLen())) {
            finish = "length";
            text += state.decoder().flush();
        }
        if (finish != null) scheduler.finish(seq);
        return new GenerationOutput(seq.requestId(), new int[] {token}, text, finish, seq.promptLength(),
                seq.numOutputTokens(), seq.numCachedTokens(), logprobs);
    }

    private GenerationOutput.TokenLogprob logprobs(float[] rawLogits, int token, int topK) {
        Logprobs lp = Logprobs.of(rawLogits, token, topK);
        List<GenerationOutput.TokenLogprob> top = new ArrayList<>(lp.topIds().length);
        for (int i = 0; i < lp.topIds().length; i++) {
            top.add(new GenerationOutput.TokenLogprob(lp.topIds()[i], decoder.tokenText(lp.topIds()[i]),
                    lp.topLogprobs()[i], null));
        }
        return new GenerationOutput.TokenLogprob(token, decoder.tokenText(token), lp.logprob(), List.copyOf(top));
    }

    private static int[] generatedContext(Sequence seq) {
        SamplingParams p = seq.sampling();
        return p.presencePenalty() != 0 || p.frequencyPenalty() != 0 ? seq.outputTokenIds() : new int[0];
    }

    private static int[] penaltyContext(Sequence seq) {
        SamplingParams p = seq.sampling();
        boolean penalised = p.repetitionPenalty() != 1 || p.presencePenalty() != 0 || p.frequencyPenalty() != 0;
        return penalised ? seq.allTokenIds() : new int[0];
    }

    private void fail(List<ScheduledChunk> chunks, RuntimeException cause) {
        List<Sequence> victims = new ArrayList<>();
        lock.lock();
        try {
            for (ScheduledChunk chunk : chunks) {
                if (!chunk.sequence().isFinished()) {
                    scheduler.finish(chunk.sequence());
                    victims.add(chunk.sequence());
                }
            }
        } finally {
            lock.unlock();
        }
        for (Sequence seq : victims) {
            sendError(seq, new EngineException(Kind.INTERNAL, "the model failed: " + cause.getMessage()));
        }
    }

    private void send(Delivery d) {
        try {
            d.sequence().listener().onOutput(d.output());
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listener of " + d.sequence().requestId()
                    + " threw; cancelling the request", e);
            d.sequence().cancel();
        }
    }

    private static void sendError(Sequence seq, EngineException error) {
        try {
            seq.listener().onError(error);
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, "listener of " + seq.requestId() + " threw on error", e);
        }
    }
}
