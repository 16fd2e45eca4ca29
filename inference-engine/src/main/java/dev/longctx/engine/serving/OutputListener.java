package dev.longctx.engine.serving;

/** Receives a request's outputs on an engine thread; implementations must not block. */
public interface OutputListener {

    void onOutput(GenerationOutput output);

    /** The request failed and is gone from the engine; no more calls follow. */
    void onError(EngineException error);
}
