package dev.longctx.e2e;

import static dev.longctx.e2e.Api.chat;
import static dev.longctx.e2e.Api.completion;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/** The OpenAI/vLLM API surface through the gateway, on the real engine, checked field by field. */
@Order(1)
@ExtendWith(StackExtension.class)
class OpenAiApiE2eTest {

    private Stack stack;
    private Api api;
    private String model;

    @BeforeEach
    void connect(Stack stack) {
        this.stack = stack;
        this.api = Api.of(stack);
        this.model = stack.modelName();
    }

    @Test
    void modelsListsTheServedModelWithItsContextLength() {
        Api.Response response = api.get("/v1/models");

        assertThat(response.status()).isEqualTo(200);
        JsonNode body = response.json();
        assertThat(body.path("object").asString()).isEqualTo("list");
        assertThat(body.path("data")).hasSize(1);
        JsonNode entry = body.path("data").get(0);
        assertThat(entry.path("id").asString()).isEqualTo(model);
        assertThat(entry.path("object").asString()).isEqualTo("model");
        assertThat(entry.path("owned_by").asString()).isEqualTo("longctx");
        assertThat(entry.path("max_model_len").asInt()).isEqualTo(stack.maxModelLen());
    }

    @Test
    void chatCompletionHasTheOpenAiShape() {
        Api.Response response = api.post("/v1/chat/completions",
                chat(model, "Say something.", "max_tokens", 8, "ignore_eos", true, "temperature", 0));

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        assertThat(response.contentType()).startsWith("application/json");
        JsonNode body = response.json();
        assertThat(body.path("id").asString()).startsWith("chatcmpl-");
        assertThat(body.path("object").asString()).isEqualTo("chat.completion");
        assertThat(body.path("created").asLong()).isPositive();
        assertThat(body.path("model").asString()).isEqualTo(model);
        assertThat(body.path("choices")).hasSize(1);
        JsonNode choice = body.path("choices").get(0);
        assertThat(choice.path("index").asInt()).isZero();
        assertThat(choice.path("message").path("role").asString()).isEqualTo("assistant");
        assertThat(choice.path("message").path("content").asString()).isNotEmpty();
        assertThat(choice.path("finish_reason").asString()).isEqualTo("length");
        JsonNode usage = body.path("usage");
        assertThat(usage.path("completion_tokens").asInt()).isEqualTo(8);
        assertThat(usage.path("prompt_tokens").asInt()).isPositive();
        assertThat(usage.path("total_tokens").asInt())
                .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
    }

    @Test
    void streamingChatStartsWithTheRoleAndEndsWithDoneAndMatchesTheNonStreamingText() {
        var request = chat(model, "Count with me.", "max_tokens", 12, "ignore_eos", true, "temperature", 0);
        String expected = api.post("/v1/chat/completions", request).json()
                .path("choices").get(0).path("message").path("content").asString();

        request.put("stream", true);
        List<String> events;
        try (Api.Sse sse = api.stream("/v1/chat/completions", request)) {
            assertThat(sse.status()).isEqualTo(200);
            assertThat(sse.contentType()).startsWith("text/event-stream");
            events = sse.rest();
        }

        assertThat(events).last().isEqualTo("[DONE]");
        List<JsonNode> chunks = events.subList(0, events.size() - 1).stream().map(e -> Api.JSON.readTree(e)).toList();
        assertThat(chunks).hasSizeGreaterThanOrEqualTo(2);
        String id = chunks.getFirst().path("id").asString();
        assertThat(id).startsWith("chatcmpl-");
        StringBuilder text = new StringBuilder();
        for (JsonNode chunk : chunks) {
            assertThat(chunk.path("id").asString()).isEqualTo(id);
            assertThat(chunk.path("object").asString()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.path("model").asString()).isEqualTo(model);
            assertThat(chunk.path("choices")).hasSize(1);
            assertThat(chunk.path("choices").get(0).path("index").asInt()).isZero();
            text.append(chunk.path("choices").get(0).path("delta").path("content").asString(""));
        }
        assertThat(chunks.getFirst().path("choices").get(0).path("delta").path("role").asString()).isEqualTo("assistant");
        assertThat(chunks.subList(1, chunks.size()))
                .allSatisfy(chunk -> assertThat(chunk.path("choices").get(0).path("delta").has("role")).isFalse());
        assertThat(chunks.subList(0, chunks.size() - 1))
                .allSatisfy(chunk -> assertThat(chunk.path("choices").get(0).path("finish_reason").isNull()).isTrue());
        assertThat(chunks.getLast().path("choices").get(0).path("finish_reason").asString()).isEqualTo("length");
        assertThat(text.toString()).isEqualTo(expected);
    }

    @Test
    void completionsReturnATextCompletion() {
        Api.Response response = api.post("/v1/completions",
                completion(model, "Once upon a time", "max_tokens", 6, "ignore_eos", true, "temperature", 0));

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode body = response.json();
        assertThat(body.path("id").asString()).startsWith("cmpl-");
        assertThat(body.path("object").asString()).isEqualTo("text_completion");
        assertThat(body.path("model").asString()).isEqualTo(model);
        JsonNode choice = body.path("choices").get(0);
        assertThat(choice.path("index").asInt()).isZero();
        assertThat(choice.path("text").asString()).isNotEmpty();
        assertThat(choice.path("logprobs").isNull()).isTrue();
        assertThat(choice.path("finish_reason").asString()).isEqualTo("length");
        assertThat(body.path("usage").path("prompt_tokens").asInt()).isPositive();
        assertThat(body.path("usage").path("completion_tokens").asInt()).isEqualTo(6);
    }

