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
        ApiError body = toApiError(ex);
        response.setRawStatusCode(body.error().code());
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        byte[] bytes = json.writeValueAsBytes(body);
        DataBuffer buffer = response.bufferFactory().wrap(bytes);
        return response.writeWith(Mono.just(buffer));
    }

    ApiError toApiError(Throwable ex) {
        if (ex instanceof ApiException api) {
            return api.toBody();
        }
        if (ex instanceof RequestNotPermitted) {
            return ApiError.of(429, "Rate limit exceeded, retry later.", null);
        }
        if (ex instanceof ServerWebInputException input) {
            return decodeError(input);
        }
        if (ex instanceof ResponseStatusException status) {
            int code = status.getStatusCode().value();
            String message = switch (code) {
                case 404 -> "Not Found";
                case 405 -> "Method Not Allowed";
                case 415 -> "Unsupported Media Type: send application/json";
                default -> status.getReason() != null ? status.getReason() : "HTTP " + code;
            };
            return ApiError.of(code, message, null);
        }
        log.error("unhandled error", ex);
        return ApiError.of(500, "Internal server error", null);
    }

    /** Jackson's own message names the field and the offending token, which is what a caller needs to fix it. */
    private static ApiError decodeError(ServerWebInputException input) {
        for (Throwable cause = input; cause != null; cause = cause.getCause()) {
            if (cause instanceof JacksonException jackson) {
                String message = firstLine(jackson.getOriginalMessage());
                String param = jackson.getPath().isEmpty() ? null : jackson.getPath().getFirst().getPropertyName();
                return ApiError.of(400, "Invalid request body: " + message, param);
            }
        }
        String reason = input.getReason() != null ? input.getReason() : "Invalid request body";
        return ApiError.of(400, reason, null);
    }

    private static String firstLine(String text) {
        if (text == null) {
            return "malformed JSON";
        }
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }
}
