package dev.longctx.engine.scheduler;

import dev.longctx.engine.kv.BlockManager;
import dev.longctx.engine.kv.PrefixSalts;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.EngineException.Kind;
import dev.longctx.engine.serving.EngineRequest;
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
 */
public final class LlmEngine implements InferenceEngine {
    private static final System.Logger LOG = System.getLogger(LlmEngine.class.getName());

    /**
     * @param eosTokenIds ids that end generation unless a request sets ignore_eos
     * @param prefixSalts names what makes a request's K/V differ (the model's {@code prefixSalt})
     */
    public record Config(SchedulerConfig scheduler, Set<Integer> eosTokenIds, PrefixSalts prefixSalts) {
        public Config {
            eosTokenIds = Set.copyOf(eosTokenIds);
        }

        /** Without a model: block names carry only the request's cache salt. */
        public Config(SchedulerConfig scheduler, Set<Integer> eosTokenIds) {
            this(scheduler, eosTokenIds, PrefixSalts.fixed("model"));
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
        Sequence seq = new Sequence(request.requestId(), request.promptTokenIds(), params, listener,
                blocks.newTable(config.prefixSalts().forRequest(request.promptTokenIds().length, request.sparse(), cacheSalt)),
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

    @Override
    public EngineStats stats() {
        lock.lock();
        try {
            return new EngineStats(scheduler.numRunning(), scheduler.numWaiting(), blocks.usage(),
                    blocks.prefixQueryTokens(), blocks.prefixHitTokens(), promptTokens, generationTokens);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int maxModelLen() { return config.scheduler().maxModelLen(); }

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

        float[][] logits;
        try {
            logits = runner.run(batch);
            if (logits == null || logits.length != batch.numLogitsRows()) {
                throw new IllegalStateException("model runner returned " + (logits == null ? "null" : logits.length)
                        + " logits rows for " + batch.numLogitsRows() + " chunks that need them");
            }
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.ERROR, "model runner failed; failing the step's requests", e);
            failBatch(batch, e);
            return true;
        }

        List<Delivery> deliveries;
        List<AbortedSequence> failed = new ArrayList<>();
        lock.lock();
        try {
            deliveries = postprocess(batch, logits, failed);
        } finally {
            lock.unlock();
        }
        for (AbortedSequence f : failed) sendError(f.sequence(), f.error());
        for (Delivery d : deliveries) send(d);
        return true;
    }

    /** Under the lock: advance the sequences, sample, check finishes. */
    private List<Delivery> postprocess(ScheduledBatch batch, float[][] logits, List<AbortedSequence> failed) {
        scheduler.completeStep(batch);
        List<Delivery> out = new ArrayList<>();
        int row = 0;
        for (ScheduledChunk chunk : batch.chunks()) {
            if (!chunk.needsLogits()) continue;
            float[] rowLogits = logits[row++];
            Sequence seq = chunk.sequence();
            if (seq.isFinished() || seq.isCancelled()) continue;   // dropped at the next schedule
            try {
                out.add(new Delivery(seq, advance(seq, rowLogits)));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "sampling/decoding failed for " + seq.requestId(), e);
                scheduler.finish(seq);
                failed.add(new AbortedSequence(seq, new EngineException(Kind.INTERNAL,
                        "generation failed: " + e.getMessage())));
            }
        }
        return out;
    }

    /** Samples the sequence's next token and decides whether that ends it. */
    private GenerationOutput advance(Sequence seq, float[] logits) {
        SamplingParams p = seq.sampling();
        DecodeState state = seq.decodeState;
        int token = sampler.sample(logits, p, penaltyContext(seq), generatedContext(seq), state.rng());
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
                seq.numOutputTokens(), seq.numCachedTokens());
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

    private void failBatch(ScheduledBatch batch, RuntimeException cause) {
        List<Sequence> victims = new ArrayList<>();
        lock.lock();
        try {
            for (ScheduledChunk chunk : batch.chunks()) {
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
