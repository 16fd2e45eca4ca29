package dev.longctx.inferenceservice.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.longctx.inferenceservice.InferenceServiceTestSupport;
import dev.longctx.inferenceservice.testengine.TestEngineConfiguration;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.context.annotation.Import;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@Import(TestEngineConfiguration.class)
class PrometheusMetricsTest {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        InferenceServiceTestSupport.testModel(registry);
    }

    @Autowired
    WebTestClient client;

    @Test
    void metricsUseVllmNamesVerbatim() {
        await().atMost(Duration.ofSeconds(60)).untilAsserted(() ->
                client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk());
        client.post().uri("/internal/generate").contentType(MediaType.APPLICATION_JSON)
                .bodyValue("""
                        {"prompt_token_ids": [3, 4, 5], "sampling": {"max_tokens": 2}}""")
                .exchange().expectStatus().isOk().returnResult(String.class).getResponseBody().blockLast();

        String metrics = client.get().uri("/metrics").exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_PLAIN)
                .expectBody(String.class).returnResult().getResponseBody();

        String model = "{model_name=\"tiny-test\"}";
        assertThat(metrics)
                .contains("vllm:num_requests_running" + model)
                .contains("vllm:num_requests_waiting" + model)
                .contains("vllm:kv_cache_usage_perc" + model)
                .contains("vllm:prompt_tokens_total" + model + " 3")
                .contains("vllm:generation_tokens_total" + model + " 2")
                .contains("vllm:prefix_cache_queries_total" + model)
                .contains("vllm:prefix_cache_hits_total" + model)
                .contains("# TYPE vllm:num_requests_running gauge")
                .doesNotContain("vllm_num_requests_running");
    }
}
