package dev.longctx.e2e;

import static dev.longctx.e2e.Api.completion;
import static dev.longctx.e2e.Api.obj;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * One client's bad input fails only its own request: token ids past the vocabulary, sent while another client
 * streams, are answered 400 (by the gateway, and by the engine's admission check when sent to a backend
 * directly), the other stream completes intact, and no circuit breaker opens.
 */
@Order(2)
@ExtendWith(StackExtension.class)
class IsolationE2eTest {
    /** The random model's vocabulary: byte-level BPE fixture, 274 ids. */
    private static final int VOCAB = 274;

    @Test
    void outOfVocabularyRequestsGet400WhileAGoodStreamCompletesAndNoBreakerOpens(Stack stack) throws Exception {
        Api api = Api.of(stack);
        try (var clients = Executors.newVirtualThreadPerTaskExecutor();
             Api.Sse good = api.stream("/v1/completions", completion(stack.modelName(), "Tell me a story",
                     "max_tokens", 400, "ignore_eos", true, "temperature", 0, "stream", true))) {
            assertThat(good.status()).isEqualTo(200);
            assertThat(good.next()).isNotNull().isNotEqualTo("[DONE]");   // it is generating now

            List<Future<Api.Response>> attacks = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                int id = VOCAB + i * 1000;
                attacks.add(clients.submit(() -> api.post("/v1/completions",
                        obj("model", stack.modelName(), "prompt", List.of(5, id, 7), "max_tokens", 4))));
            }
            for (Future<Api.Response> attack : attacks) {
                Api.Response response = attack.get();
                String message = ErrorsE2eTest.assertError(response, 400, "BadRequestError");
                assertThat(message).matches("Token id \\d+ is out of vocabulary");
                assertThat(response.json().path("error").path("code").asString()).isEqualTo("invalid_value");
            }
            // Past the gateway, straight at a backend: the engine's own admission check refuses it.
            for (ServiceProcess backend : stack.liveBackends()) {
                HttpResponse<String> direct = post(backend.baseUrl().resolve("/internal/generate"),
                        "{\"prompt_token_ids\": [5, " + (VOCAB + 3) + "], \"sampling\": {\"max_tokens\": 2}}");
                assertThat(direct.statusCode()).as(direct.body()).isEqualTo(400);
                assertThat(direct.body()).contains("Token id " + (VOCAB + 3) + " is out of vocabulary");
            }

            List<String> rest = good.rest();
            assertThat(rest.getLast()).isEqualTo("[DONE]");
            assertThat(rest).noneMatch(event -> event.contains("\"error\""));
            int tokens = rest.stream().filter(e -> !e.equals("[DONE]"))
                    .mapToInt(e -> Api.JSON.readTree(e).path("choices").path(0).path("text").asString().isEmpty() ? 0 : 1).sum();
            assertThat(tokens).as("the good stream ran to its end").isGreaterThan(0);
        }
        assertThat(breakerStates(stack)).as("every backend's breaker").isNotEmpty().allMatch("closed"::equals);
        assertThat(api.get("/health").status()).isEqualTo(200);
        Api.Response after = api.post("/v1/completions", completion(stack.modelName(), "Still there?", "max_tokens", 3));
        assertThat(after.status()).as(after.body()).isEqualTo(200);
    }

    /** The state each backend's Resilience4j breaker reports on the gateway's /metrics. */
    private static List<String> breakerStates(Stack stack) throws Exception {
        HttpResponse<String> metrics = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(stack.gatewayUrl().resolve("/metrics")).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        List<String> states = new ArrayList<>();
        for (String line : metrics.body().split("\n")) {
            if (line.startsWith("resilience4j_circuitbreaker_state{") && line.endsWith(" 1.0")) {
                int at = line.indexOf("state=\"") + 7;
                states.add(line.substring(at, line.indexOf('"', at)));
            }
        }
        return states;
    }

    private static HttpResponse<String> post(URI uri, String body) throws Exception {
        return HttpClient.newHttpClient().send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
