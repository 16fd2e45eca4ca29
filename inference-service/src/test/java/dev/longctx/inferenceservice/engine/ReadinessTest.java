package dev.longctx.inferenceservice.engine;

import static org.awaitility.Awaitility.await;

import dev.longctx.inferenceservice.InferenceServiceTestSupport;
import dev.longctx.inferenceservice.testengine.TestEngineConfiguration;
import dev.longctx.inferenceservice.testengine.TestEngineConfiguration.LoadGate;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@Import({TestEngineConfiguration.class, ReadinessTest.HeldLoading.class})
class ReadinessTest {

    @TestConfiguration(proxyBeanMethods = false)
    static class HeldLoading {
        @Bean
        LoadGate closedLoadGate() {
            return new LoadGate(false);
        }
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        InferenceServiceTestSupport.testModel(registry);
    }

    @Autowired
    WebTestClient client;

    @Autowired
    LoadGate gate;

    @Autowired
    ApplicationAvailability availability;

    @Test
    void readinessTurnsTrueOnlyOnceTheModelIsLoaded() {
        client.get().uri("/actuator/health/readiness").exchange()
                .expectStatus().isEqualTo(503)
                .expectBody().jsonPath("$.status").isEqualTo("OUT_OF_SERVICE");
        client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
        client.get().uri("/internal/info").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.ready").isEqualTo(false);
        client.post().uri("/internal/generate").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt_token_ids\": [1]}")
                .exchange()
                .expectStatus().isEqualTo(503)
                .expectBody().jsonPath("$.error.message").isEqualTo("model tiny-test is still loading");
        client.get().uri("/metrics").exchange().expectStatus().isOk();

        gate.open();

        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                client.get().uri("/actuator/health/readiness").exchange()
                        .expectStatus().isOk()
                        .expectBody().jsonPath("$.status").isEqualTo("UP"));
        await().atMost(Duration.ofSeconds(30)).until(() ->
                availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC);
        client.get().uri("/internal/info").exchange()
                .expectBody().jsonPath("$.ready").isEqualTo(true);
    }
}
