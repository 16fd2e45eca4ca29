package dev.longctx.inferenceservice.testengine;

import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.EngineRequest;
import dev.longctx.engine.serving.EngineStats;
import dev.longctx.engine.serving.GenerationOutput;
import dev.longctx.engine.serving.InferenceEngine;
import dev.longctx.engine.serving.OutputListener;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * TEST ONLY — stands in for LlmEngine until it is merged. Behaves like a continuous-batching engine on its own
 * step thread: a bounded waiting queue (QUEUE_FULL beyond it), at most {@code maxRunning} requests per step, one
 * token per running request per step. The generated tokens echo the prompt cyclically, so outputs are
 * deterministic; a prompt starting with {@link #KV_EXHAUSTING_TOKEN} fails with OUT_OF_KV_CACHE on its first step.
 */
public final class EchoTestEngine implements InferenceEngine {

    public static final int KV_EXHAUSTING_TOKEN = 666_666;

    private final int maxRunning;
    private final int maxWaiting;
    private final Duration stepDelay;
    private final int maxModelLen;

    private final Deque<Active> waiting = new ArrayDeque<>();
    private final Map<String, Active> running = new LinkedHashMap<>();
    private final Set<String> cancelled = ConcurrentHashMap.newKeySet();
    private final Set<String> seenPrompts = new HashSet<>();
    private long promptTokens;
    private long generationTokens;
    private long prefixQueries;
    private long prefixHits;

    private final Thread stepThread;
    private volatile boolean closed;

    public EchoTestEngine(int maxRunning, int maxWaiting, Duration stepDelay, int maxModelLen) {
        this.maxRunning = maxRunning;
        this.maxWaiting = maxWaiting;
        this.stepDelay = stepDelay;
        this.maxModelLen = maxModelLen;
        this.stepThread = Thread.ofPlatform().name("echo-engine-step").daemon().start(this::stepLoop);
    }

    private static final class Active {
        final EngineRequest request;
        final OutputListener listener;
        int generated;

        Active(EngineRequest request, OutputListener listener) {
            this.request = request;
            this.listener = listener;
        }
    }

    private record Delivery(OutputListener listener, GenerationOutput output, EngineException error) {}

    @Override
    public RequestHandle submit(EngineRequest request, OutputListener listener) {
        int[] prompt = request.promptTokenIds();
        if (prompt.length == 0 || prompt.length >= maxModelLen) {
            throw new EngineException(EngineException.Kind.INVALID_REQUEST, "prompt length " + prompt.length);
        }
        synchronized (this) {
            if (waiting.size() >= maxWaiting) {
                throw new EngineException(EngineException.Kind.QUEUE_FULL, maxWaiting + " waiting");
            }
            waiting.add(new Active(request, listener));
        }
        return () -> cancel(request.requestId());
    }

    private synchronized void cancel(String requestId) {
        boolean removed = waiting.removeIf(a -> a.request.requestId().equals(requestId))
                | running.remove(requestId) != null;
        if (removed) {
            cancelled.add(requestId);
        }
    }

    /** Requests still waiting or running: what a leaked (never cancelled) request would show up in. */
    public synchronized Set<String> activeRequestIds() {
        Set<String> ids = new HashSet<>(running.keySet());
        waiting.forEach(a -> ids.add(a.request.requestId()));
        return ids;
    }

    public Set<String> cancelledRequestIds() {
        return Set.copyOf(cancelled);
    }

    public synchronized void cancelAll() {
        activeRequestIds().forEach(this::cancel);
    }

    @Override
    public synchronized EngineStats stats() {
        return new EngineStats(running.size(), waiting.size(), (double) running.size() / maxRunning,
                prefixQueries, prefixHits, promptTokens, generationTokens);
    }

    @Override
    public int maxModelLen() {
        return maxModelLen;
    }

    @Override
    public void close() {
        closed = true;
        stepThread.interrupt();
    }

    private void stepLoop() {
        while (!closed) {
            try {
                Thread.sleep(stepDelay);
            } catch (InterruptedException e) {
                return;
            }
            // Listeners are called outside the lock, as a real engine would, so a listener that cancels (the
            // client went away while we emitted) cannot corrupt the batch being iterated.
            step().forEach(d -> {
                if (d.error() != null) {
                    d.listener().onError(d.error());
                } else {
                    d.listener().onOutput(d.output());
                }
            });
        }
    }

    private synchronized List<Delivery> step() {
        while (running.size() < maxRunning && !waiting.isEmpty()) {
            Active next = waiting.poll();
            int[] prompt = next.request.promptTokenIds();
            promptTokens += prompt.length;
            prefixQueries += prompt.length;
            if (!seenPrompts.add(Arrays.toString(prompt))) {
                prefixHits += prompt.length;
            }
            running.put(next.request.requestId(), next);
        }
        List<Delivery> deliveries = new ArrayList<>();
        for (var it = running.values().iterator(); it.hasNext(); ) {
            Active a = it.next();
            int[] prompt = a.request.promptTokenIds();
            if (prompt[0] == KV_EXHAUSTING_TOKEN) {
                it.remove();
                deliveries.add(new Delivery(a.listener, null,
                        new EngineException(EngineException.Kind.OUT_OF_KV_CACHE, "no free KV blocks")));
                continue;
            }
            int token = prompt[a.generated % prompt.length];
            a.generated++;
            generationTokens++;
            String finish = a.request.sampling().stopTokenIds().contains(token) ? "stop"
                    : a.generated >= a.request.sampling().maxTokens() ? "length" : null;
            if (finish != null) {
                it.remove();
            }
            deliveries.add(new Delivery(a.listener, new GenerationOutput(a.request.requestId(), new int[] {token},
                    "t" + token + " ", finish, prompt.length, a.generated, 0), null));
        }
        return deliveries;
    }
}
