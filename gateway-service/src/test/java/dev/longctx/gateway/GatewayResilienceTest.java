package dev.longctx.gateway;

import static dev.longctx.gateway.GatewayApiTest.assertError;
import static dev.longctx.gateway.support.GatewayClient.json;
import static dev.longctx.gateway.support.GatewayClient.sseData;
import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.gateway.routing.Backend;
import dev.longctx.gateway.routing.BackendHealthProbe;
import dev.longctx.gateway.routing.BackendRegistry;
import dev.longctx.gateway.support.FakeUpstreams;
import dev.longctx.gateway.support.GatewayClient;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/** Failover, breakers and timeouts, with a dead first backend in front of a working one. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayResilienceTest {
    static final FakeUpstreams UPSTREAMS = FakeUpstreams.INSTANCE;

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) {
        registry.add("longctx.gateway.model-name", () -> "test-model");
        registry.add("longctx.gateway.tokenizer-url", UPSTREAMS::tokenizerUrl);
        registry.add("longctx.gateway.backends[0]", UPSTREAMS::deadBackendUrl);
        registry.add("longctx.gateway.backends[1]", UPSTREAMS::backendUrl);
        registry.add("longctx.gateway.first-token-timeout", () -> "1s");
        registry.add("longctx.gateway.idle-timeout", () -> "1s");
        registry.add("longctx.gateway.circuit-breaker.minimum-calls", () -> "3");
        registry.add("longctx.gateway.circuit-breaker.sliding-window-size", () -> "3");
        registry.add("longctx.gateway.circuit-breaker.open-duration", () -> "60s");
        // Probing would take the dead backend out of rotation before any request could show failover.
        registry.add("longctx.gateway.health-check-interval", () -> "0s");
    }

    @LocalServerPort
    int port;

    @Autowired
    BackendRegistry backends;

    @Autowired
    BackendHealthProbe probe;

    /** Timeouts count against the live backend's breaker; each test starts from healthy backends. */
    @BeforeEach
    void resetBackends() {
        for (Backend backend : backends.all()) {
            backend.circuitBreaker().reset();
            backend.probeReady().set(true);
        }
    }

    @Test
    void failsOverToTheSecondBackendBeforeTheFirstByteAndThenOpensTheBreaker() {
        GatewayClient client = new GatewayClient(port);
        Backend dead = backends.all().getFirst();
        for (int i = 0; i < 6; i++) {
            boolean stream = i % 2 == 0;
            HttpResponse<String> response = client.post("/v1/chat/completions",
                    "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2,\"stream\":" + stream + "}");
            assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
            if (stream) {
                List<String> data = sseData(response.body());
                assertThat(data.getLast()).isEqualTo("[DONE]");
                assertThat(response.body()).doesNotContain("\"error\"");
            } else {
                assertThat(json(response.body()).get("choices").get(0).get("message").get("content").asString())
                        .isEqualTo("w0 w1 ");
            }
        }
        // Round-robin sent some of those to the dead backend first; each failed over, and the breaker noticed.
        assertThat(dead.circuitBreaker().getMetrics().getNumberOfFailedCalls()
                        + dead.circuitBreaker().getMetrics().getNumberOfNotPermittedCalls()).isPositive();
        assertThat(dead.healthy()).isFalse();
        assertThat(client.get("/health").statusCode()).isEqualTo(200);
    }

    @Test
    void healthProbeTakesUnreachableBackendsOutOfRotation() {
        Backend dead = backends.all().get(0);
        Backend live = backends.all().get(1);
        try {
            probe.probeAll().block(Duration.ofSeconds(10));
            assertThat(dead.probeReady().get()).isFalse();
            assertThat(live.probeReady().get()).isTrue();
        } finally {
            dead.probeReady().set(true);
        }
    }

    @Test
    void everyBackendUnavailableIs503() {
        GatewayClient client = new GatewayClient(port);
        JsonNode error = assertError(client.post("/v1/completions", "{\"prompt\":\"FULL\",\"max_tokens\":2}"),
                503, "ServiceUnavailableError");
        assertThat(error.get("message").asString()).doesNotContain("127.0.0.1");
    }

    @Test
    void noFirstTokenInTimeIs504AndCancelsUpstream() {
        GatewayClient client = new GatewayClient(port);
        HttpResponse<String> response = client.post("/v1/completions", "{\"prompt\":\"SILENT\",\"max_tokens\":2,\"stream\":true}");
        assertError(response, 504, "TimeoutError");
        Awaitility.await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(UPSTREAMS.cancelled)
                .anyMatch(id -> UPSTREAMS.generateRequests.stream()
                        .anyMatch(r -> r.requestId().equals(id) && r.promptTokenIds().contains(FakeUpstreams.SILENT))));
    }

    @Test
    void silenceBetweenTokensEndsTheStreamWithAnErrorChunk() {
        GatewayClient client = new GatewayClient(port);
        HttpResponse<String> response = client.post("/v1/completions", "{\"prompt\":\"STALL\",\"max_tokens\":9,\"stream\":true}");
        assertThat(response.statusCode()).isEqualTo(200);
        List<String> data = sseData(response.body());
        assertThat(data.getFirst()).contains("w0 ");
        assertThat(data.getLast()).isEqualTo("[DONE]");
        JsonNode error = json(data.get(data.size() - 2)).get("error");
        assertThat(error.get("type").asString()).isEqualTo("TimeoutError");
        assertThat(error.get("code").isNull()).isTrue();
    }

    /** A client's bad input must not let it open the breaker for everyone (the backend's 4xx is not a failure). */
    @Test
    void requestsTheBackendRefusesDoNotCountAgainstItsBreaker() {
        GatewayClient client = new GatewayClient(port);
        Backend live = backends.all().get(1);
        backends.all().getFirst().circuitBreaker().transitionToForcedOpenState();   // every request goes to the live one
        try {
            for (int i = 0; i < 8; i++) {
                JsonNode error = assertError(client.post("/v1/completions", "{\"prompt\":\"REJECT\",\"max_tokens\":2}"),
                        400, "BadRequestError", "invalid_value", null);
                assertThat(error.get("message").asString()).isEqualTo("Token id 9007 is out of vocabulary");
            }
            assertThat(live.circuitBreaker().getState()).isEqualTo(io.github.resilience4j.circuitbreaker.CircuitBreaker.State.CLOSED);
            assertThat(live.circuitBreaker().getMetrics().getNumberOfFailedCalls()).isZero();
            assertThat(live.circuitBreaker().getMetrics().getNumberOfSuccessfulCalls()).as("ignored, not successes").isZero();
            assertThat(client.post("/v1/completions", "{\"prompt\":\"fine\",\"max_tokens\":2}").statusCode()).isEqualTo(200);
            assertThat(client.get("/health").statusCode()).isEqualTo(200);
        } finally {
            backends.all().getFirst().circuitBreaker().reset();
        }
    }
}
