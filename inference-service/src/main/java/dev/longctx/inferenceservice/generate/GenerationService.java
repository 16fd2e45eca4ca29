package dev.longctx.inferenceservice.generate;

import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.common.wire.PackedTokenIds;
import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.EngineRequest;
import dev.longctx.engine.serving.InferenceEngine;
import dev.longctx.inferenceservice.engine.EngineHost;
import dev.longctx.inferenceservice.engine.EngineProperties;
import dev.longctx.inferenceservice.kvshare.KvPuller;
import java.util.UUID;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Turns a GenerateRequest into an engine request and its outputs into a stream of GenerateEvents. */
@Service
public class GenerationService {

    private final EngineHost host;
    private final SamplingResolver sampling;
    private final GenerateProperties properties;
    private final int maxWaiting;
    private final EngineOptions engineOptions;

    private final KvPuller kvPuller;

    GenerationService(EngineHost host, SamplingResolver sampling, GenerateProperties properties,
                      EngineProperties engineProperties, KvPuller kvPuller) {
        this.kvPuller = kvPuller;
        this.host = host;
        this.sampling = sampling;
        this.properties = properties;
        this.maxWaiting = engineProperties.maxWaitingOrUnbounded();
        this.engineOptions = engineProperties.toEngineOptions();
    }

    /**
     * Pulls the request's prefix from the instance the gateway named, when that is cheaper than prefilling it
     * ({@link KvPuller}), then submits the request and emits its event stream once the first output arrived or
     * {@link GenerateProperties#statusWait()} passed. Fails instead (for an HTTP status) when the request is
     * refused or the engine fails it before that. Cancelling at any point cancels the engine request, which frees
     * its KV blocks.
     */
    public Mono<Flux<GenerateEvent>> generate(GenerateRequest request) {
        return kvPuller.pullIfCheaper(request).then(Mono.defer(() -> {
            InferenceEngine engine = host.engine();
            String requestId = request.requestId() != null && !request.requestId().isBlank()
                    ? request.requestId() : "gen-" + UUID.randomUUID();
            int[] prompt = promptTokens(request.prompt());
            requireKvCapacity(engine, prompt.length);
            if (engine.stats().waiting() >= maxWaiting) {
                throw new EngineException(EngineException.Kind.QUEUE_FULL,
                        maxWaiting + " requests already waiting (longctx.engine.max-waiting)");
            }
            SamplingParams params = sampling.resolve(request.sampling(), prompt.length, engine.maxModelLen());

            StreamingOutputListener listener = new StreamingOutputListener(requestId);
            InferenceEngine.RequestHandle handle =
                    engine.submit(new EngineRequest(requestId, prompt, params, request.sparse()), listener);
            Flux<GenerateEvent> events = listener.events().doOnCancel(handle::cancel);
            return listener.firstSignal()
                    .timeout(properties.statusWait(), Mono.empty())
                    .thenReturn(events)
                    .doOnCancel(handle::cancel);
        }));
    }

    /** Ids within the vocabulary are the engine's check (it knows the model); here only the wire's own sanity. */
    private static int[] promptTokens(PackedTokenIds ids) {
        if (ids == null || ids.isEmpty()) {
            throw new EngineException(EngineException.Kind.INVALID_REQUEST, "prompt_token_ids must not be empty");
        }
        if (ids.min() < 0) {
            throw new EngineException(EngineException.Kind.INVALID_REQUEST, "Token id " + ids.min() + " is out of vocabulary");
        }
        return ids.toArray();
    }

    /**
     * A prompt larger than the whole KV cache can never run; refusing it here gives the client a 400 with the
     * reason instead of a retryable out-of-memory error it would retry forever. The engine knows its cache's size
     * (on a GPU it is sized from free memory); an engine that cannot tell is held to the configured block count.
     */
    private void requireKvCapacity(InferenceEngine engine, int promptTokens) {
        long capacity = engine.kvCacheTokens().orElse(engineOptions.kvCacheBytes() == 0 && engineOptions.kvCacheBlocks() > 0
                ? (long) engineOptions.kvCacheBlocks() * engineOptions.kvBlockSize() : -1);
        if (capacity >= 0 && promptTokens > capacity) {
            throw new EngineException(EngineException.Kind.INVALID_REQUEST, "prompt of " + promptTokens
                    + " tokens does not fit in the KV cache of " + capacity + " tokens (longctx.engine.kv-cache-blocks"
                    + " x block-size, or what gpu-memory-utilization leaves on a GPU)");
        }
    }
}
