package dev.longctx.inferenceservice.generate;

import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.common.wire.TokenLogprob;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.GenerationOutput;
import dev.longctx.engine.serving.OutputListener;
import java.util.Arrays;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Bridges one request's engine callbacks to Reactor. The engine thread must never block, so every callback is a
 * {@code tryEmit} into a buffering unicast sink (one subscriber: the HTTP response); the buffer holds at most the
 * tokens generated faster than the client reads them.
 *
 * <p>{@link #firstSignal()} lets the controller hold the response headers until the request has either produced
 * output or failed, so failures the engine reports right away still get a proper HTTP status.
 */
final class StreamingOutputListener implements OutputListener {

    private final String requestId;
    private final Sinks.Many<GenerateEvent> events = Sinks.many().unicast().onBackpressureBuffer();
    private final Sinks.Empty<Void> firstSignal = Sinks.empty();

    StreamingOutputListener(String requestId) {
        this.requestId = requestId;
    }

    Flux<GenerateEvent> events() {
        return events.asFlux();
    }

    /** Completes at the first output; fails with the engine's error if that comes first. */
    Mono<Void> firstSignal() {
        return firstSignal.asMono();
    }

    @Override
    public synchronized void onOutput(GenerationOutput output) {
        events.tryEmitNext(new GenerateEvent(
                requestId,
                Arrays.stream(output.tokenIds()).boxed().toList(),
                output.text(),
                output.finishReason(),
                output.promptTokens(),
                output.completionTokens(),
                output.cachedPromptTokens(),
                null,
                wire(output.logprobs())));
        firstSignal.tryEmitEmpty();
        if (output.finished()) {
            events.tryEmitComplete();
        }
    }

    private static List<TokenLogprob> wire(List<GenerationOutput.TokenLogprob> logprobs) {
        if (logprobs == null) {
            return null;
        }
        return logprobs.stream().map(lp -> new TokenLogprob(lp.tokenId(), lp.token(), lp.logprob(),
                lp.top() == null ? null : wire(lp.top()))).toList();
    }

    @Override
    public synchronized void onError(EngineException error) {
        // Both: whoever is listening gets it. Before the headers are sent the controller turns the firstSignal
        // error into a status; after, the stream carries it as its last event.
        firstSignal.tryEmitError(error);
        events.tryEmitNext(EngineErrors.event(requestId, error));
        events.tryEmitComplete();
    }
}
