package dev.longctx.tokenizerservice.error;

import com.fasterxml.jackson.annotation.JsonInclude;
import org.springframework.http.HttpStatusCode;

/**
 * The error body the gateway also answers with (its /tokenize relays these verbatim):
 * {@code {"error":{"message","type","param","code"}}}, vLLM's type names, OpenAI's string code or null;
 * {@code param} and {@code code} are always present.
 */
public record OpenAiErrorResponse(Error error) {

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Error(String message, String type, String param, String code) {}

    public static OpenAiErrorResponse of(HttpStatusCode status, String message) {
        String code = status.value() == 413 ? "request_too_large" : null;
        return new OpenAiErrorResponse(new Error(message, typeOf(status.value()), null, code));
    }

    /** The type names vLLM uses for each status. */
    private static String typeOf(int status) {
        return switch (status) {
            case 404 -> "NotFoundError";
            case 503 -> "ServiceUnavailableError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
    }
}
