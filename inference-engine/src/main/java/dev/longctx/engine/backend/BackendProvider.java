package dev.longctx.engine.backend;

import dev.longctx.engine.EngineOptions;

/**
 * A backend the engine can find at run time ({@link java.util.ServiceLoader}): list the implementing class in
 * {@code META-INF/services/dev.longctx.engine.backend.BackendProvider}. A CUDA backend plugs in by adding its
 * provider there; nothing in the model code names it.
 */
public interface BackendProvider {

    /** What {@code --device} calls it: "cpu", "cuda". */
    String name();

    /**
     * Null when this backend can run here; otherwise one line saying why not (no driver, no GPU, no kernels built).
     * Cheap and without side effects: {@code auto} asks every provider.
     */
    String unavailableReason();

    /** Starts the backend (device context, worker threads). Call only when {@link #unavailableReason()} is null. */
    Backend open(EngineOptions options);
}
