package dev.longctx.gateway.errors;

/**
 * The {@code type} names, one per status, as vLLM's server and the OpenAI SDK's exception classes spell
 * them, so a client switching on type behaves as it would against vLLM.
 */
public final class ErrorTypes {
    private ErrorTypes() {}

    public static String forStatus(int status) {
        return switch (status) {
            case 400, 405, 413, 415, 422 -> "BadRequestError";
            case 401 -> "AuthenticationError";
            case 403 -> "PermissionDeniedError";
            case 404 -> "NotFoundError";
            case 429 -> "RateLimitError";
            case 503 -> "ServiceUnavailableError";
            case 504 -> "TimeoutError";
            default -> status >= 500 ? "InternalServerError" : "BadRequestError";
        };
    }
}
