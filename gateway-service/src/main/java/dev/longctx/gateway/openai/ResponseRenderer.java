package dev.longctx.gateway.openai;

import dev.longctx.common.wire.TokenLogprob;
import dev.longctx.gateway.errors.ApiError;
import dev.longctx.gateway.errors.ApiException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** Turns merged choice events into OpenAI objects: one aggregated answer, or SSE frames. */
@Component
public class ResponseRenderer {
    private static final Logger log = LoggerFactory.getLogger(ResponseRenderer.class);
    static final String DONE = "data: [DONE]\n\n";

    private final JsonMapper json;

    public ResponseRenderer(JsonMapper json) {
        this.json = json;
    }

    /** The non-streaming answer, built once every choice has finished. */
    public Mono<Object> aggregate(PreparedRequest prepared, Flux<ChoiceEvent> events) {
        UsageTally tally = new UsageTally(prepared);
        int choices = prepared.choices();
        StringBuilder[] texts = new StringBuilder[choices];
        String[] finishReasons = new String[choices];
        List<List<TokenLogprob>> logprobs = new ArrayList<>(choices);
        for (int i = 0; i < choices; i++) {
            texts[i] = new StringBuilder();
            logprobs.add(new ArrayList<>());
        }
        return events.doOnNext(choiceEvent -> {
                    tally.accept(choiceEvent);
                    texts[choiceEvent.index()].append(choiceEvent.text());
                    if (choiceEvent.event().logprobs() != null) {
                        logprobs.get(choiceEvent.index()).addAll(choiceEvent.event().logprobs());
                    }
                    if (choiceEvent.event().finishReason() != null) {
                        finishReasons[choiceEvent.index()] = choiceEvent.event().finishReason();
                    }
                })
                .then(Mono.fromSupplier(() -> switch (prepared.request().kind()) {
                    case CHAT -> {
                        List<ChatCompletionResponse.Choice> out = new ArrayList<>();
                        for (int i = 0; i < choices; i++) {
                            out.add(new ChatCompletionResponse.Choice(i,
                                    new ChatCompletionResponse.AssistantMessage("assistant", texts[i].toString()),
                                    logprobsOf(prepared, logprobs.get(i), 0), finishReasons[i]));
                        }
                        yield new ChatCompletionResponse(
                                prepared.id(), prepared.created(), prepared.model(), out, tally.usage());
                    }
                    case COMPLETION -> {
                        List<CompletionResponse.Choice> out = new ArrayList<>();
                        for (int i = 0; i < choices; i++) {
                            out.add(new CompletionResponse.Choice(i, texts[i].toString(),
                                    logprobsOf(prepared, logprobs.get(i), 0), finishReasons[i]));
                        }
                        yield new CompletionResponse(
                                prepared.id(), prepared.created(), prepared.model(), out, tally.usage());
                    }
                }));
    }

    /** The choice's logprobs object, or null when the request did not ask for logprobs. */
    private static Object logprobsOf(PreparedRequest prepared, List<TokenLogprob> positions, int textOffset) {
        Integer k = prepared.request().sampling().logprobs();
        if (k == null || positions == null) {
            return null;
        }
        return switch (prepared.request().kind()) {
            case CHAT -> OpenAiLogprobs.chat(positions, k);
            case COMPLETION -> OpenAiLogprobs.completion(positions, k, textOffset);
        };
    }

    /**
     * SSE frames ({@code data: {json}\n\n}) ending in {@code data: [DONE]}. Nothing is emitted before the
     * first upstream event, so a failure that early (every backend down) still becomes a plain JSON error with
     * its status; a failure after the first frame becomes an error frame and [DONE], never a hang.
     */
    public Flux<String> sse(PreparedRequest prepared, Flux<ChoiceEvent> events) {
        UsageTally tally = new UsageTally(prepared);
        boolean[] started = new boolean[prepared.choices()];
        int[] textOffsets = new int[prepared.choices()];
        AtomicBoolean emitted = new AtomicBoolean();
        Flux<String> frames = events
                .concatMap(choiceEvent -> {
                    tally.accept(choiceEvent);
                    List<Object> chunks = chunksFor(prepared, choiceEvent, started, textOffsets);
                    return Flux.fromIterable(chunks).map(this::frame);
                })
                .concatWith(Mono.fromSupplier(() -> prepared.request().includeUsage()
                                ? List.of(frame(usageChunk(prepared, tally.usage())))
                                : List.<String>of())
                        .flatMapIterable(list -> list))
                .concatWith(Mono.just(DONE))
                .doOnNext(frame -> emitted.set(true));
        return frames.onErrorResume(e -> emitted.get(), e -> {
            ApiError error = e instanceof ApiException api ? api.toBody() : new ApiException(500, "Internal server error").toBody();
            log.warn("stream {} failed after it had started: {}", prepared.id(), e.getMessage());
            return Flux.just(frame(error), DONE);
        });
    }

    private List<Object> chunksFor(PreparedRequest prepared, ChoiceEvent choiceEvent, boolean[] started, int[] textOffsets) {
        int index = choiceEvent.index();
        String text = choiceEvent.text();
        String finish = choiceEvent.event().finishReason();
        Object logprobs = logprobsOf(prepared, choiceEvent.event().logprobs(), textOffsets[index]);
        textOffsets[index] += text.codePointCount(0, text.length());
        // Tokens whose text is held back (a possible stop string, half a UTF-8 character) still carry logprobs.
        boolean worthAChunk = !text.isEmpty() || finish != null || logprobs != null && choiceEvent.tokenCount() > 0;
        List<Object> chunks = new ArrayList<>(2);
        switch (prepared.request().kind()) {
            case CHAT -> {
                if (!started[index]) {
                    started[index] = true;
                    chunks.add(chatChunk(prepared, index, new ChatCompletionChunk.Delta("assistant", ""), null, null));
                }
                if (worthAChunk) {
                    String content = text.isEmpty() ? null : text;
                    chunks.add(chatChunk(prepared, index, new ChatCompletionChunk.Delta(null, content), logprobs, finish));
                }
            }
            case COMPLETION -> {
                if (worthAChunk) {
                    chunks.add(new CompletionResponse(prepared.id(), prepared.created(), prepared.model(),
                            List.of(new CompletionResponse.Choice(index, text, logprobs, finish)), null));
                }
            }
        }
        return chunks;
    }

    private static ChatCompletionChunk chatChunk(
            PreparedRequest prepared, int index, ChatCompletionChunk.Delta delta, Object logprobs, String finish) {
        return new ChatCompletionChunk(prepared.id(), prepared.created(), prepared.model(),
                List.of(new ChatCompletionChunk.Choice(index, delta, logprobs, finish)), null);
    }

    private static Object usageChunk(PreparedRequest prepared, Usage usage) {
        return switch (prepared.request().kind()) {
            case CHAT -> new ChatCompletionChunk(prepared.id(), prepared.created(), prepared.model(), List.of(), usage);
            case COMPLETION -> new CompletionResponse(prepared.id(), prepared.created(), prepared.model(), List.of(), usage);
        };
    }

    private String frame(Object payload) {
        return "data: " + json.writeValueAsString(payload) + "\n\n";
    }
}
