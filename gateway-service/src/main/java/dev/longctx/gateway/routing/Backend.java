package dev.longctx.gateway.routing;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One inference-service instance, the circuit breaker that guards it, and what the last health probe saw.
 * The breaker learns from real traffic; the probe keeps a backend that is still loading its model (or gone)
 * out of rotation before a request has to find out.
 */
public record Backend(URI uri, CircuitBreaker circuitBreaker, AtomicBoolean probeReady) {

    public Backend(URI uri, CircuitBreaker circuitBreaker) {
        this(uri, circuitBreaker, new AtomicBoolean(true));
    }

    /** Open breakers take a backend out of rotation until their wait is over and they go half-open. */
    public boolean healthy() {
        boolean breakerAdmits = switch (circuitBreaker.getState()) {
            case OPEN, FORCED_OPEN -> false;
            default -> true;
        };
        return breakerAdmits && probeReady.get();
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
