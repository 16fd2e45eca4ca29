package dev.longctx.gateway.routing;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;

/** One inference-service instance and the circuit breaker that guards it. */
public record Backend(URI uri, CircuitBreaker circuitBreaker) {

    /** Open breakers take a backend out of rotation until their wait is over and they go half-open. */
    public boolean healthy() {
        return switch (circuitBreaker.getState()) {
            case OPEN, FORCED_OPEN -> false;
            default -> true;
        };
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
