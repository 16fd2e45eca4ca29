package dev.longctx.e2e;

import static dev.longctx.e2e.Api.chat;
import static dev.longctx.e2e.Api.completion;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/** Every error the API promises, each in OpenAI's {@code {"error":{message,type,param,code}}} shape. */
@Order(2)
@ExtendWith(StackExtension.class)
class ErrorsE2eTest {

    private Stack stack;
    private Api api;
    private String model;

    @BeforeEach
    void connect(Stack stack) {
        this.stack = stack;
        this.api = Api.of(stack);
        this.model = stack.modelName();
    }

    /** Asserts the OpenAI error body and returns its message. */
    static String assertError(Api.Response response, int status, String type) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/json");
        JsonNode error = response.json().path("error");
        assertThat(error.isObject()).as(response.body()).isTrue();
        assertThat(error.path("message").asString()).isNotBlank();
        assertThat(error.path("type").asString()).isEqualTo(type);
        assertThat(error.has("param")).as("param present (null allowed)").isTrue();
        // OpenAI's string code or null, never the status number (the SDKs type it as a string)
        assertThat(error.get("code").isNull() || error.get("code").isString()).as(response.body()).isTrue();
        return error.path("message").asString();
    }

    @Test
    void malformedJsonIs400() {
        assertError(api.postRaw("/v1/chat/completions", "{\"model\": \"" + model + "\", \"messages\": ["), 400, "BadRequestError");
    }

    @Test
    void aPromptOverTheContextIs400WithVllmsWordingAlsoWhenStreaming() {
        // At least 2 tokens per repetition with byte-level BPE: about twice the context.
        String prompt = "a b ".repeat(stack.maxModelLen());
        String message = assertError(api.post("/v1/completions", completion(model, prompt, "max_tokens", 4)),
                400, "BadRequestError");
        assertThat(message).startsWith("This model's maximum context length is " + stack.maxModelLen() + " tokens");

        // The length check runs before any SSE byte, so a stream gets a plain 400, not an event stream.
        try (Api.Sse sse = api.stream("/v1/chat/completions", chat(model, prompt, "max_tokens", 4, "stream", true))) {
            Api.Response response = new Api.Response(sse.status(), sse.contentType(), sse.body());
            assertThat(assertError(response, 400, "BadRequestError")).startsWith("This model's maximum context length is");
        }
    }

    @Test
    void anUnknownModelIs404() {
        assertError(api.post("/v1/chat/completions", chat("no-such-model", "Hi", "max_tokens", 2)), 404, "NotFoundError");
    }

    @Test
    void aWrongOrMissingApiKeyIs401() {
        assertError(api.withKey("wrong-key").post("/v1/chat/completions", chat(model, "Hi", "max_tokens", 2)),
                401, "AuthenticationError");
        assertError(api.withKey(null).get("/v1/models"), 401, "AuthenticationError");
    }

    @Test
    void aBurstOverTheRateLimitIs429() throws Exception {
        Api edge = new Api(stack.edgeGatewayUrl(), null);   // 1 request/s
        List<Api.Response> responses = concurrently(6, () -> edge.get("/v1/models"));

        List<Integer> statuses = responses.stream().map(Api.Response::status).toList();
        assertThat(statuses).as("statuses").containsOnly(200, 429).contains(429);
        assertError(responses.stream().filter(r -> r.status() == 429).findFirst().orElseThrow(), 429, "RateLimitError");
    }

    @Test
    void noHealthyBackendIs503() throws InterruptedException {
        Api edge = new Api(stack.edgeGatewayUrl(), null);   // its only backend is a port nobody listens on
        var request = chat(model, "Hi", "max_tokens", 2);
        // The rate limit (1/s) may refuse this right after the burst test: retry until it is admitted.
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        Api.Response response;
        while ((response = edge.post("/v1/chat/completions", request)).status() == 429 && System.nanoTime() < deadline) {
            Thread.sleep(100);   // polling interval
        }
        assertError(response, 503, "ServiceUnavailableError");
    }

    @Test
    void aFullQueueIs503AndEverythingElseSucceeds() throws Exception {
        // Each backend runs MAX_NUM_SEQS and queues MAX_WAITING; long generations keep them occupied while the
        // rest of the burst arrives, is refused with QUEUE_FULL, retried on the other backend, refused again.
        int capacity = stack.backends().size() * (StackExtension.MAX_NUM_SEQS + StackExtension.MAX_WAITING);
        int burst = 3 * capacity;
        int maxTokens = 300;
        List<Api.Response> responses = concurrently(burst, () -> api.post("/v1/completions",
                completion(model, "Write a long essay.", "max_tokens", maxTokens, "ignore_eos", true)));

        List<Integer> statuses = responses.stream().map(Api.Response::status).toList();
        assertThat(statuses).as("statuses").containsOnly(200, 503).contains(200, 503);
        for (Api.Response response : responses) {
            if (response.status() == 503) {
                assertThat(assertError(response, 503, "ServiceUnavailableError")).contains("overloaded");
            } else {
                assertThat(response.json().path("usage").path("completion_tokens").asInt()).isEqualTo(maxTokens);
            }
        }
    }

    /** Runs {@code n} copies of {@code call} at once on virtual threads and returns their results. */
    static <T> List<T> concurrently(int n, java.util.concurrent.Callable<T> call) throws Exception {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<T>> futures = new ArrayList<>();
            for (int i = 0; i < n; i++) futures.add(executor.submit(call));
            List<T> results = new ArrayList<>();
            for (Future<T> future : futures) results.add(future.get());
            return results;
        }
    }
}
