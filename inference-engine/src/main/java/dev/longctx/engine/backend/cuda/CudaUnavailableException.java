package dev.longctx.engine.backend.cuda;

/** CUDA cannot be used here; the message is one line saying why (no driver, no device, no kernels, no cuBLAS). */
public final class CudaUnavailableException extends RuntimeException {
    public CudaUnavailableException(String reason) {
        super(reason);
    }

    public CudaUnavailableException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
