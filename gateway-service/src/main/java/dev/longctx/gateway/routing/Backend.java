package dev.longctx.gateway.routing;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import java.net.URI;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One inference-service instance, the circuit breaker that guards it, and what the last health probe saw.
 * The breaker learns from real traffic; the probe keeps a backend that is still loading its model (or gone)
 * out of rotation before a request has to find out.
 *
 * @param inFlight sequences streaming from it now (what a removed backend drains)
 * @param retired  set once discovery removed it: it takes no new sequence, even from a stale reference
 */
public record Backend(URI uri, CircuitBreaker circuitBreaker, AtomicBoolean probeReady, AtomicInteger inFlight,
                      AtomicBoolean retired) {

    public Backend(URI uri, CircuitBreaker circuitBreaker) {
        this(uri, circuitBreaker, new AtomicBoolean(true), new AtomicInteger(), new AtomicBoolean());
    }

    /** Open breakers take a backend out of rotation until their wait is over and they go half-open. */
    public boolean healthy() {
        boolean breakerAdmits = switch (circuitBreaker.getState()) {
            case OPEN, FORCED_OPEN -> false;
            default -> true;
        };
        return breakerAdmits && probeReady.get() && !retired.get();
    }

    /** The URL without a trailing slash: how the registry and the KV index's instance URLs are compared. */
    public String key() {
        return key(uri);
    }

    static String key(URI uri) {
        String url = uri.toString();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public String toString() {
        return uri.toString();
    }
}
