package dev.longctx.engine.serving;

/**
 * The engine as the inference service sees it: requests go in, outputs stream back to a listener. The engine
 * runs its step loop on its own thread; {@link #submit} never blocks.
 */
public interface InferenceEngine extends AutoCloseable {

    /**
     * Queues a request.
     *
     * @throws EngineException QUEUE_FULL when the waiting queue is at its bound, INVALID_REQUEST for a prompt
     *                         the engine cannot take (empty, longer than the context)
     */
    RequestHandle submit(EngineRequest request, OutputListener listener);

    EngineStats stats();

    int maxModelLen();

    /** Tokens the whole KV cache holds (no prompt longer than this can run); empty if the engine cannot tell. */
    default java.util.OptionalLong kvCacheTokens() {
        return java.util.OptionalLong.empty();
    }

    /** Queued and running work in tokens, what a load-aware router weighs; empty if the engine cannot tell. */
    default java.util.Optional<EngineLoad> load() {
        return java.util.Optional.empty();
    }

    /** The prefix cache for sharing KV between instances; empty for an engine without one. */
    default java.util.Optional<PrefixCache> prefixCache() {
        return java.util.Optional.empty();
    }

    @Override
    void close();

    /** Cancels a running or waiting request; its KV blocks are freed within one step. */
    interface RequestHandle {
        void cancel();
    }
}
