package dev.longctx.gateway.errors;

import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.ServerWebInputException;
import org.springframework.web.server.WebExceptionHandler;
import reactor.core.publisher.Mono;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place a failure becomes an HTTP answer. Ordered ahead of Boot's own handlers so that every error,
 * including Jackson decode failures and unknown routes, gets the OpenAI envelope and never a stack trace.
 */
@Component
@Order(-2)
public class GlobalErrorHandler implements WebExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(GlobalErrorHandler.class);

    private final JsonMapper json;

    public GlobalErrorHandler(JsonMapper json) {
        this.json = json;
    }

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable ex) {
        ServerHttpResponse response = exchange.getResponse();
        if (response.isCommitted()) {
            // Streams handle their own late failures (error chunk + [DONE]); here the connection is all that is left.
            log.debug("error after response was committed: {}", ex.toString());
            return Mono.error(ex);
        }
        ApiException error = toApiException(ex);
        response.setRawStatusCode(error.status());
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        byte[] bytes = json.writeValueAsBytes(error.toBody());
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }

    static ApiException toApiException(Throwable ex) {
        if (ex instanceof ApiException api) {
            return api;
        }
        if (ex instanceof RequestNotPermitted) {
            return new ApiException(429, "Rate limit exceeded, retry later.");
        }
        if (ex instanceof ServerWebInputException input) {
            for (Throwable cause = input; cause != null; cause = cause.getCause()) {
                if (cause instanceof JacksonException jackson) {
                    return JsonErrors.describe(jackson);
                }
            }
            return ApiException.malformed("The request body could not be read.");
        }
        if (ex instanceof ResponseStatusException status) {
            int code = status.getStatusCode().value();
            String message = switch (code) {
                case 404 -> "Not Found";
                case 405 -> "Method Not Allowed";
                case 413 -> "The request body is too large.";
                case 415 -> "Unsupported Media Type: send application/json";
                default -> "HTTP " + code;
            };
            return new ApiException(code, message);
        }
        if (ex instanceof io.netty.handler.timeout.TimeoutException) {
            // A body that stopped arriving (body-read-timeout): the client's fault, and its connection is closing.
            log.info("request body timed out: {}", ex.toString());
            return new ApiException(408, "The request body did not arrive in time.");
        }
        log.error("unhandled error", ex);
        return new ApiException(500, "Internal server error");
    }
}
