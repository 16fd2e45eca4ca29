package dev.longctx.engine.backend;

/**
 * A device was asked for that cannot run here. The message is one line for the user, e.g.
 * "CUDA backend unavailable: no NVIDIA driver (libcuda.so.1 not found)"; the CLI prints it as it is.
 */
public final class BackendUnavailableException extends UnsupportedOperationException {
    public BackendUnavailableException(String message) {
        super(message);
    }
}
