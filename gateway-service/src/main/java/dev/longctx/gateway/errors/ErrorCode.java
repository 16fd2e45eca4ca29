package dev.longctx.gateway.errors;

/**
 * OpenAI's string error codes, as its API and SDKs spell them. Which one a failure carries is decided where it
 * is raised ({@link ApiException}'s factories); situations without an OpenAI code carry null.
 */
public enum ErrorCode {
    MODEL_NOT_FOUND("model_not_found"),
    CONTEXT_LENGTH_EXCEEDED("context_length_exceeded"),
    INVALID_VALUE("invalid_value"),
    UNSUPPORTED_PARAMETER("unsupported_parameter"),
    MISSING_REQUIRED_PARAMETER("missing_required_parameter"),
    REQUEST_TOO_LARGE("request_too_large"),
    INVALID_API_KEY("invalid_api_key"),
    RATE_LIMIT_EXCEEDED("rate_limit_exceeded");

    private final String wire;

    ErrorCode(String wire) {
        this.wire = wire;
    }

    public String wire() {
        return wire;
    }
}
