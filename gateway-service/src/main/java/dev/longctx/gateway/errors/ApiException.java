package dev.longctx.gateway.errors;

/**
 * A failure the client is meant to see, already phrased for it. Anything else reaching the error handler is
 * answered as a generic 500 so that internals never leak.
 */
public class ApiException extends RuntimeException {
    private final int status;
    private final String param;

    public ApiException(int status, String message, String param) {
        super(message, null, false, false);
        this.status = status;
        this.param = param;
    }

    public ApiException(int status, String message) {
        this(status, message, null);
    }

    public static ApiException badRequest(String message, String param) {
        return new ApiException(400, message, param);
    }

    public int status() {
        return status;
    }

    public String param() {
        return param;
    }

    public ApiError toBody() {
        return ApiError.of(status, getMessage(), param);
    }
}
