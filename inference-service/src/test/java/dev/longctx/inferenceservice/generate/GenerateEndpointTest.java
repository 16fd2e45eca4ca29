package dev.longctx.inferenceservice.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.longctx.common.wire.GenerateEvent;
import dev.longctx.common.wire.PackedTokenIds;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.serving.EngineException;
import dev.longctx.engine.serving.EngineRequest;
import dev.longctx.engine.serving.GenerationOutput;
import dev.longctx.engine.serving.OutputListener;
import dev.longctx.inferenceservice.InferenceServiceTestSupport;
import dev.longctx.inferenceservice.engine.EngineLauncher;
import dev.longctx.inferenceservice.testengine.EchoTestEngine;
import dev.longctx.inferenceservice.testengine.TestEngineConfiguration;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@Import({TestEngineConfiguration.class, GenerateEndpointTest.ProductionLauncherStandIn.class})
class GenerateEndpointTest {

    /** Where the merged Engines::open launcher will be: the tests' @Primary launcher must still win over it. */
    @TestConfiguration(proxyBeanMethods = false)
    static class ProductionLauncherStandIn {
        @Bean
        EngineLauncher productionEngineLauncher() {
            return (dir, options) -> {
                throw new AssertionError("the test launcher is @Primary and must be used");
            };
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        InferenceServiceTestSupport.testModel(registry);
        // 100 blocks x 16 tokens: a 1600-token KV cache, smaller than the test engine's context.
        registry.add("longctx.engine.kv-cache-blocks", () -> "100");
        registry.add("longctx.engine.block-size", () -> "16");
        registry.add("longctx.generate.max-body-bytes", () -> "65536");
    }

    @Autowired
    WebTestClient client;

    @Autowired
    EchoTestEngine engine;

    @LocalServerPort
    int port;

