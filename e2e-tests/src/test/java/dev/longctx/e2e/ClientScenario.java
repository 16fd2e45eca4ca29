package dev.longctx.e2e;

import static dev.longctx.e2e.Api.chat;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Objects;
import java.util.stream.Stream;

/**
 * What the Java-client tests share: one greedy chat request (with vLLM's {@code ignore_eos}, so it always yields
 * {@link #MAX_TOKENS} tokens) and its answer over plain HTTP, which is the text each client must have parsed.
 */
final class ClientScenario {
    static final String PROMPT = "Tell me a story about the sea.";
    static final int MAX_TOKENS = 8;

    private ClientScenario() {}

    /** The greedy chat's text as the gateway sends it, read without any client library. */
    static String rawGreedyChatText(Stack stack) {
        Api.Response raw = Api.of(stack).post("/v1/chat/completions", chat(stack.modelName(), PROMPT,
                "max_completion_tokens", MAX_TOKENS, "temperature", 0, "ignore_eos", true));
        assertThat(raw.status()).as(raw.body()).isEqualTo(200);
        return raw.json().path("choices").get(0).path("message").path("content").asString();
    }

    /** A throwable and its causes, outermost first: clients wrap the exception that carries the HTTP details. */
    static Stream<Throwable> causes(Throwable thrown) {
        return Stream.iterate(thrown, Objects::nonNull, Throwable::getCause).limit(10);
    }
}
