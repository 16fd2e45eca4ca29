package dev.longctx.gateway;

import static dev.longctx.gateway.support.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.gateway.routing.Backend;
import dev.longctx.gateway.routing.BackendRegistry;
import dev.longctx.gateway.support.FakeUpstreams;
import dev.longctx.gateway.support.GatewayClient;
import java.net.URI;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * A gateway with no static backend, only {@code discovery.dns}: it finds the backend by resolving the name (here
 * localhost, through the hosts file, as a pod resolves a headless Service through cluster DNS) and serves.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayDiscoveryTest {
    static final FakeUpstreams UPSTREAMS = FakeUpstreams.INSTANCE;

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) {
        registry.add("longctx.gateway.model-name", () -> "test-model");
        registry.add("longctx.gateway.tokenizer-url", UPSTREAMS::tokenizerUrl);
        registry.add("longctx.gateway.discovery.dns", () -> "localhost:" + URI.create(UPSTREAMS.backendUrl()).getPort());
        registry.add("longctx.gateway.discovery.interval", () -> "200ms");
    }

    @LocalServerPort
    int port;

    @Autowired
    BackendRegistry backends;

    @Test
    void theDiscoveredBackendServes() {
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> !backends.all().isEmpty());
        assertThat(backends.all()).extracting(Backend::key).containsExactly(UPSTREAMS.backendUrl());

        GatewayClient client = new GatewayClient(port);
        HttpResponse<String> response = client.post("/v1/chat/completions",
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}");
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        assertThat(json(response.body()).get("choices").get(0).get("message").get("content").asString()).isNotEmpty();
        assertThat(client.get("/metrics").body()).contains("longctx_routing_backends{state=\"registered\"} 1.0");
    }
}
