package dev.longctx.gateway.upstream;

import dev.longctx.common.wire.PackedTokenizeResponse;
import dev.longctx.common.wire.TokenizeRequest;
import dev.longctx.common.wire.TokenizerInfo;
import dev.longctx.gateway.config.GatewayProperties;
import dev.longctx.gateway.errors.ApiException;
import io.github.resilience4j.reactor.timelimiter.TimeLimiterOperator;
import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import reactor.core.publisher.Mono;

/**
 * tokenizer-service, every call bounded in time: /internal/tokenize (packed ids) for prompts, /internal/info for
 * the model's limits and health, and the public /tokenize and /detokenize relayed. Failures arrive already
 * phrased for the client.
 */
@Component
public class TokenizerClient {
    private static final Logger log = LoggerFactory.getLogger(TokenizerClient.class);
    private final WebClient web;
    private final URI tokenizerUrl;
    private final URI tokenizeUri;
    private final URI infoUri;
    private final TimeLimiter timeLimiter;
    private final Duration probeTimeout;
    private final ErrorBodies errorBodies;

    public TokenizerClient(WebClient upstreamWebClient, GatewayProperties properties, ErrorBodies errorBodies) {
        this.web = upstreamWebClient;
        this.tokenizerUrl = properties.tokenizerUrl();
        this.tokenizeUri = tokenizerUrl.resolve("/internal/tokenize");
        this.infoUri = tokenizerUrl.resolve("/internal/info");
        this.probeTimeout = properties.probeTimeout();
        this.errorBodies = errorBodies;
        this.timeLimiter = TimeLimiter.of("tokenizer", TimeLimiterConfig.custom()
                .timeoutDuration(properties.tokenizeTimeout())
                .cancelRunningFuture(true)
                .build());
    }

    /** A tokenizer-service answer relayed verbatim: its status and JSON body. */
    public record Relayed(int status, byte[] body) {}

    /**
     * Relays vLLM's public /tokenize and /detokenize to tokenizer-service unchanged, so clients that count
     * tokens through the API server keep working against the gateway.
     */
    public Mono<Relayed> relay(String path, byte[] body) {
        return web.post()
                .uri(tokenizerUrl.resolve(path))
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .exchangeToMono(response -> response.bodyToMono(byte[].class)
                        .defaultIfEmpty(new byte[0])
                        .map(bytes -> new Relayed(response.statusCode().value(), bytes)))
                .transformDeferred(TimeLimiterOperator.of(timeLimiter))
                .onErrorMap(TimeoutException.class, e -> new ApiException(504, "Timed out waiting for tokenizer-service."))
                .onErrorMap(e -> !(e instanceof ApiException), e -> new ApiException(503, "tokenizer-service is unavailable."));
    }

    /** The model's limits; also the health probe. Short timeout: it answers from memory. */
    public Mono<TokenizerInfo> info() {
        return web.get()
                .uri(infoUri)
                .retrieve()
                .bodyToMono(TokenizerInfo.class)
                .timeout(probeTimeout)
                .onErrorMap(e -> !(e instanceof ApiException), e -> ApiException.unavailable("tokenizer-service is unavailable."));
    }

    public Mono<PackedTokenizeResponse> tokenize(TokenizeRequest request) {
        return web.post()
                .uri(tokenizeUri)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(request)
                .exchangeToMono(response -> {
                    if (response.statusCode().is2xxSuccessful()) {
                        return response.bodyToMono(PackedTokenizeResponse.class);
                    }
                    int status = response.statusCode().value();
                    return response.bodyToMono(String.class)
                            .defaultIfEmpty("")
                            .flatMap(body -> Mono.error(status >= 400 && status < 500
                                    // The tokenizer refusing the input (bad roles, template errors) is the caller's problem.
                                    ? ApiException.invalidValue(errorBodies.message(body, "tokenizer rejected the request"),
                                            request.messages() != null ? "messages" : "prompt")
                                    : new ApiException(503, "tokenizer-service failed (HTTP " + status + ")")));
                })
                .transformDeferred(TimeLimiterOperator.of(timeLimiter))
                .onErrorMap(TimeoutException.class, e -> new ApiException(504, "Timed out waiting for tokenizer-service."))
                .onErrorMap(WebClientRequestException.class,
                        e -> new ApiException(503, "tokenizer-service is unavailable."))
                // e.g. an answer that does not decode: the tokenizer is at fault, not the caller.
                .onErrorMap(e -> !(e instanceof ApiException), e -> {
                    log.warn("tokenizer-service call failed", e);
                    return new ApiException(503, "tokenizer-service answered unexpectedly.");
                });
    }
}
