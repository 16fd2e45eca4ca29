package dev.longctx.gateway.routing;

import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.gateway.upstream.InferenceClient;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What the router knows of each backend between requests: its load in tokens, read from its /internal/load every
 * {@code load-poll-interval}, plus the tokens this gateway has sent it since that reading (so a burst does not
 * all go to the backend that looked idle a moment ago), and the facts that name its KV blocks (/internal/info).
 */
@Component
public class BackendLoads implements SmartLifecycle {
    private record Reading(long tokens, AtomicLong sentSince) {}

    private final BackendRegistry registry;
    private final InferenceClient inference;
    private final RoutingProperties properties;
    private final Map<Backend, Reading> loads = new ConcurrentHashMap<>();
    private final Map<Backend, PrefixFacts> facts = new ConcurrentHashMap<>();
    private volatile Disposable polling;

    public BackendLoads(BackendRegistry registry, InferenceClient inference, RoutingProperties properties) {
        this.registry = registry;
        this.inference = inference;
        this.properties = properties;
    }

    /** Waiting + running tokens at the last reading, plus what was sent since. */
    public long load(Backend backend) {
        Reading r = loads.get(backend);
        return r == null ? 0 : r.tokens() + r.sentSince().get();
    }

    /** Counts tokens this gateway just handed to a backend. */
    public void sent(Backend backend, long tokens) {
        loads.computeIfAbsent(backend, b -> new Reading(0, new AtomicLong())).sentSince().addAndGet(tokens);
    }

    public Optional<PrefixFacts> facts(Backend backend) {
        return Optional.ofNullable(facts.get(backend));
    }

    /** One reading of every backend; public so tests can force one. What left the registry is forgotten. */
    public Mono<Void> pollAll() {
        List<Backend> current = registry.all();
        loads.keySet().retainAll(current);
        facts.keySet().retainAll(current);
        return Flux.fromIterable(current).flatMap(backend -> Mono.when(
                inference.load(backend.uri())
                        .doOnNext(l -> loads.put(backend, new Reading(l.waitingTokens() + l.runningTokens(), new AtomicLong())))
                        .onErrorResume(e -> Mono.empty()),
                facts.containsKey(backend) ? Mono.empty() : inference.info(backend.uri())
                        .doOnNext(info -> { if (info.prefixCache() != null) facts.put(backend, info.prefixCache()); })
                        .onErrorResume(e -> Mono.empty()))).then();
    }

    /** A restarted backend may come back with other facts (another model): read them again. */
    public void forgetFacts(Backend backend) { facts.remove(backend); }

    @Override
    public void start() {
        if (properties.policy() == RoutingProperties.Policy.KV_AWARE) {
            polling = Polling.every(properties.loadPollInterval(), this::pollAll);
        }
    }

    @Override
    public void stop() {
        Disposable p = polling;
        if (p != null) p.dispose();
        polling = null;
    }

    @Override
    public boolean isRunning() { return polling != null; }
}
