package dev.longctx.gateway.errors;

/**
 * A failure the client is meant to see, already phrased for it: status, message, the offending field and
 * OpenAI's code. The factories below are the one place that decides which code a situation gets (the table in
 * gateway-service/README.md). Anything else reaching the error handler is answered as a generic 500 so that
 * internals never leak.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String param;
    private final ErrorCode code;

    public ApiException(int status, String message, String param, ErrorCode code) {
        super(message, null, false, false);
        this.status = status;
        this.param = param;
        this.code = code;
    }

    /** A status whose code follows from it alone (401, 413, 429) or has none (5xx, 404 routes, 405). */
    public ApiException(int status, String message) {
        this(status, message, null, switch (status) {
            case 401 -> ErrorCode.INVALID_API_KEY;
            case 413 -> ErrorCode.REQUEST_TOO_LARGE;
            case 429 -> ErrorCode.RATE_LIMIT_EXCEEDED;
            default -> null;
        });
    }

    /**
     * The code the table gives a status and param alone: 404 on "model" is model_not_found, a 400 naming a field
     * is invalid_value. Prefer the named factories, which say which situation it is.
     */
    public ApiException(int status, String message, String param) {
        this(status, message, param, status == 404 && "model".equals(param) ? ErrorCode.MODEL_NOT_FOUND
                : status == 400 && param != null ? ErrorCode.INVALID_VALUE
                : new ApiException(status, message).code());
    }

    /** Same as {@link #invalidValue}: a 400 that blames {@code param} (or, with null, no field). */
    public static ApiException badRequest(String message, String param) {
        return param == null ? malformed(message) : invalidValue(message, param);
    }

    /** A parameter with a value out of range, of the wrong type or shape. */
    public static ApiException invalidValue(String message, String param) {
        return new ApiException(400, message, param, ErrorCode.INVALID_VALUE);
    }

    /** A parameter this server does not implement, sent with a value that would change the result. */
    public static ApiException unsupported(String message, String param) {
        return new ApiException(400, message, param, ErrorCode.UNSUPPORTED_PARAMETER);
    }

    public static ApiException missing(String message, String param) {
        return new ApiException(400, message, param, ErrorCode.MISSING_REQUIRED_PARAMETER);
    }

    /** The prompt plus max_tokens do not fit; {@code param} is "messages" or "prompt". */
    public static ApiException contextLength(String message, String param) {
        return new ApiException(400, message, param, ErrorCode.CONTEXT_LENGTH_EXCEEDED);
    }

    /** The body is not JSON (or not an object): no field to blame, no OpenAI code. */
    public static ApiException malformed(String message) {
        return new ApiException(400, message, null, null);
    }

    public static ApiException modelNotFound(String model) {
        return new ApiException(404, "The model `" + model + "` does not exist.", "model", ErrorCode.MODEL_NOT_FOUND);
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, message);
    }

    public static ApiException timeout(String message) {
        return new ApiException(504, message);
    }

    public int status() {
        return status;
    }

    public String param() {
        return param;
    }

    public ErrorCode code() {
        return code;
    }

    /** 4xx: the request itself was refused; it says nothing about a backend's health. */
    public boolean isClientError() {
        return status >= 400 && status < 500;
    }

    public ApiError toBody() {
        return ApiError.of(status, getMessage(), param, code == null ? null : code.wire());
    }
}
