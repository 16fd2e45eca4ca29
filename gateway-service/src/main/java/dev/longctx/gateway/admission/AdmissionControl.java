package dev.longctx.gateway.admission;

import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;

/**
 * Bounds how many generation requests the gateway holds at once ({@code max-queue}); past that a request is
 * answered 503 at once rather than queueing without limit in front of the backends.
 */
@Component
public class AdmissionControl {
    private final int maxInFlight;
    private final AtomicInteger inFlight = new AtomicInteger();

    public AdmissionControl(GatewayProperties properties) {
        this.maxInFlight = properties.maxQueue();
    }

    /** Holds one slot for as long as {@code work} runs, however it ends (complete, error or cancel). */
    public <T> Flux<T> admit(Flux<T> work) {
        return Flux.defer(() -> {
            if (maxInFlight > 0 && inFlight.incrementAndGet() > maxInFlight) {
                inFlight.decrementAndGet();
                return Flux.error(ApiException.unavailable("The server is overloaded: too many requests in flight, retry later."));
            }
            if (maxInFlight <= 0) {
                return work;
            }
            return work.doFinally(signal -> inFlight.decrementAndGet());
        });
    }

    public int inFlight() {
        return inFlight.get();
    }
}
