package dev.longctx.gateway;

import static dev.longctx.gateway.GatewayApiTest.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.gateway.admission.AdmissionControl;
import dev.longctx.gateway.support.FakeUpstreams;
import dev.longctx.gateway.support.GatewayClient;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** API keys, the rate limiter and the in-flight bound. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayAdmissionTest {
    static final FakeUpstreams UPSTREAMS = FakeUpstreams.INSTANCE;
    static final String KEY = "sk-test-123";
    static final String[] AUTH = {"Authorization", "Bearer " + KEY};

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) {
        registry.add("longctx.gateway.model-name", () -> "test-model");
        registry.add("longctx.gateway.tokenizer-url", UPSTREAMS::tokenizerUrl);
        registry.add("longctx.gateway.backends[0]", UPSTREAMS::backendUrl);
        registry.add("longctx.gateway.api-keys[0]", () -> KEY);
        registry.add("longctx.gateway.rate-limit", () -> "4");
        registry.add("longctx.gateway.max-queue", () -> "1");
    }

    @LocalServerPort
    int port;

    @Autowired
    AdmissionControl admission;

    @Test
    void missingOrWrongKeyIs401AndOpenRoutesStayOpen() {
        GatewayClient client = new GatewayClient(port);
        String body = "{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1}";
        assertError(client.post("/v1/chat/completions", body), 401, "AuthenticationError");
        assertError(client.post("/v1/chat/completions", body, "Authorization", "Bearer nope"), 401, "AuthenticationError");
        assertError(client.get("/v1/models", "Authorization", KEY), 401, "AuthenticationError");
        assertThat(client.get("/health").statusCode()).isEqualTo(200);
        assertThat(client.get("/metrics").statusCode()).isEqualTo(200);
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(300))
                .until(() -> client.post("/v1/chat/completions", body, AUTH).statusCode() == 200);
    }

    @Test
    void burstOverTheRateIs429() {
        GatewayClient client = new GatewayClient(port);
        // 40 back-to-back requests against 4/s: even a slow machine sends far more than 4 within a second.
        HttpResponse<String> limited = null;
        for (int i = 0; i < 40 && limited == null; i++) {
            HttpResponse<String> response = client.get("/v1/models", AUTH);
            assertThat(response.statusCode()).isIn(200, 429);
            if (response.statusCode() == 429) {
                limited = response;
            }
        }
        assertThat(limited).as("no request was rate limited").isNotNull();
        assertError(limited, 429, "RateLimitError");
    }

    @Test
    void beyondMaxQueueIs503UntilASlotFrees() throws Exception {
        GatewayClient client = new GatewayClient(port);
        HttpClient http = HttpClient.newHttpClient();
        HttpRequest hanging = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"HANG\",\"stream\":true}"))
                .build();
        Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(300)).until(() -> {
            HttpResponse<InputStream> response = http.send(hanging, HttpResponse.BodyHandlers.ofInputStream());
            if (response.statusCode() == 200) {
                response.body().read();
                holder = response.body();
                return true;
            }
            response.body().close();
            return false;
        });
        try {
            assertThat(admission.inFlight()).isEqualTo(1);
            String body = "{\"prompt\":\"x\",\"max_tokens\":1}";
            Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(300))
                    .until(() -> client.post("/v1/completions", body, AUTH).statusCode() == 503);
        } finally {
            holder.close();
        }
        Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> admission.inFlight() == 0);
    }

    private InputStream holder;
}
