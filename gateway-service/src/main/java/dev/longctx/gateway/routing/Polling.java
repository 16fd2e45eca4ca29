package dev.longctx.gateway.routing;

import java.time.Duration;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The gateway's background rounds (health probes, load readings, discovery): one now, then one per interval. */
public final class Polling {
    private Polling() {}

    /**
     * Starts the rounds; dispose the result to stop them. A round slower than the interval skips ticks: without
     * that the interval overflows and the rounds stop for good. A round must not fail (errors end the rounds).
     */
    public static Disposable every(Duration interval, Supplier<Mono<?>> round) {
        return Flux.interval(Duration.ZERO, interval)
                .onBackpressureDrop()
                .concatMap(tick -> round.get(), 0)
                .subscribe();
    }
}
