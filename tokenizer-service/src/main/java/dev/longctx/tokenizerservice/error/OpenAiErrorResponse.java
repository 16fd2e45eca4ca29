package dev.longctx.tokenizerservice.error;

import org.springframework.http.HttpStatusCode;

/** The OpenAI error body: {@code {"error":{"message","type","param","code"}}}; {@code param} is always present. */
public record OpenAiErrorResponse(Error error) {

    public record Error(String message, String type, String param, int code) {}

    public static OpenAiErrorResponse of(HttpStatusCode status, String message) {
        return new OpenAiErrorResponse(new Error(message, typeOf(status.value()), null, status.value()));
    }

    /** The type names vLLM uses for each status. */
    private static String typeOf(int status) {
        return switch (status) {
            case 400 -> "BadRequestError";
            case 404 -> "NotFoundError";
            case 405 -> "MethodNotAllowedError";
            case 413 -> "RequestEntityTooLargeError";
            case 415 -> "UnsupportedMediaTypeError";
            case 503 -> "ServiceUnavailableError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
    }
}
