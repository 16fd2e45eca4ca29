package dev.longctx.kvcache.index;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Every {@code sweep-interval}: purges instances whose heartbeats stopped and refreshes the size gauges. A failed
 * round (Redis away) is logged and the next one tries again.
 */
@Component
class InstanceSweeper implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(InstanceSweeper.class);

    private final KvIndex index;
    private final KvIndexMetrics metrics;
    private final KvIndexProperties properties;
    private volatile Disposable running;

    InstanceSweeper(KvIndex index, KvIndexMetrics metrics, KvIndexProperties properties) {
        this.index = index;
        this.metrics = metrics;
        this.properties = properties;
    }

    Mono<Void> sweep() {
        return index.purgeDead()
                .doOnNext(n -> { if (n > 0) log.info("purged {} dead instance(s) from the KV index", n); })
                .then(index.sizes())
                .doOnNext(sizes -> metrics.sizes(sizes.size(), sizes.values().stream().mapToLong(Long::longValue).sum()))
                .then()
                .onErrorResume(e -> {
                    log.warn("KV index sweep failed: {}", e.toString());
                    return Mono.empty();
                });
    }

    @Override
    public void start() {
        running = Flux.interval(properties.sweepInterval()).onBackpressureDrop().concatMap(t -> sweep(), 1).subscribe();
    }

    @Override
    public void stop() {
        Disposable r = running;
        if (r != null) r.dispose();
        running = null;
    }

    @Override
    public boolean isRunning() { return running != null; }
}
