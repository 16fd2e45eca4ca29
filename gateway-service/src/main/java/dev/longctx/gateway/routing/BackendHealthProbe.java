package dev.longctx.gateway.routing;

import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.upstream.InferenceClient;
import dev.longctx.gateway.upstream.TokenizerHealth;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Polls every backend's GET /internal/info each {@code health-check-interval} and keeps those that do not
 * answer {@code ready: true} out of rotation (a backend loading a 1M-context model is up but not ready); the same
 * round asks tokenizer-service ({@link TokenizerHealth}).
 */
@Component
public class BackendHealthProbe implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(BackendHealthProbe.class);

    private final BackendRegistry registry;
    private final InferenceClient inference;
    private final TokenizerHealth tokenizer;
    private final Duration interval;
    private volatile Disposable polling;

    public BackendHealthProbe(BackendRegistry registry, InferenceClient inference, TokenizerHealth tokenizer,
                              GatewayProperties properties) {
        this.registry = registry;
        this.inference = inference;
        this.tokenizer = tokenizer;
        this.interval = properties.healthCheckInterval();
    }

    /** One round over all backends; public so tests and an admin hook can force a check. */
    public Mono<Void> probeAll() {
        return Flux.fromIterable(registry.all()).flatMap(this::probe).then().and(tokenizer.probe());
    }

    private Mono<Void> probe(Backend backend) {
        return inference.info(backend.uri())
                .map(info -> info.ready())
                .onErrorReturn(false)
                .defaultIfEmpty(false)
                .doOnNext(ready -> {
                    if (backend.probeReady().getAndSet(ready) != ready) {
                        log.info("backend {} is now {}", backend, ready ? "ready" : "not ready");
                    }
                })
                .then();
    }

    @Override
    public void start() {
        if (!interval.isZero() && !interval.isNegative()) {
            polling = Polling.every(interval, this::probeAll);
        }
    }

    @Override
    public void stop() {
        Disposable current = polling;
        if (current != null) {
            current.dispose();
            polling = null;
        }
    }

    @Override
    public boolean isRunning() {
        return polling != null;
    }
}
