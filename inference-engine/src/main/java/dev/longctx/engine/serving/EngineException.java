package dev.longctx.engine.serving;

/**
 * A request-level failure with a client-presentable message and a kind the HTTP layer maps to a status.
 */
public class EngineException extends RuntimeException {

    public enum Kind { INVALID_REQUEST, QUEUE_FULL, OUT_OF_KV_CACHE, CANCELLED, INTERNAL }

    private final Kind kind;

    public EngineException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public Kind kind() { return kind; }
}
