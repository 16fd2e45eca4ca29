package dev.longctx.e2e;

import static dev.longctx.e2e.Api.chat;
import static dev.longctx.e2e.Api.completion;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * An inference-service crashes (SIGKILL) while serving a stream. Runs last: the stack keeps one backend after it.
 */
@Order(Integer.MAX_VALUE)
@ExtendWith(StackExtension.class)
class BackendFailureE2eTest {

    @Test
    void aKilledBackendEndsItsStreamCleanlyAndNewRequestsFailOver(Stack stack) {
        Api api = Api.of(stack);
        List<ServiceProcess> backends = stack.liveBackends();
        assertThat(backends).hasSize(2);
        assertThat(Metrics.awaitSum(backends, "vllm:num_requests_running", v -> v == 0, Duration.ofSeconds(10))).isZero();

        List<String> tail;
        try (Api.Sse sse = api.stream("/v1/completions", completion(stack.modelName(), "Tell me a long story",
                "max_tokens", stack.maxModelLen() - 64, "ignore_eos", true, "stream", true))) {
            assertThat(sse.status()).isEqualTo(200);
            for (int i = 0; i < 3; i++) assertThat(sse.next()).isNotNull().isNotEqualTo("[DONE]");
            // The stream's backend is the one with a running request (nothing else runs now).
            ServiceProcess serving = backends.stream()
                    .filter(b -> Metrics.scrape(b.baseUrl(), "vllm:num_requests_running") > 0)
                    .findFirst().orElseThrow(() -> new AssertionError("no backend reports the stream as running"));
            serving.kill();
            long killed = System.nanoTime();

            tail = sse.rest();
            System.out.printf("e2e: killed %s; the stream ended %.0f ms later with %d more events, the last two: %s%n",
                    serving, (System.nanoTime() - killed) / 1e6, tail.size(),
                    tail.subList(Math.max(0, tail.size() - 2), tail.size()));
        }

        // Whatever tokens were in flight, the stream ends with one error event and [DONE]: no hang, no bare EOF.
        assertThat(tail).hasSizeGreaterThanOrEqualTo(2);
        assertThat(tail.getLast()).isEqualTo("[DONE]");
        JsonNode error = Api.JSON.readTree(tail.get(tail.size() - 2)).path("error");
        assertThat(error.isObject()).as(tail.get(tail.size() - 2)).isTrue();
        assertThat(error.path("message").asString()).isNotBlank();
        assertThat(error.path("type").asString()).isIn("InternalServerError", "ServiceUnavailableError", "TimeoutError");
        assertThat(error.get("code").isNull()).as("a server failure has no OpenAI code").isTrue();
        for (String event : tail.subList(0, tail.size() - 2)) {
            assertThat(Api.JSON.readTree(event).has("error")).as("only the last event is an error: " + event).isFalse();
        }

        // Round-robin still picks the dead backend for every other request: the gateway must fail those over
        // (before any byte reached the client) until its health check or breaker takes it out of rotation.
        for (int i = 0; i < 6; i++) {
            Api.Response response = api.post("/v1/chat/completions", chat(stack.modelName(), "Still there?",
                    "max_tokens", 4, "ignore_eos", true));
            assertThat(response.status()).as("request %d after the crash: %s", i, response.body()).isEqualTo(200);
            assertThat(response.json().path("usage").path("completion_tokens").asInt()).isEqualTo(4);
        }
    }
}