    @Test
    void nGreaterThanOneReturnsThatManyChoices() {
        Api.Response response = api.post("/v1/chat/completions",
                chat(model, "Give me options.", "n", 3, "max_tokens", 5, "ignore_eos", true, "temperature", 1, "seed", 11));

        assertThat(response.status()).as(response.body()).isEqualTo(200);
        JsonNode choices = response.json().path("choices");
        assertThat(choices).hasSize(3);
        Set<Integer> indexes = new HashSet<>();
        for (JsonNode choice : choices) {
            indexes.add(choice.path("index").asInt());
            assertThat(choice.path("message").path("content").asString()).isNotEmpty();
            assertThat(choice.path("finish_reason").asString()).isEqualTo("length");
        }
        assertThat(indexes).containsExactlyInAnyOrder(0, 1, 2);
        assertThat(response.json().path("usage").path("completion_tokens").asInt()).isEqualTo(15);
    }

    @Test
    void aStopStringCutsTheOutputBeforeItAndFinishesWithStop() {
        var request = completion(model, "The weather today", "max_tokens", 40, "ignore_eos", true, "temperature", 0);
        String free = api.post("/v1/completions", request).json().path("choices").get(0).path("text").asString();
        String stop = stopStringFrom(free);
        int cut = free.indexOf(stop);

        request.put("stop", List.of(stop));
        JsonNode choice = api.post("/v1/completions", request).json().path("choices").get(0);

        assertThat(choice.path("text").asString()).as("stop %s in %s", stop, free).isEqualTo(free.substring(0, cut));
        assertThat(choice.path("finish_reason").asString()).isEqualTo("stop");
    }

    /**
     * Two printable ASCII characters from the greedy output (a random model also emits stray bytes, which
     * decode to U+FFFD), not at its very start so the cut output is not empty.
     */
    private static String stopStringFrom(String text) {
        for (int i = 1; i + 2 <= text.length(); i++) {
            String candidate = text.substring(i, i + 2);
            if (candidate.chars().allMatch(c -> c > ' ' && c < 127)) return candidate;
        }
        for (int i = 1; i < text.length(); i++) {
            if (text.charAt(i) > ' ' && text.charAt(i) < 127) return text.substring(i, i + 1);
        }
        throw new AssertionError("no printable ASCII in the greedy output to stop on: " + text);
    }

    @Test
    void theSameSeedGivesTheSameTextAndDifferentSeedsDiffer() {
        var request = chat(model, "Surprise me.", "max_tokens", 16, "ignore_eos", true, "temperature", 1.0, "seed", 1234);
        String first = text(api.post("/v1/chat/completions", request));
        String second = text(api.post("/v1/chat/completions", request));
        assertThat(second).isEqualTo(first);

        // At temperature 1 another seed may still give the same 16 tokens by chance; over 3 seeds it must not.
        List<String> others = new ArrayList<>();
        for (int seed = 1; seed <= 3; seed++) {
            request.put("seed", seed);
            others.add(text(api.post("/v1/chat/completions", request)));
        }
        assertThat(others).anySatisfy(other -> assertThat(other).isNotEqualTo(first));
    }

    private static String text(Api.Response response) {
        assertThat(response.status()).as(response.body()).isEqualTo(200);
        return response.json().path("choices").get(0).path("message").path("content").asString();
    }

    @Test
    void includeUsageEndsWithAUsageChunkAndARepeatedPromptHitsThePrefixCache() {
        // Unique from its first block (nothing cached yet) and long enough to fill several 16-token KV blocks,
        // the prefix cache's unit.
        String prompt = System.nanoTime() + " The quick brown fox jumps over the lazy dog.".repeat(8);
        var request = completion(model, prompt, "max_tokens", 4, "ignore_eos", true, "temperature", 0, "stream", true,
                "stream_options", Api.obj("include_usage", true));

        // Round-robin over two backends: of three identical requests at least two land on the same backend, and
        // the later of those finds the prompt's blocks cached.
        List<Integer> cached = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            List<String> events;
            try (Api.Sse sse = api.stream("/v1/completions", request)) {
                assertThat(sse.status()).isEqualTo(200);
                events = sse.rest();
            }
            assertThat(events).last().isEqualTo("[DONE]");
            JsonNode usageChunk = Api.JSON.readTree(events.get(events.size() - 2));
            assertThat(usageChunk.path("choices")).isEmpty();
            JsonNode usage = usageChunk.path("usage");
            assertThat(usage.path("completion_tokens").asInt()).isEqualTo(4);
            assertThat(usage.path("prompt_tokens").asInt()).isGreaterThan(64);
            assertThat(usage.path("total_tokens").asInt())
                    .isEqualTo(usage.path("prompt_tokens").asInt() + usage.path("completion_tokens").asInt());
            assertThat(usage.path("prompt_tokens_details").has("cached_tokens")).isTrue();
            cached.add(usage.path("prompt_tokens_details").path("cached_tokens").asInt());
            // Only the last chunk carries usage.
            for (String event : events.subList(0, events.size() - 2)) {
                JsonNode usageField = Api.JSON.readTree(event).path("usage");
                assertThat(usageField.isMissingNode() || usageField.isNull()).as(event).isTrue();
            }
        }
        assertThat(cached.getFirst()).as("the first request has nothing cached").isZero();
        assertThat(cached).as("cached_tokens of three identical prompts").anySatisfy(c -> assertThat(c).isPositive());
    }
}
