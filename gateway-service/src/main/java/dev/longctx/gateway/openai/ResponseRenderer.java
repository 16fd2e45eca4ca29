package dev.longctx.gateway.openai;

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
        StringBuilder[] texts = new StringBuilder[prepared.choices()];
        String[] finishReasons = new String[prepared.choices()];
        for (int i = 0; i < texts.length; i++) {
            texts[i] = new StringBuilder();
        }
        return events.doOnNext(choiceEvent -> {
                    tally.accept(choiceEvent);
                    texts[choiceEvent.index()].append(choiceEvent.text());
                    if (choiceEvent.event().finishReason() != null) {
                        finishReasons[choiceEvent.index()] = choiceEvent.event().finishReason();
                    }
                })
                .then(Mono.fromSupplier(() -> switch (prepared.request().kind()) {
                    case CHAT -> {
                        List<ChatCompletionResponse.Choice> choices = new ArrayList<>();
                        for (int i = 0; i < texts.length; i++) {
                            choices.add(new ChatCompletionResponse.Choice(i,
                                    new ChatCompletionResponse.AssistantMessage("assistant", texts[i].toString()),
                                    null, finishReasons[i]));
                        }
                        yield new ChatCompletionResponse(
                                prepared.id(), prepared.created(), prepared.model(), choices, tally.usage());
                    }
                    case COMPLETION -> {
                        List<CompletionResponse.Choice> choices = new ArrayList<>();
                        for (int i = 0; i < texts.length; i++) {
                            choices.add(new CompletionResponse.Choice(i, texts[i].toString(), null, finishReasons[i]));
                        }
                        yield new CompletionResponse(
                                prepared.id(), prepared.created(), prepared.model(), choices, tally.usage());
                    }
                }));
    }

    /**
     * SSE frames ({@code data: {json}\n\n}) ending in {@code data: [DONE]}. Nothing is emitted before the
     * first upstream event, so a failure that early (every backend down) still becomes a plain JSON error with
     * its status; a failure after the first frame becomes an error frame and [DONE], never a hang.
     */
    public Flux<String> sse(PreparedRequest prepared, Flux<ChoiceEvent> events) {
        UsageTally tally = new UsageTally(prepared);
        boolean[] started = new boolean[prepared.choices()];
        AtomicBoolean emitted = new AtomicBoolean();
        Flux<String> frames = events
                .concatMap(choiceEvent -> {
                    tally.accept(choiceEvent);
                    List<Object> chunks = chunksFor(prepared, choiceEvent, started);
                    return Flux.fromIterable(chunks).map(this::frame);
                })
                .concatWith(Mono.fromSupplier(() -> prepared.request().includeUsage()
                                ? List.of(frame(usageChunk(prepared, tally.usage())))
                                : List.<String>of())
                        .flatMapIterable(list -> list))
                .concatWith(Mono.just(DONE))
                .doOnNext(frame -> emitted.set(true));
        return frames.onErrorResume(e -> emitted.get(), e -> {
            ApiError error = e instanceof ApiException api ? api.toBody() : ApiError.of(500, "Internal server error", null);
            log.warn("stream {} failed after it had started: {}", prepared.id(), e.getMessage());
            return Flux.just(frame(error), DONE);
        });
    }

    private List<Object> chunksFor(PreparedRequest prepared, ChoiceEvent choiceEvent, boolean[] started) {
        int index = choiceEvent.index();
        String text = choiceEvent.text();
        String finish = choiceEvent.event().finishReason();
        List<Object> chunks = new ArrayList<>(2);
        switch (prepared.request().kind()) {
            case CHAT -> {
                if (!started[index]) {
                    started[index] = true;
                    chunks.add(chatChunk(prepared, index, new ChatCompletionChunk.Delta("assistant", ""), null));
                }
                if (!text.isEmpty() || finish != null) {
                    String content = text.isEmpty() ? null : text;
                    chunks.add(chatChunk(prepared, index, new ChatCompletionChunk.Delta(null, content), finish));
                }
            }
            case COMPLETION -> {
                if (!text.isEmpty() || finish != null) {
                    chunks.add(new CompletionResponse(prepared.id(), prepared.created(), prepared.model(),
                            List.of(new CompletionResponse.Choice(index, text, null, finish)), null));
                }
            }
        }
        return chunks;
    }

    private static ChatCompletionChunk chatChunk(
            PreparedRequest prepared, int index, ChatCompletionChunk.Delta delta, String finish) {
        return new ChatCompletionChunk(prepared.id(), prepared.created(), prepared.model(),
                List.of(new ChatCompletionChunk.Choice(index, delta, null, finish)), null);
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
