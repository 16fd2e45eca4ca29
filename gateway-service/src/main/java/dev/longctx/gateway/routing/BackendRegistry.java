package dev.longctx.gateway.routing;

import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import dev.longctx.gateway.upstream.UpstreamException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;

/**
 * The backends in rotation, each with its own circuit breaker: the configured ones, which stay, and those
 * discovery reports ({@link #discovered}), which come and go. A backend that stays keeps its breaker and what
 * the router learned of it; one that goes is drained: it gets no new sequence, those it streams finish.
 */
@Component
public class BackendRegistry {
    private static final Logger log = LoggerFactory.getLogger(BackendRegistry.class);

    private final CircuitBreakerRegistry breakers;
    private final List<Backend> configured;
    /** Guarded by {@code this}; keyed by {@link Backend#key()}, in address order. */
    private Map<String, Backend> discovered = Map.of();
    private volatile List<Backend> inRotation;
    private final Set<Backend> draining = ConcurrentHashMap.newKeySet();

    public BackendRegistry(GatewayProperties properties, MeterRegistry meters) {
        GatewayProperties.CircuitBreakerSettings settings = properties.circuitBreaker();
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .failureRateThreshold(settings.failureRateThreshold())
                .slidingWindowSize(settings.slidingWindowSize())
                .minimumNumberOfCalls(settings.minimumCalls())
                .waitDurationInOpenState(settings.openDuration())
                .automaticTransitionFromOpenToHalfOpenEnabled(true)
                // A generation legitimately runs for many minutes; slowness is not a failure here.
                .slowCallDurationThreshold(Duration.ofDays(1))
                .slowCallRateThreshold(100)
                // A refused request (4xx: the client's fault) or a full queue says nothing about the backend's
                // health: neither a failure nor a success, so a hostile client cannot open the breaker for everyone.
                .ignoreException(BackendRegistry::saysNothingAboutHealth)
                .recordException(e -> !(e instanceof UpstreamException u) || u.countsAgainstBackend())
                .build();
        this.breakers = CircuitBreakerRegistry.of(config);
        // resilience4j_circuitbreaker_state{name=<backend url>} etc. on /metrics, to see which backend is out; a
        // backend's meters go when discovery removes it (the registry's remove event).
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(breakers).bindTo(meters);
        Map<String, Backend> unique = new LinkedHashMap<>();
        for (URI uri : properties.backends()) unique.putIfAbsent(Backend.key(uri), newBackend(uri));
        this.configured = List.copyOf(unique.values());
        this.inRotation = configured;
        Gauge.builder("longctx.routing.backends", this, r -> r.all().size()).tag("state", "registered")
                .description("backends by state: registered (configured or discovered), draining (removed, "
                        + "sequences still streaming)").register(meters);
        Gauge.builder("longctx.routing.backends", draining, Set::size).tag("state", "draining").register(meters);
    }

    static boolean saysNothingAboutHealth(Throwable e) {
        return e instanceof UpstreamException u && !u.countsAgainstBackend()
                || e instanceof ApiException api && api.isClientError();
    }

    /** The backends new sequences may go to (configured first, then discovered by address): a snapshot. */
    public List<Backend> all() {
        return inRotation;
    }

    /** Removed backends that still stream sequences. */
    public Set<Backend> draining() {
        return Set.copyOf(draining);
    }

    /** What one discovery answer changed. */
    public record Change(List<Backend> added, List<Backend> removed) {
        public boolean isEmpty() {
            return added.isEmpty() && removed.isEmpty();
        }
    }

    /**
     * Makes {@code found} the discovered backends: new ones join (a fresh breaker), ones still found stay as they
     * are, the others leave rotation and drain. A discovered URL that is also configured is the configured one.
     */
    public synchronized Change discovered(Collection<URI> found) {
        Set<String> configuredKeys = new HashSet<>();
        configured.forEach(b -> configuredKeys.add(b.key()));
        Map<String, Backend> next = new TreeMap<>();
        List<Backend> added = new ArrayList<>();
        for (URI uri : found) {
            String key = Backend.key(uri);
            if (configuredKeys.contains(key) || next.containsKey(key)) continue;
            Backend kept = discovered.get(key);
            if (kept == null) {
                kept = newBackend(uri);
                added.add(kept);
            }
            next.put(key, kept);
        }
        List<Backend> removed = discovered.values().stream().filter(b -> !next.containsKey(b.key())).toList();
        for (Backend gone : removed) retire(gone);
        discovered = next;
        List<Backend> rotation = new ArrayList<>(configured);
        rotation.addAll(next.values());
        inRotation = List.copyOf(rotation);
        Change change = new Change(List.copyOf(added), removed);
        if (!change.isEmpty()) {
            log.info("backends: {} joined, {} left; in rotation now {}", change.added(), change.removed(), inRotation);
        }
        return change;
    }

    /**
     * One sequence's stream from {@code backend}, counted while it runs, so a removed backend is known to be
     * drained when its last sequence ends.
     */
    public <T> Flux<T> track(Backend backend, Flux<T> sequence) {
        return Flux.defer(() -> {
            backend.inFlight().incrementAndGet();
            return sequence.doFinally(signal -> {
                if (backend.inFlight().decrementAndGet() == 0 && backend.retired().get() && draining.remove(backend)) {
                    log.info("backend {} drained", backend);
                }
            });
        });
    }

    private void retire(Backend backend) {
        backend.retired().set(true);
        // Its breaker object lives on in the sequences it streams; a pod that comes back at the same address is
        // a new pod and gets a new breaker.
        breakers.remove(backend.circuitBreaker().getName());
        if (backend.inFlight().get() > 0) {
            draining.add(backend);
            // the last sequence may have ended between the check and the add
            if (backend.inFlight().get() == 0) draining.remove(backend);
        }
    }

    private Backend newBackend(URI uri) {
        String name = Backend.key(uri);
        breakers.remove(name);   // a breaker left by an earlier backend at this address
        return new Backend(uri, breakers.circuitBreaker(name));
    }
}
