package dev.longctx.gateway.routing;

import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import dev.longctx.gateway.errors.ErrorCode;
import dev.longctx.gateway.upstream.InferenceClient;
import dev.longctx.gateway.upstream.UpstreamException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs one sequence on a backend and returns its events, ending with the event that carries
 * {@code finish_reason}. Fails over to another backend only while that sequence has produced nothing (so
 * nothing of it can have reached the client); afterwards a failure ends it with an {@link ApiException}.
 */
@Component
public class SequenceRouter {
    private static final Logger log = LoggerFactory.getLogger(SequenceRouter.class);

    private final BackendSelector selector;
    private final BackendRegistry registry;
    private final InferenceClient inference;
    private final Duration firstTokenTimeout;
    private final Duration idleTimeout;
    private final int maxAttempts;

    public SequenceRouter(BackendSelector selector, BackendRegistry registry, InferenceClient inference,
                          GatewayProperties properties) {
        this.selector = selector;
        this.registry = registry;
        this.inference = inference;
        this.firstTokenTimeout = properties.firstTokenTimeout();
        this.idleTimeout = properties.idleTimeout();
        this.maxAttempts = properties.maxAttempts();
    }

    public Flux<GenerateEvent> stream(GenerateRequest request) {
        return Flux.deferContextual(ctx -> selector.hints(request, ctx.getOrDefault(SessionIdFilter.CONTEXT_KEY, null))
                        .flatMapMany(hints -> attempt(request, hints, new HashSet<>(), 1, null)))
                .onErrorMap(SequenceRouter::toClientError);
    }

    private Flux<GenerateEvent> attempt(GenerateRequest original, BackendSelector.Hints hints, Set<Backend> tried,
                                        int attempt, Throwable previous) {
        BackendSelector.Route route = selector.select(original, hints, tried).orElse(null);
        if (route == null) {
            return Flux.error(previous != null ? previous : ApiException.unavailable("No healthy backend is available."));
        }
        Backend backend = route.backend();
        GenerateRequest request = route.request();
        tried.add(backend);
        AtomicBoolean received = new AtomicBoolean();
        AtomicBoolean finished = new AtomicBoolean();
        return registry.track(backend, inference.generate(backend.uri(), request))
                .timeout(Mono.delay(firstTokenTimeout), event -> Mono.delay(idleTimeout))
                .takeUntil(event -> event.finishReason() != null)
                .doOnNext(event -> {
                    received.set(true);
                    if (event.finishReason() != null) {
                        finished.set(true);
                    }
                })
                .concatWith(Mono.defer(() -> finished.get()
                        ? Mono.empty()
                        : Mono.error(UpstreamException.failed("inference-service ended the stream without a finish reason", null))))
                .onErrorMap(TimeoutException.class, e -> received.get()
                        ? ApiException.timeout("No token from the model for " + idleTimeout.toSeconds() + " s; request abandoned.")
                        : ApiException.timeout("The model produced no first token within " + firstTokenTimeout.toSeconds() + " s."))
                .transformDeferred(CircuitBreakerOperator.of(backend.circuitBreaker()))
                .onErrorMap(CallNotPermittedException.class,
                        e -> UpstreamException.unavailable("circuit breaker for " + backend + " is open", e))
                .onErrorResume(
                        e -> !received.get() && e instanceof UpstreamException u && u.retryable() && attempt < maxAttempts,
                        e -> {
                            log.info("request {} failed on {} before its first event ({}); trying another backend",
                                    request.requestId(), backend, e.getMessage());
                            return attempt(original, hints, tried, attempt + 1, e);
                        });
    }

    private static Throwable toClientError(Throwable e) {
        if (e instanceof ApiException) {
            return e;
        }
        if (e instanceof UpstreamException u) {
            if (u.status() == 503 && !u.countsAgainstBackend()) {
                return ApiException.unavailable("The server is overloaded, retry later: " + u.getMessage());
            }
            if (u.status() == 503) {
                // The detail names internal hosts; the log keeps it, the client learns what it can act on.
                log.warn("no backend could take a request: {}", u.getMessage());
                return ApiException.unavailable("No healthy backend is available.");
            }
            // A backend's 400 is the engine refusing the request's values (its admission checks).
            return new ApiException(u.status(), u.getMessage(), null, u.status() == 400 ? ErrorCode.INVALID_VALUE : null);
        }
        log.warn("unexpected upstream failure", e);
        return new ApiException(500, "Upstream failure.");
    }
}
