package dev.longctx.gateway.routing;

import dev.longctx.common.kvindex.PrefixLookup;
import dev.longctx.common.prefix.BlockHash;
import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.gateway.kvindex.KvIndexClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * KV-aware routing. The prompt's full blocks are named here with the facts the backends publish (ALGORITHMS.md
 * §5, the same function the engine uses), kv-cache-service says how many leading blocks each backend holds, and
 * each healthy backend is scored {@code overlapWeight × cached tokens − loadWeight × (waiting + running tokens)}
 * (plus {@code affinityWeight} for the session's previous backend). Ties go round-robin. Without an answer from
 * the index every overlap is 0, which is least-loaded routing. When the chosen backend holds less of the prefix
 * than another, the request names that holder so the chosen one may pull the blocks.
 */
public class KvAwareBackendSelector implements BackendSelector {
    private static final int MAX_SESSIONS = 100_000;

    private final BackendRegistry registry;
    private final BackendLoads loads;
    private final KvIndexClient index;
    private final RoutingProperties properties;
    private final AtomicInteger tieBreak = new AtomicInteger();
    private final Map<String, Backend> sessions = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Backend> eldest) { return size() > MAX_SESSIONS; }
    });
    private final Counter byOverlap;
    private final Counter byLoad;
    private final Counter pullHints;

    public KvAwareBackendSelector(BackendRegistry registry, BackendLoads loads, KvIndexClient index,
                                  RoutingProperties properties, MeterRegistry meters) {
        this.registry = registry;
        this.loads = loads;
        this.index = index;
        this.properties = properties;
        this.byOverlap = Counter.builder("longctx.routing.decisions").tag("by", "kv_overlap")
                .description("sequences routed, by what decided").register(meters);
        this.byLoad = Counter.builder("longctx.routing.decisions").tag("by", "load").register(meters);
        this.pullHints = Counter.builder("longctx.routing.pull.hints")
                .description("sequences sent with a KV pull hint").register(meters);
    }

    @Override
    public Mono<Hints> hints(GenerateRequest request, String sessionId) {
        PrefixFacts facts = registry.all().stream().map(loads::facts).flatMap(Optional::stream).findFirst().orElse(null);
        if (facts == null || request.promptTokenIds() == null) return Mono.just(Hints.none(sessionId));
        // Backends whose facts differ name blocks differently, so they simply never match these names.
        List<String> names = facts.blockNames(request.promptTokenIds(), request.sparse(), null).stream()
                .map(BlockHash::hex).toList();
        return index.lookup(names, facts.blockSize()).map(result -> {
            Map<Backend, Integer> cached = new HashMap<>();
            for (PrefixLookup.InstancePrefix holder : result.instances()) {
                backendAt(holder.url()).ifPresent(b -> cached.merge(b, holder.blocks(), Math::max));
            }
            return new Hints(cached, facts.blockSize(), sessionId);
        });
    }

    /** The registered backend an index entry names (the URL the instance advertises), if any. */
    private Optional<Backend> backendAt(String url) {
        if (url == null) return Optional.empty();
        String wanted = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
        return registry.all().stream().filter(b -> b.key().equals(wanted)).findFirst();
    }

    @Override
    public Optional<Route> select(GenerateRequest request, Hints hints, Set<Backend> exclude) {
        Backend affine = hints.sessionId() != null && properties.sessionAffinity() ? sessions.get(hints.sessionId()) : null;
        List<Backend> backends = registry.all();   // discovery may change it between two calls
        int offset = Math.floorMod(tieBreak.getAndIncrement(), Math.max(1, backends.size()));
        Backend best = null;
        double bestScore = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < backends.size(); i++) {
            Backend b = backends.get((offset + i) % backends.size());
            if (!b.healthy() || exclude.contains(b)) continue;
            double score = properties.overlapWeight() * hints.cachedTokens(b) - properties.loadWeight() * loads.load(b)
                    + (b == affine ? properties.affinityWeight() : 0);
            if (score > bestScore) {
                best = b;
                bestScore = score;
            }
        }
        if (best == null) return Optional.empty();
        int promptTokens = request.promptTokenIds() == null ? 0 : request.promptTokenIds().size();
        loads.sent(best, Math.max(0, promptTokens - hints.cachedTokens(best)));
        if (hints.sessionId() != null && properties.sessionAffinity()) sessions.put(hints.sessionId(), best);
        (hints.cachedTokens(best) > 0 ? byOverlap : byLoad).increment();
        return Optional.of(new Route(best, withPullHint(request, hints, best)));
    }

    /** Names the healthy backend holding the longest prefix when it holds more than the chosen one. */
    private GenerateRequest withPullHint(GenerateRequest request, Hints hints, Backend chosen) {
        if (!properties.pullHints()) return request;
        Backend holder = null;
        for (Map.Entry<Backend, Integer> e : hints.cachedBlocks().entrySet()) {
            if (e.getKey().healthy() && (holder == null || e.getValue() > hints.cachedBlocks().get(holder))) holder = e.getKey();
        }
        if (holder == null || holder == chosen || hints.cachedBlocks().get(holder) <= hints.cachedBlocks().getOrDefault(chosen, 0)) {
            return request.kvPull() == null ? request : request.withKvPull(null);
        }
        pullHints.increment();
        return request.withKvPull(new GenerateRequest.KvPull(holder.uri().toString(), hints.cachedBlocks().get(holder)));
    }
}
