package dev.longctx.inferenceservice.generate;

import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.engine.serving.EngineException;
import org.springframework.http.HttpStatus;

/** How engine failures look on the wire: the HTTP status and the OpenAI error the gateway passes on. */
public final class EngineErrors {

    private EngineErrors() {}

    /**
     * OUT_OF_KV_CACHE reaching here is transient (other requests hold the blocks; a prompt that could never fit
     * is refused with 400 before submission), so it is a retryable 503 like a full queue.
     */
    public static HttpStatus status(EngineException.Kind kind) {
        return switch (kind) {
            case INVALID_REQUEST -> HttpStatus.BAD_REQUEST;
            case QUEUE_FULL, OUT_OF_KV_CACHE, CANCELLED -> HttpStatus.SERVICE_UNAVAILABLE;
            case INTERNAL -> HttpStatus.INTERNAL_SERVER_ERROR;
        };
    }

    public static GenerateEvent event(String requestId, EngineException error) {
        return event(requestId, status(error.kind()), describe(error));
    }

    public static GenerateEvent event(String requestId, HttpStatus status, String message) {
        return new GenerateEvent(requestId, null, null, null, null, null, null,
                new GenerateEvent.ErrorInfo(message, type(status), status.value()));
    }

    private static String describe(EngineException error) {
        return switch (error.kind()) {
            case QUEUE_FULL -> "server busy: the request queue is full, retry later (" + error.getMessage() + ")";
            case OUT_OF_KV_CACHE -> "server busy: out of KV cache memory, retry later (" + error.getMessage() + ")";
            default -> error.getMessage();
        };
    }

    /** The type names vLLM uses for each status. */
    static String type(HttpStatus status) {
        return switch (status) {
            case BAD_REQUEST -> "BadRequestError";
            case NOT_FOUND -> "NotFoundError";
            case SERVICE_UNAVAILABLE -> "ServiceUnavailableError";
            default -> status.is5xxServerError() ? "InternalServerError" : "BadRequestError";
        };
    }
}
