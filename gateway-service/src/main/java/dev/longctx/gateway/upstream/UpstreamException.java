package dev.longctx.gateway.upstream;

/**
 * A backend call failed. {@link #retryable()} says whether the same request may go to another backend (only
 * ever before that request's first event), {@link #countsAgainstBackend()} whether the backend's circuit
 * breaker should hold it against the backend; {@link #status()} is what the client is answered.
 */
public class UpstreamException extends RuntimeException {
    private final int status;
    private final boolean retryable;
    private final boolean countsAgainstBackend;

    private UpstreamException(int status, String message, boolean retryable, boolean countsAgainstBackend, Throwable cause) {
        super(message, cause, false, false);
        this.status = status;
        this.retryable = retryable;
        this.countsAgainstBackend = countsAgainstBackend;
    }

    /** The backend is up but its queue is full (503 QUEUE_FULL); another backend may have room. */
    public static UpstreamException overloaded(String message) {
        return new UpstreamException(503, message, true, false, null);
    }

    /** Could not reach the backend or it failed with a 5xx before streaming. */
    public static UpstreamException unavailable(String message, Throwable cause) {
        return new UpstreamException(503, message, true, true, cause);
    }

    /** The backend refused the request itself (4xx); another backend would refuse it too. */
    public static UpstreamException rejected(int status, String message) {
        return new UpstreamException(status, message, false, false, null);
    }

    /** The stream broke after it had started, or the backend reported an error event. */
    public static UpstreamException failed(String message, Throwable cause) {
        return new UpstreamException(500, message, false, true, cause);
    }

    public int status() {
        return status;
    }

    public boolean retryable() {
        return retryable;
    }

    public boolean countsAgainstBackend() {
        return countsAgainstBackend;
    }
}
