package dev.longctx.gateway;

import static dev.longctx.gateway.support.GatewayClient.json;
import static dev.longctx.gateway.support.GatewayClient.sseData;
import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.common.wire.GenerateRequest;
import dev.longctx.gateway.bench.BenchServe;
import dev.longctx.gateway.support.FakeUpstreams;
import dev.longctx.gateway.support.GatewayClient;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** The OpenAI surface end to end over real HTTP, against fake upstream servers that are real HTTP servers too. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayApiTest {
    static final FakeUpstreams UPSTREAMS = FakeUpstreams.INSTANCE;
    static final String MODEL = "test-model";

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) {
        registry.add("longctx.gateway.model-name", () -> MODEL);
        registry.add("longctx.gateway.tokenizer-url", UPSTREAMS::tokenizerUrl);
        registry.add("longctx.gateway.backends[0]", UPSTREAMS::backendUrl);
    }

    @LocalServerPort
    int port;

    GatewayClient client;

    @BeforeEach
    void client() {
        client = new GatewayClient(port);
    }

    @Test
    void chatCompletionNonStreaming() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"model":"test-model","messages":[{"role":"user","content":"hello there"}],"max_tokens":3,"unknown_field":1}
                """);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response.body());
        assertThat(body.get("id").asString()).startsWith("chatcmpl-");
        assertThat(body.get("object").asString()).isEqualTo("chat.completion");
        assertThat(body.get("model").asString()).isEqualTo(MODEL);
        assertThat(body.get("created").asLong()).isPositive();
        JsonNode choice = body.get("choices").get(0);
        assertThat(choice.get("index").asInt()).isZero();
        assertThat(choice.get("message").get("role").asString()).isEqualTo("assistant");
        assertThat(choice.get("message").get("content").asString()).isEqualTo("w0 w1 w2 ");
        assertThat(choice.get("finish_reason").asString()).isEqualTo("length");
        assertThat(choice.has("logprobs")).isTrue();
        assertThat(choice.get("logprobs").isNull()).isTrue();
        // 4 template tokens + 2 words + 3 generation-prompt tokens
        JsonNode usage = body.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(9);
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(3);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(12);
        assertThat(usage.get("prompt_tokens_details").get("cached_tokens").asInt()).isEqualTo(4);
    }

    @Test
    void chatStreamingSendsRoleChunkThenContentThenDone() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":[{"type":"text","text":"hi"}]}],"stream":true,"max_completion_tokens":2}
                """);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElseThrow()).startsWith("text/event-stream");
        assertThat(response.body()).startsWith("data: {").endsWith("data: [DONE]\n\n");
        List<String> data = sseData(response.body());
        assertThat(data.getLast()).isEqualTo("[DONE]");
        JsonNode first = json(data.getFirst());
        assertThat(first.get("object").asString()).isEqualTo("chat.completion.chunk");
        assertThat(first.get("choices").get(0).get("delta").get("role").asString()).isEqualTo("assistant");
        StringBuilder text = new StringBuilder();
        String finish = null;
        for (String frame : data.subList(1, data.size() - 1)) {
            JsonNode choice = json(frame).get("choices").get(0);
            assertThat(choice.get("delta").has("role")).isFalse();
            if (choice.get("delta").has("content")) {
                text.append(choice.get("delta").get("content").asString());
            }
            if (!choice.get("finish_reason").isNull()) {
                finish = choice.get("finish_reason").asString();
            }
            assertThat(json(frame).has("usage")).isFalse();
        }
        assertThat(text.toString()).isEqualTo("w0 w1 ");
        assertThat(finish).isEqualTo("length");
    }

    @Test
    void streamingIncludeUsageEndsWithUsageChunkCarryingCachedTokens() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"a b c d e"}],"stream":true,"max_tokens":50,
                 "stream_options":{"include_usage":true}}
                """);

        List<String> data = sseData(response.body());
        assertThat(data.getLast()).isEqualTo("[DONE]");
        JsonNode usageChunk = json(data.get(data.size() - 2));
        assertThat(usageChunk.get("choices")).isEmpty();
        JsonNode usage = usageChunk.get("usage");
        assertThat(usage.get("prompt_tokens").asInt()).isEqualTo(12);
        assertThat(usage.get("completion_tokens").asInt()).isEqualTo(FakeUpstreams.NORMAL_OUTPUT_TOKENS);
        assertThat(usage.get("total_tokens").asInt()).isEqualTo(12 + FakeUpstreams.NORMAL_OUTPUT_TOKENS);
        assertThat(usage.get("prompt_tokens_details").get("cached_tokens").asInt()).isEqualTo(6);
        assertThat(json(data.get(data.size() - 3)).get("choices").get(0).get("finish_reason").asString()).isEqualTo("stop");
    }

    @Test
    void completionWithStringPrompt() {
        HttpResponse<String> response = client.post("/v1/completions", """
                {"model":"test-model","prompt":"once upon a time","max_tokens":4,"temperature":0.7,"top_p":0.9,
                 "top_k":20,"min_p":0.05,"repetition_penalty":1.05,"presence_penalty":0.5,"frequency_penalty":0.1,
                 "ignore_eos":true,"stop_token_ids":[151645]}
                """);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response.body());
        assertThat(body.get("id").asString()).startsWith("cmpl-");
        assertThat(body.get("object").asString()).isEqualTo("text_completion");
        assertThat(body.get("choices").get(0).get("text").asString()).isEqualTo("w0 w1 w2 w3 ");
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(4);
        GenerateRequest sent = UPSTREAMS.requestsWithIdPrefix(body.get("id").asString()).getFirst();
        assertThat(sent.sampling().temperature()).isEqualTo(0.7);
        assertThat(sent.sampling().topP()).isEqualTo(0.9);
        assertThat(sent.sampling().topK()).isEqualTo(20);
        assertThat(sent.sampling().minP()).isEqualTo(0.05);
        assertThat(sent.sampling().repetitionPenalty()).isEqualTo(1.05);
        assertThat(sent.sampling().presencePenalty()).isEqualTo(0.5);
        assertThat(sent.sampling().frequencyPenalty()).isEqualTo(0.1);
        assertThat(sent.sampling().ignoreEos()).isTrue();
        assertThat(sent.sampling().stopTokenIds()).containsExactly(151645);
        assertThat(sent.sampling().maxTokens()).isEqualTo(4);
    }

    @Test
    void completionWithTokenIdPromptsSkipsTheTokenizerAndDefaultsMaxTokensTo16() {
        HttpResponse<String> response = client.post("/v1/completions", """
                {"prompt":[[11,12,13],[21,22]],"stream":false}
                """);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response.body());
        assertThat(body.get("choices")).hasSize(2);
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(5);
        List<GenerateRequest> sent = UPSTREAMS.requestsWithIdPrefix(body.get("id").asString());
        assertThat(sent).extracting(GenerateRequest::promptTokenIds)
                .containsExactlyInAnyOrder(List.of(11, 12, 13), List.of(21, 22));
        // vLLM's and OpenAI's completions default, not the rest of the context (chat's default)
        assertThat(sent).extracting(r -> r.sampling().maxTokens()).containsExactly(16, 16);
    }

    @Test
    void completionWithExplicitNullMaxTokensAlsoGets16AndChatWithoutItGetsTheRestOfTheContext() {
        JsonNode completion = json(client.post("/v1/completions", """
                {"prompt":[5,6,7],"max_tokens":null}
                """).body());
        assertThat(UPSTREAMS.requestsWithIdPrefix(completion.get("id").asString()))
                .extracting(r -> r.sampling().maxTokens()).containsExactly(16);

        JsonNode chat = json(client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"how long"}]}
                """).body());
        int promptTokens = chat.get("usage").get("prompt_tokens").asInt();
        assertThat(UPSTREAMS.requestsWithIdPrefix(chat.get("id").asString()))
                .extracting(r -> r.sampling().maxTokens()).containsExactly(FakeUpstreams.MAX_MODEL_LEN - promptTokens);
    }

    @Test
    void emptyStreamOptionsIncludeUsageAsInVllmAndNeedNoStream() {
        List<String> data = sseData(client.post("/v1/completions", """
                {"prompt":"x y","stream":true,"max_tokens":2,"stream_options":{}}
                """).body());
        assertThat(json(data.get(data.size() - 2)).get("usage").get("completion_tokens").asInt()).isEqualTo(2);

        List<String> withoutUsage = sseData(client.post("/v1/completions", """
                {"prompt":"x y","stream":true,"max_tokens":2,"stream_options":{"include_usage":false}}
                """).body());
        assertThat(withoutUsage).noneMatch(frame -> frame.contains("\"usage\""));

        // vLLM rejects stream_options without stream=true only when the object is not empty.
        assertThat(client.post("/v1/completions", """
                {"prompt":"x y","max_tokens":2,"stream_options":{}}
                """).statusCode()).isEqualTo(200);
        assertError(client.post("/v1/completions", """
                {"prompt":"x y","max_tokens":2,"stream_options":{"include_usage":true}}
                """), 400, "BadRequestError");
    }

    @Test
    void completionStreamingProducesTextCompletionChunks() {
        HttpResponse<String> response = client.post("/v1/completions", """
                {"prompt":["x y"],"stream":true,"max_tokens":2,"stream_options":{"include_usage":true}}
                """);

        List<String> data = sseData(response.body());
        assertThat(data.getLast()).isEqualTo("[DONE]");
        JsonNode first = json(data.getFirst());
        assertThat(first.get("object").asString()).isEqualTo("text_completion");
        assertThat(first.get("choices").get(0).get("text").asString()).isEqualTo("w0 ");
        assertThat(json(data.get(data.size() - 2)).get("usage").get("completion_tokens").asInt()).isEqualTo(2);
    }

    @Test
    void nGreaterThanOneFansOutWithDistinctSeedsAndMergesByIndex() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"pick"}],"n":3,"seed":42,"max_tokens":2}
                """);

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode body = json(response.body());
        assertThat(body.get("choices")).hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(body.get("choices").get(i).get("index").asInt()).isEqualTo(i);
            assertThat(body.get("choices").get(i).get("message").get("content").asString()).isEqualTo("w0 w1 ");
        }
        assertThat(body.get("usage").get("prompt_tokens").asInt()).isEqualTo(8);
        assertThat(body.get("usage").get("completion_tokens").asInt()).isEqualTo(6);
        List<GenerateRequest> sent = UPSTREAMS.requestsWithIdPrefix(body.get("id").asString());
        assertThat(sent).extracting(r -> r.sampling().seed()).containsExactlyInAnyOrder(42L, 43L, 44L);
        assertThat(sent).extracting(GenerateRequest::requestId).doesNotHaveDuplicates();
    }

    @Test
    void nGreaterThanOneStreamsEveryChoiceWithItsOwnRoleChunk() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"pick"}],"n":2,"stream":true,"max_tokens":2}
                """);

        List<String> data = sseData(response.body());
        StringBuilder[] texts = {new StringBuilder(), new StringBuilder()};
        int roleChunks = 0;
        for (String frame : data.subList(0, data.size() - 1)) {
            JsonNode choice = json(frame).get("choices").get(0);
            JsonNode delta = choice.get("delta");
            if (delta.has("role")) {
                roleChunks++;
            }
            if (delta.has("content")) {
                texts[choice.get("index").asInt()].append(delta.get("content").asString());
            }
        }
        assertThat(roleChunks).isEqualTo(2);
        assertThat(texts[0].toString()).isEqualTo("w0 w1 ");
        assertThat(texts[1].toString()).isEqualTo("w0 w1 ");
    }

    @Test
    void stopStringsPassThroughToTheEngine() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"count"}],"stop":"w2","max_tokens":50}
                """);

        JsonNode body = json(response.body());
        assertThat(body.get("choices").get(0).get("message").get("content").asString()).isEqualTo("w0 w1 ");
        assertThat(body.get("choices").get(0).get("finish_reason").asString()).isEqualTo("stop");
        GenerateRequest sent = UPSTREAMS.requestsWithIdPrefix(body.get("id").asString()).getFirst();
        assertThat(sent.sampling().stop()).containsExactly("w2");

        HttpResponse<String> list = client.post("/v1/completions", """
                {"prompt":"count","stop":["w1","zz"],"max_tokens":50}
                """);
        assertThat(json(list.body()).get("choices").get(0).get("text").asString()).isEqualTo("w0 ");
    }

    @Test
    void modelsListsTheServedModelWithItsContextLength() {
        HttpResponse<String> response = client.get("/v1/models");

        assertThat(response.statusCode()).isEqualTo(200);
        JsonNode card = json(response.body()).get("data").get(0);
        assertThat(json(response.body()).get("object").asString()).isEqualTo("list");
        assertThat(card.get("id").asString()).isEqualTo(MODEL);
        assertThat(card.get("object").asString()).isEqualTo("model");
        assertThat(card.get("owned_by").asString()).isEqualTo("longctx");
        assertThat(card.get("max_model_len").asInt()).isEqualTo(FakeUpstreams.MAX_MODEL_LEN);
    }

    @Test
    void retrievingTheServedModelAnswersItsListedCard() {
        JsonNode listed = json(client.get("/v1/models").body()).get("data").get(0);

        HttpResponse<String> response = client.get("/v1/models/" + MODEL);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type").orElseThrow()).startsWith("application/json");
        assertThat(json(response.body())).isEqualTo(listed);
    }

    @Test
    void retrievingAnyOtherModelIs404NamingIt() {
        JsonNode error = assertError(client.get("/v1/models/gpt-4"), 404, "NotFoundError");
        assertThat(error.get("message").asString()).isEqualTo("The model `gpt-4` does not exist.");
        assertThat(error.get("param").asString()).isEqualTo("model");
        // "org/name" ids, encoded as SDKs send path parameters or not: the whole id is the model's name.
        assertThat(assertError(client.get("/v1/models/Qwen%2Fnope"), 404, "NotFoundError").get("message").asString())
                .isEqualTo("The model `Qwen/nope` does not exist.");
        assertThat(assertError(client.get("/v1/models/Qwen/nope"), 404, "NotFoundError").get("message").asString())
                .isEqualTo("The model `Qwen/nope` does not exist.");
        assertError(client.post("/v1/models/" + MODEL, "{}"), 405, "BadRequestError");
    }

    @Test
    void tokenizeIsRelayedToTheTokenizer() {
        HttpResponse<String> response = client.post("/tokenize", "{\"model\":\"test-model\",\"prompt\":\"a b c\"}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(json(response.body()).get("count").asInt()).isEqualTo(3);
        assertThat(json(response.body()).get("max_model_len").asInt()).isEqualTo(FakeUpstreams.MAX_MODEL_LEN);
    }

    @Test
    void healthVersionAndActuator() {
        HttpResponse<String> health = client.get("/health");
        assertThat(health.statusCode()).isEqualTo(200);
        assertThat(health.body()).isEmpty();
        HttpResponse<String> version = client.get("/version");
        assertThat(version.statusCode()).isEqualTo(200);
        assertThat(json(version.body()).get("version").asString()).isNotBlank();
        assertThat(client.get("/actuator/health").statusCode()).isEqualTo(200);
    }

    @Test
    void metricsExposeVllmNames() {
        client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"measure me"}],"max_tokens":3}
                """);

        HttpResponse<String> metrics = client.get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.body())
                .contains("vllm:time_to_first_token_seconds_bucket")
                .contains("vllm:inter_token_latency_seconds_bucket")
                .contains("vllm:e2e_request_latency_seconds_bucket")
                .contains("le=\"1800.0\"")
                .contains("vllm:prompt_tokens_total")
                .contains("vllm:generation_tokens_total")
                .contains("vllm:request_success_total")
                .contains("model_name=\"test-model\"")
                .contains("resilience4j_circuitbreaker_state")
                .doesNotContain("vllm_time_to_first_token");
    }

    // ---- errors ----

    @Test
    void malformedJsonIs400WithoutInternals() {
        HttpResponse<String> response = client.post("/v1/chat/completions", "{\"messages\": [oops");

        assertError(response, 400, "BadRequestError");
        assertThat(response.body()).doesNotContain("at dev.").doesNotContain("at org.").doesNotContain("Exception");
    }

    @Test
    void wrongTypeIs400NamingTheField() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"x"}],"temperature":"hot"}
                """);

        JsonNode error = assertError(response, 400, "BadRequestError");
        assertThat(error.get("param").asString()).isEqualTo("temperature");
    }

    @Test
    void validationErrorsAre400() {
        String[] bodies = {
            "{\"messages\":[]}",
            "{}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":-1}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":1.5}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":0}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"n\":0}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":0}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stop\":[1,2]}",
            "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"stream_options\":{\"include_usage\":true}}",
            "{\"messages\":[{\"content\":\"x\"}]}",
            "[1,2,3]",
        };
        for (String body : bodies) {
            assertError(client.post("/v1/chat/completions", body), 400, "BadRequestError");
        }
        assertError(client.post("/v1/completions", "{\"prompt\":{\"a\":1}}"), 400, "BadRequestError");
        assertError(client.post("/v1/completions", "{\"max_tokens\":3}"), 400, "BadRequestError");
        JsonNode temperature = assertError(client.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":-1}"), 400, "BadRequestError");
        assertThat(temperature.get("message").asString()).isEqualTo("temperature must be non-negative, got -1.0.");
        assertThat(temperature.get("param").asString()).isEqualTo("temperature");
    }

    @Test
    void overContextIs400WithVllmWordingBeforeAnyEngineWork() {
        int before = UPSTREAMS.generateRequests.size();
        HttpResponse<String> response = client.post("/v1/completions", """
                {"prompt":"LONG 990","max_tokens":20}
                """);

        JsonNode error = assertError(response, 400, "BadRequestError");
        assertThat(error.get("message").asString()).isEqualTo(
                "This model's maximum context length is 1000 tokens. However, you requested 1010 tokens "
                        + "(990 in the messages, 20 in the completion). Please reduce the length of the messages or completion.");
        assertThat(UPSTREAMS.generateRequests.size()).isEqualTo(before);
    }

    /**
     * The body limit follows max_model_len (16 bytes per token + 1 MiB: 1,040,576 bytes for the fake's 1000): a
     * body under it is read and gets the context check, one over it is 413 naming the limit.
     */
    @Test
    void bodyLimitFollowsMaxModelLenAndNamesItself() {
        StringBuilder ids = new StringBuilder("{\"prompt\":[");
        for (int i = 0; i < 100_000; i++) {
            ids.append(i == 0 ? "" : ",").append(1000 + i % 8000);
        }
        ids.append("],\"max_tokens\":1}");
        JsonNode error = assertError(client.post("/v1/completions", ids.toString()), 400, "BadRequestError",
                "context_length_exceeded", "prompt");
        assertThat(error.get("message").asString()).contains("100001 tokens (100000 in the messages, 1 in the completion)");

        String text = "{\"prompt\":\"" + "word ".repeat(300_000) + "\",\"max_tokens\":1}";
        JsonNode tooLarge = assertError(client.post("/v1/completions", text), 413, "BadRequestError", "request_too_large", null);
        assertThat(tooLarge.get("message").asString())
                .isEqualTo("The request body of 1500028 bytes is larger than the limit of 1064576 bytes (16 bytes for"
                        + " each of the model's 1000 tokens of context, plus 1 MiB).");
        assertThat(client.postChunked("/v1/completions", text).statusCode()).isEqualTo(413);
    }

    /** The table in gateway-service/README.md, which the Java-client tests rely on. */
    @Test
    void errorBodiesCarryVllmTypesAndOpenAiStringCodes() {
        assertError(client.post("/v1/chat/completions", "{\"model\":\"gpt-4\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"),
                404, "NotFoundError", "model_not_found", "model");
        assertError(client.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"LONG 999\"}],\"max_tokens\":5}"),
                400, "BadRequestError", "context_length_exceeded", "messages");
        assertError(client.post("/v1/completions", "{\"prompt\":\"LONG 999\",\"max_tokens\":5}"),
                400, "BadRequestError", "context_length_exceeded", "prompt");
        assertError(client.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"top_p\":7}"),
                400, "BadRequestError", "invalid_value", "top_p");
        assertError(client.post("/v1/completions", "{\"prompt\":\"x\",\"echo\":true}"),
                400, "BadRequestError", "unsupported_parameter", "echo");
        assertError(client.post("/v1/completions", "{\"max_tokens\":3}"),
                400, "BadRequestError", "missing_required_parameter", "prompt");
        assertError(client.post("/v1/chat/completions", "{}"),
                400, "BadRequestError", "missing_required_parameter", "messages");
        assertError(client.post("/v1/chat/completions", "{\"messages\": [oops"), 400, "BadRequestError", null, null);
        assertError(client.post("/v1/chat/completions", "[1,2]"), 400, "BadRequestError", null, null);
        assertError(client.get("/v1/nope"), 404, "NotFoundError", null, null);
    }

    @Test
    void malformedJsonNamesNoFieldAndNoJavaType() {
        JsonNode syntax = assertError(client.post("/v1/chat/completions", "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}"),
                400, "BadRequestError", null, null);
        assertThat(syntax.get("message").asString()).startsWith("The request body is not valid JSON");
        JsonNode type = assertError(client.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":\"many\"}"),
                400, "BadRequestError", "invalid_value", "max_tokens");
        assertThat(type.get("message").asString()).isEqualTo("Invalid value for `max_tokens`: expected an integer.");
        assertError(client.post("/v1/chat/completions", "{\"messages\":\"hi\"}"), 400, "BadRequestError", "invalid_value", "messages");
        assertError(client.post("/v1/completions", "{\"prompt\":\"x\",\"max_tokens\":1e30}"), 400, "BadRequestError",
                "invalid_value", "max_tokens");
    }

    @Test
    void tokenIdsOutsideTheVocabularyAre400AndNeverReachABackend() {
        int before = UPSTREAMS.generateRequests.size();
        JsonNode error = assertError(client.post("/v1/completions",
                "{\"prompt\":[5, " + FakeUpstreams.VOCAB_SIZE + ", 12],\"max_tokens\":2}"),
                400, "BadRequestError", "invalid_value", "prompt");
        assertThat(error.get("message").asString()).isEqualTo("Token id " + FakeUpstreams.VOCAB_SIZE + " is out of vocabulary");
        assertError(client.post("/v1/completions", "{\"prompt\":[[5], [2147483647]],\"max_tokens\":2}"),
                400, "BadRequestError", "invalid_value", "prompt");
        assertThat(UPSTREAMS.generateRequests.size()).isEqualTo(before);
        HttpResponse<String> ok = client.post("/v1/completions",
                "{\"prompt\":[5, " + (FakeUpstreams.VOCAB_SIZE - 1) + "],\"max_tokens\":2}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
    }

    @Test
    void logitBiasIsCheckedClampedAndForwarded() {
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"bias\"}],\"max_tokens\":2,\"logit_bias\":";
        assertError(client.post("/v1/chat/completions", chat + "\"strong\"}"), 400, "BadRequestError", "invalid_value", "logit_bias");
        assertError(client.post("/v1/chat/completions", chat + "{\"abc\": 1}}"), 400, "BadRequestError", "invalid_value", "logit_bias");
        assertError(client.post("/v1/chat/completions", chat + "{\"5\": \"up\"}}"), 400, "BadRequestError", "invalid_value", "logit_bias");
        JsonNode outside = assertError(client.post("/v1/chat/completions", chat + "{\"5\": 1, \"10000\": 2, \"-1\": 3}}"),
                400, "BadRequestError", "invalid_value", "logit_bias");
        assertThat(outside.get("message").asString())
                .isEqualTo("token_id(s) [-1, 10000] in logit_bias contain out-of-vocab token ids. Vocabulary size: 10000");

        HttpResponse<String> ok = client.post("/v1/chat/completions", chat + "{\"5\": 250, \" 7\": -3.5}}");
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        GenerateRequest sent = UPSTREAMS.requestsWithIdPrefix(json(ok.body()).get("id").asString()).getFirst();
        assertThat(sent.sampling().logitBias()).containsExactlyInAnyOrderEntriesOf(java.util.Map.of(5, 100.0, 7, -3.5));
    }

    @Test
    void fieldsThatWouldChangeTheResultAreRefusedNotIgnored() {
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2,";
        assertError(client.post("/v1/chat/completions", chat + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\"}}]}"),
                400, "BadRequestError", "unsupported_parameter", "tools");
        assertError(client.post("/v1/chat/completions", chat + "\"response_format\":{\"type\":\"json_object\"}}"),
                400, "BadRequestError", "unsupported_parameter", "response_format");
        assertError(client.post("/v1/completions", "{\"prompt\":\"x\",\"best_of\":3}"),
                400, "BadRequestError", "unsupported_parameter", "best_of");
        assertError(client.post("/v1/completions", "{\"prompt\":\"x\",\"best_of\":1,\"n\":2}"),
                400, "BadRequestError", "invalid_value", "best_of");
        assertError(client.post("/v1/completions", "{\"prompt\":\"x\",\"suffix\":\"end\"}"),
                400, "BadRequestError", "unsupported_parameter", "suffix");
        // what clients send by default changes nothing and passes
        HttpResponse<String> defaults = client.post("/v1/chat/completions", chat
                + "\"tools\":[],\"tool_choice\":\"none\",\"response_format\":{\"type\":\"text\"},\"echo\":false,"
                + "\"user\":\"u\",\"store\":false,\"parallel_tool_calls\":true}");
        assertThat(defaults.statusCode()).as(defaults.body()).isEqualTo(200);
        HttpResponse<String> bestOfN = client.post("/v1/completions", "{\"prompt\":\"x\",\"best_of\":2,\"n\":2,\"max_tokens\":1}");
        assertThat(bestOfN.statusCode()).as(bestOfN.body()).isEqualTo(200);
    }

    @Test
    void logprobsAreValidatedLikeVllm() {
        String chat = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":2,";
        assertError(client.post("/v1/chat/completions", chat + "\"top_logprobs\":3}"), 400, "BadRequestError", "invalid_value", "top_logprobs");
        assertError(client.post("/v1/chat/completions", chat + "\"logprobs\":true,\"top_logprobs\":21}"),
                400, "BadRequestError", "invalid_value", "top_logprobs");
        assertError(client.post("/v1/chat/completions", chat + "\"logprobs\":true,\"top_logprobs\":-2}"),
                400, "BadRequestError", "invalid_value", "top_logprobs");
        JsonNode tooMany = assertError(client.post("/v1/completions", "{\"prompt\":\"x\",\"logprobs\":50}"),
                400, "BadRequestError", "invalid_value", "logprobs");
        assertThat(tooMany.get("message").asString()).isEqualTo("Requested sample logprobs of 50, which is greater than max allowed: 20");
        assertError(client.post("/v1/completions", "{\"prompt\":\"x\",\"logprobs\":\"all\"}"), 400, "BadRequestError", "invalid_value", "logprobs");
    }

    @Test
    void chatLogprobsListTheSampledTokenAndTopAlternatives() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"probs"}],"max_tokens":2,"logprobs":true,"top_logprobs":2}
                """);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        GenerateRequest sent = UPSTREAMS.requestsWithIdPrefix(json(response.body()).get("id").asString()).getFirst();
        assertThat(sent.sampling().logprobs()).isEqualTo(2);
        JsonNode content = json(response.body()).get("choices").get(0).get("logprobs").get("content");
        assertThat(content).hasSize(2);
        JsonNode first = content.get(0);
        assertThat(first.get("token").asString()).isEqualTo("w0 ");
        assertThat(first.get("logprob").asDouble()).isEqualTo(-0.5);
        assertThat(first.get("bytes")).extracting(JsonNode::asInt).containsExactly(119, 48, 32);
        assertThat(first.get("top_logprobs")).extracting(t -> t.get("token").asString()).containsExactly("w0 ", "alt1");

        HttpResponse<String> plain = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"probs"}],"max_tokens":2,"logprobs":true}
                """);
        JsonNode noTop = json(plain.body()).get("choices").get(0).get("logprobs").get("content").get(0);
        assertThat(noTop.get("top_logprobs")).isEmpty();

        List<String> data = sseData(client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"probs"}],"max_tokens":2,"logprobs":true,"top_logprobs":1,"stream":true}
                """).body());
        assertThat(json(data.get(0)).get("choices").get(0).get("logprobs").isNull()).as("role chunk").isTrue();
        JsonNode streamed = json(data.get(1)).get("choices").get(0).get("logprobs").get("content");
        assertThat(streamed).hasSize(1);
        assertThat(streamed.get(0).get("token").asString()).isEqualTo("w0 ");
        assertThat(streamed.get(0).get("top_logprobs")).hasSize(1);
    }

    @Test
    void completionLogprobsUseTheLegacyShapeWithLogprobsPlusOneAlternatives() {
        HttpResponse<String> response = client.post("/v1/completions", """
                {"prompt":"probs","max_tokens":3,"logprobs":2}
                """);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        JsonNode logprobs = json(response.body()).get("choices").get(0).get("logprobs");
        assertThat(logprobs.get("tokens")).extracting(JsonNode::asString).containsExactly("w0 ", "w1 ", "w2 ");
        assertThat(logprobs.get("token_logprobs")).extracting(JsonNode::asDouble).containsExactly(-0.5, -0.5, -0.5);
        assertThat(logprobs.get("text_offset")).extracting(JsonNode::asInt).containsExactly(0, 3, 6);
        // sampled first, then the alternatives not already listed, logprobs + 1 in all
        assertThat(logprobs.get("top_logprobs").get(0).propertyNames()).containsExactly("w0 ", "alt1");

        List<String> data = sseData(client.post("/v1/completions", """
                {"prompt":"probs","max_tokens":2,"logprobs":1,"stream":true}
                """).body());
        JsonNode second = json(data.get(1)).get("choices").get(0).get("logprobs");
        assertThat(second.get("text_offset")).extracting(JsonNode::asInt).containsExactly(3);
        assertThat(second.get("tokens")).extracting(JsonNode::asString).containsExactly("w1 ");
        assertThat(json(client.post("/v1/completions", "{\"prompt\":\"probs\",\"max_tokens\":1}").body())
                .get("choices").get(0).get("logprobs").isNull()).isTrue();
    }

    @Test
    void tooManyChoicesIs400() {
        assertError(client.post("/v1/completions", "{\"prompt\":\"x\",\"n\":100000}"), 400, "BadRequestError");
    }

    @Test
    void overContextWithStreamTrueIsStillAPlainJson400() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"LONG 995"}],"max_tokens":10,"stream":true}
                """);

        assertThat(response.headers().firstValue("content-type").orElseThrow()).startsWith("application/json");
        JsonNode error = assertError(response, 400, "BadRequestError");
        assertThat(error.get("message").asString()).startsWith("This model's maximum context length is 1000 tokens.");
    }

    @Test
    void unknownModelIs404() {
        JsonNode error = assertError(client.post("/v1/chat/completions", """
                {"model":"gpt-4","messages":[{"role":"user","content":"x"}]}
                """), 404, "NotFoundError");
        assertThat(error.get("message").asString()).isEqualTo("The model `gpt-4` does not exist.");
        assertThat(error.get("param").asString()).isEqualTo("model");
    }

    @Test
    void unknownRouteAndWrongMethodGetTheEnvelope() {
        assertError(client.get("/v1/nope"), 404, "NotFoundError");
        assertError(client.get("/v1/chat/completions"), 405, "BadRequestError");
    }

    @Test
    void upstreamQueueFullIs503() {
        JsonNode error = assertError(client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"FULL"}],"max_tokens":3,"stream":true}
                """), 503, "ServiceUnavailableError");
        assertThat(error.get("message").asString()).contains("overloaded");
    }

    // ---- streaming failures ----

    @Test
    void upstreamDyingMidStreamEndsWithErrorChunkThenDone() {
        HttpResponse<String> response = client.post("/v1/chat/completions", """
                {"messages":[{"role":"user","content":"DIE"}],"max_tokens":50,"stream":true}
                """);

        assertThat(response.statusCode()).isEqualTo(200);
        List<String> data = sseData(response.body());
        assertThat(data.getLast()).isEqualTo("[DONE]");
        JsonNode error = json(data.get(data.size() - 2)).get("error");
        assertThat(error.get("type").asString()).isEqualTo("InternalServerError");
        assertThat(error.get("code").isNull()).isTrue();
        assertThat(error.get("message").asString()).isNotBlank();
        assertThat(data.get(1)).contains("w0 ");
    }

    @Test
    void upstreamEndingWithoutFinishIsAnErrorNotASilentSuccess() {
        HttpResponse<String> response = client.post("/v1/completions", """
                {"prompt":"TRUNCATE","max_tokens":3,"stream":true}
                """);

        List<String> data = sseData(response.body());
        assertThat(data.getLast()).isEqualTo("[DONE]");
        assertThat(json(data.get(data.size() - 2)).has("error")).isTrue();
        assertError(client.post("/v1/completions", "{\"prompt\":\"TRUNCATE\",\"max_tokens\":3}"), 500, "InternalServerError");
    }

    @Test
    void clientDisconnectCancelsTheUpstreamRequest() throws Exception {
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"HANG\"}],\"stream\":true}";
        String requestId;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                            + "Content-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            String line;
            int dataLines = 0;
            String firstData = null;
            while ((line = in.readLine()) != null && dataLines < 3) {
                int at = line.indexOf("data: ");
                if (at >= 0) {
                    dataLines++;
                    if (firstData == null) {
                        firstData = line.substring(at + 6);
                    }
                }
            }
            assertThat(dataLines).isEqualTo(3);
            requestId = json(firstData).get("id").asString();
        }
        Awaitility.await().atMost(Duration.ofSeconds(10))
                .untilAsserted(() -> assertThat(UPSTREAMS.cancelled).anyMatch(id -> id.startsWith(requestId)));
    }

    @Test
    void benchServeDrivesTheGatewayOverSse() throws Exception {
        for (BenchServe.Endpoint endpoint : BenchServe.Endpoint.values()) {
            BenchServe.Options options = new BenchServe.Options(java.net.URI.create("http://127.0.0.1:" + port), null,
                    endpoint, 6, 8, 3, 200, 3, null, 1, null, true, null);
            BenchServe.Summary summary = BenchServe.run(options, new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
            assertThat(summary.failed()).as(summary.errors().toString()).isZero();
            assertThat(summary.completed()).isEqualTo(6);
            assertThat(summary.totalOutputTokens()).isEqualTo(18);
            assertThat(summary.totalInputTokens()).isPositive();
            assertThat(summary.ttft().mean()).isPositive();
            assertThat(summary.itl().median()).isPositive();
        }
    }

    /**
     * A 1M-token prefill can run for minutes before the first token: a client that leaves during it must
     * cancel the upstream then, not when the first token would have been written. Same for non-streaming.
     */
    @Test
    void clientDisconnectBeforeAnyTokenCancelsTheUpstreamRequest() throws Exception {
        for (String stream : List.of("true", "false")) {
            String body = "{\"prompt\":\"SILENT " + stream + "\",\"stream\":" + stream + "}";
            int before = UPSTREAMS.generateRequests.size();
            try (Socket socket = new Socket("127.0.0.1", port)) {
                socket.getOutputStream().write(("POST /v1/completions HTTP/1.1\r\nHost: localhost\r\n"
                                + "Content-Type: application/json\r\nContent-Length: "
                                + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body)
                        .getBytes(StandardCharsets.UTF_8));
                socket.getOutputStream().flush();
                Awaitility.await().atMost(Duration.ofSeconds(10))
                        .until(() -> UPSTREAMS.generateRequests.size() > before);
            }
            String requestId = List.copyOf(UPSTREAMS.generateRequests).get(before).requestId();
            Awaitility.await().atMost(Duration.ofSeconds(10))
                    .untilAsserted(() -> assertThat(UPSTREAMS.cancelled).contains(requestId));
        }
    }

    /** The envelope every client parses: vLLM's type, OpenAI's string code (or null), param present. */
    static JsonNode assertError(HttpResponse<String> response, int status, String type) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        JsonNode error = json(response.body()).get("error");
        assertThat(error).as(response.body()).isNotNull();
        assertThat(error.get("type").asString()).isEqualTo(type);
        assertThat(error.get("message").asString()).isNotBlank();
        assertThat(error.has("param")).isTrue();
        assertThat(error.has("code")).isTrue();
        assertThat(error.get("code").isNull() || error.get("code").isString()).as("code is a string or null").isTrue();
        assertThat(error.get("message").asString()).doesNotContain("java.").doesNotContain("Exception");
        return error;
    }

    static JsonNode assertError(HttpResponse<String> response, int status, String type, String code, String param) {
        JsonNode error = assertError(response, status, type);
        assertThat(error.get("code").isNull() ? null : error.get("code").asString()).as(response.body()).isEqualTo(code);
        assertThat(error.get("param").isNull() ? null : error.get("param").asString()).as(response.body()).isEqualTo(param);
        return error;
    }
}
