package dev.longctx.gateway.upstream;

import dev.longctx.common.wire.BackendInfo;
import dev.longctx.common.wire.BackendLoad;
import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.gateway.config.GatewayProperties;
import java.net.URI;
import java.time.Duration;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * inference-service's POST /internal/generate as a Flux of events. Cancelling the Flux closes the upstream
 * connection mid-response, which inference-service takes as the request's cancel and frees its KV cache.
 * Every failure comes out as an {@link UpstreamException} so the router can decide on failover.
 */
@Component
public class InferenceClient {
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(InferenceClient.class);
    private static final MediaType NDJSON = MediaType.parseMediaType("application/x-ndjson");

    private final WebClient web;
    private final ErrorBodies errorBodies;
    private final Duration probeTimeout;

    public InferenceClient(WebClient upstreamWebClient, ErrorBodies errorBodies, GatewayProperties properties) {
        this.web = upstreamWebClient;
        this.errorBodies = errorBodies;
        this.probeTimeout = properties.probeTimeout();
    }

    public Flux<GenerateEvent> generate(URI backend, GenerateRequest request) {
        return web.post()
                .uri(backend.resolve("/internal/generate"))
                .contentType(MediaType.APPLICATION_JSON)
                .accept(NDJSON)
                .bodyValue(request)
                .exchangeToFlux(response -> {
                    int status = response.statusCode().value();
                    if (response.statusCode().is2xxSuccessful()) {
                        return response.bodyToFlux(GenerateEvent.class)
                                .onErrorMap(e -> !(e instanceof UpstreamException), e -> {
                                    // The cause may be a decoder's text naming Java types: the log keeps it.
                                    log.warn("stream from {} broke: {}", backend, e.toString());
                                    return UpstreamException.failed("The inference-service stream broke mid-response.", e);
                                });
                    }
                    return response.bodyToMono(String.class)
                            .defaultIfEmpty("")
                            .flatMapMany(body -> Flux.error(statusError(backend, status, body)));
                })
                .concatMap(InferenceClient::failOnErrorEvent)
                .onErrorMap(WebClientRequestException.class,
                        e -> UpstreamException.unavailable("inference-service at " + backend + " is unreachable", e));
    }

    public Mono<BackendInfo> info(URI backend) {
        return web.get()
                .uri(backend.resolve("/internal/info"))
                .retrieve()
                .bodyToMono(BackendInfo.class)
                .timeout(probeTimeout);
    }

    /** GET /internal/load: the backend's queued and running tokens. */
    public Mono<BackendLoad> load(URI backend) {
        return web.get()
                .uri(backend.resolve("/internal/load"))
                .retrieve()
                .bodyToMono(BackendLoad.class)
                .timeout(probeTimeout);
    }

    private UpstreamException statusError(URI backend, int status, String body) {
        String message = errorBodies.message(body, "inference-service answered HTTP " + status);
        if (status == 503 || status == 429) {
            return UpstreamException.overloaded(message);
        }
        if (status >= 400 && status < 500) {
            return UpstreamException.rejected(status, message);
        }
        return UpstreamException.unavailable("inference-service at " + backend + " failed: " + message, null);
    }

    /** An error event ends the stream; its code says whether it was overload (retryable) or a real failure. */
    private static Flux<GenerateEvent> failOnErrorEvent(GenerateEvent event) {
        if (event.error() == null) {
            return Flux.just(event);
        }
        GenerateEvent.ErrorInfo error = event.error();
        int code = error.code() == null ? 500 : error.code();
        String message = error.message() == null ? "inference-service reported an error" : error.message();
        if (code == 503 || code == 429) {
            return Flux.error(UpstreamException.overloaded(message));
        }
        if (code >= 400 && code < 500) {
            return Flux.error(UpstreamException.rejected(code, message));
        }
        return Flux.error(UpstreamException.failed(message, null));
    }
}