    @BeforeEach
    void modelLoaded() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk());
    }

    @AfterEach
    void nothingLeftInTheEngine() {
        engine.cancelAll();
    }

    @Test
    void streamsOneNdjsonLinePerStepUntilLength() {
        List<GenerateEvent> events = client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_NDJSON)
                .bodyValue("""
                        {"request_id": "r-stream", "prompt_token_ids": [5, 6, 7], "sampling": {"max_tokens": 4}}""")
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_NDJSON)
                .returnResult(GenerateEvent.class).getResponseBody().collectList().block(Duration.ofSeconds(60));

        assertThat(events).extracting(GenerateEvent::requestId).containsOnly("r-stream");
        assertThat(events).flatExtracting(GenerateEvent::tokenIds).containsExactly(5, 6, 7, 5);
        assertThat(events).extracting(GenerateEvent::finishReason).containsExactly(null, null, null, "length");
        GenerateEvent last = events.getLast();
        assertThat(last.promptTokens()).isEqualTo(3);
        assertThat(last.completionTokens()).isEqualTo(4);
        assertThat(last.error()).isNull();
        assertThat(engine.activeRequestIds()).isEmpty();
    }

    @Test
    void stopTokenEndsWithStop() {
        List<GenerateEvent> events = client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"prompt_token_ids": [5, 6, 7], "sampling": {"max_tokens": 100, "stop_token_ids": [7]}}""")
                .exchange()
                .expectStatus().isOk()
                .returnResult(GenerateEvent.class).getResponseBody().collectList().block(Duration.ofSeconds(60));

        assertThat(events).extracting(GenerateEvent::text).containsExactly("t5 ", "t6 ", "t7 ");
        assertThat(events.getLast().finishReason()).isEqualTo("stop");
        assertThat(events.getFirst().requestId()).startsWith("gen-");
    }

    @Test
    void clientDisconnectCancelsTheEngineRequest() {
        List<GenerateEvent> firstTwo = WebClient.create("http://localhost:" + port).post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"request_id": "r-gone", "prompt_token_ids": [1, 2], "sampling": {"max_tokens": 4000}}""")
                .retrieve()
                .bodyToFlux(GenerateEvent.class)
                .take(2) // then cancels, which closes the connection
                .collectList().block(Duration.ofSeconds(60));

        assertThat(firstTwo).hasSize(2);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            assertThat(engine.cancelledRequestIds()).contains("r-gone");
            assertThat(engine.activeRequestIds()).doesNotContain("r-gone");
        });
    }

    @Test
    void fullQueueIsServiceUnavailable() {
        // 2 running + 2 waiting fill the test engine; the fifth is refused.
        submitFillers(0, 2);
        await().atMost(Duration.ofSeconds(30)).until(() -> engine.stats().running() == 2);
        submitFillers(2, 4);

        client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .accept(MediaType.APPLICATION_NDJSON)
                .bodyValue("""
                        {"request_id": "r-refused", "prompt_token_ids": [1, 2, 3]}""")
                .exchange()
                .expectStatus().isEqualTo(503)
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("ServiceUnavailableError")
                .jsonPath("$.error.code").isEqualTo(503)
                .jsonPath("$.error.message").value(m -> assertThat((String) m).contains("queue is full"));
    }

    @Test
    void engineFailureBeforeTheFirstTokenIsAnHttpStatus() {
        client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt_token_ids\": [" + EchoTestEngine.KV_EXHAUSTING_TOKEN + "]}")
                .exchange()
                .expectStatus().isEqualTo(503)
                .expectBody().jsonPath("$.error.message").value(m -> assertThat((String) m).contains("KV cache"));
    }

    @Test
    void promptLongerThanTheContextIsBadRequest() {
        client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt_token_ids\": [1, 2], \"sampling\": {\"max_tokens\": "
                        + TestEngineConfiguration.MAX_MODEL_LEN + "}}")
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("BadRequestError")
                .jsonPath("$.error.message").value(m -> assertThat((String) m).contains("maximum context length"));
    }

    @Test
    void promptLargerThanTheWholeKvCacheIsBadRequest() {
        String prompt = IntStream.range(0, 1601).mapToObj(i -> "1")
                .collect(Collectors.joining(","));
        client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt_token_ids\": [" + prompt + "], \"sampling\": {\"max_tokens\": 1}}")
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.message").value(m ->
                        assertThat((String) m).contains("does not fit in the KV cache of 1600 tokens"));
        assertThat(engine.activeRequestIds()).isEmpty();
    }

    @Test
    void malformedJsonIsBadRequestWithoutStackTrace() {
        String body = client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt_token_ids\": [1,")
                .exchange()
                .expectStatus().isBadRequest()
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(body).contains("\"code\":400").doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void promptTokenIdsArriveAsPackedBase64() {
        String packed = PackedTokenIds.of(5, 6, 7).toBase64();
        List<GenerateEvent> events = client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt_token_ids\": \"" + packed + "\", \"sampling\": {\"max_tokens\": 3}}")
                .exchange()
                .expectStatus().isOk()
                .returnResult(GenerateEvent.class).getResponseBody().collectList().block(Duration.ofSeconds(30));
        // the echo engine repeats the prompt
        assertThat(events.stream().flatMap(e -> e.tokenIds().stream()).toList()).containsExactly(5, 6, 7);
    }

    @Test
    void bodyOverTheLimitIs413NamingTheLimit() {
        String ids = "1,".repeat(40_000) + "1";
        client.post().uri("/internal/generate")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt_token_ids\": [" + ids + "]}")
                .exchange()
                .expectStatus().isEqualTo(413)
                .expectBody()
                .jsonPath("$.error.message").value(m -> assertThat((String) m).contains("65536 bytes"));
    }

    @Test
    void infoReportsTheLoadedModel() {
        client.get().uri("/internal/info").exchange()
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.model").isEqualTo("tiny-test")
                .jsonPath("$.max_model_len").isEqualTo(TestEngineConfiguration.MAX_MODEL_LEN)
                .jsonPath("$.ready").isEqualTo(true);
    }

    private void submitFillers(int from, int to) {
        for (int i = from; i < to; i++) {
            engine.submit(new EngineRequest("filler-" + i, new int[] {1}, SamplingParams.greedy(1_000_000), null),
                    new IgnoringListener());
        }
    }

    private static final class IgnoringListener implements OutputListener {
        @Override
        public void onOutput(GenerationOutput output) {}

        @Override
        public void onError(EngineException error) {}
    }
}
