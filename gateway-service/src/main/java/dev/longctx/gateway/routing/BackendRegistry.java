package dev.longctx.gateway.routing;

import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import dev.longctx.gateway.upstream.UpstreamException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.micrometer.tagged.TaggedCircuitBreakerMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.List;
import org.springframework.stereotype.Component;

/** The configured backends, each with its own circuit breaker. */
@Component
public class BackendRegistry {
    private final List<Backend> backends;

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
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.of(config);
        // resilience4j_circuitbreaker_state{name=<backend url>} etc. on /metrics, to see which backend is out.
        TaggedCircuitBreakerMetrics.ofCircuitBreakerRegistry(registry).bindTo(meters);
        this.backends = properties.backends().stream()
                .map(uri -> new Backend(uri, registry.circuitBreaker(uri.toString())))
                .toList();
    }

    static boolean saysNothingAboutHealth(Throwable e) {
        return e instanceof UpstreamException u && !u.countsAgainstBackend()
                || e instanceof ApiException api && api.isClientError();
    }

    public List<Backend> all() {
        return backends;
    }
}
