package dev.longctx.gateway;

import static dev.longctx.gateway.support.GatewayClient.json;
import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.gateway.routing.BackendHealthProbe;
import dev.longctx.gateway.support.FakeUpstreams;
import dev.longctx.gateway.support.GatewayClient;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Every hop bounded in time: a tokenizer-service that accepts connections and never answers, and a client whose
 * body never completes.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GatewayTimeoutsTest {
    static final FakeUpstreams UPSTREAMS = FakeUpstreams.INSTANCE;

    @DynamicPropertySource
    static void upstreams(DynamicPropertyRegistry registry) {
        registry.add("longctx.gateway.model-name", () -> "test-model");
        registry.add("longctx.gateway.tokenizer-url", UPSTREAMS::silentTokenizerUrl);
        registry.add("longctx.gateway.backends[0]", UPSTREAMS::backendUrl);
        registry.add("longctx.gateway.probe-timeout", () -> "1s");
        // tokenize-timeout keeps its 60 s default: /v1/models must not depend on it
        registry.add("longctx.gateway.body-read-timeout", () -> "1s");
        registry.add("longctx.gateway.health-check-interval", () -> "0s");
    }

    @LocalServerPort
    int port;

    @Autowired
    BackendHealthProbe probe;

    @Test
    void aTokenizerThatNeverAnswersCostsModelsSecondsAndTurnsHealthRed() {
        GatewayClient client = new GatewayClient(port);
        long start = System.nanoTime();
        HttpResponse<String> models = client.get("/v1/models");
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(models.statusCode()).as(models.body()).isEqualTo(200);
        // learned from the backend after the 1 s probe timeout, not the 60 s the tokenizer used to cost
        assertThat(json(models.body()).get("data").get(0).get("max_model_len").asInt()).isEqualTo(FakeUpstreams.MAX_MODEL_LEN);
        assertThat(seconds).isLessThan(5);

        probe.probeAll().block(Duration.ofSeconds(10));
        assertThat(client.get("/health").statusCode()).isEqualTo(503);
    }

    @Test
    void aBodyThatNeverCompletesClosesItsConnection() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /v1/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 5000\r\n\r\n{\"prompt\": \"never fini").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            byte[] answer = socket.getInputStream().readAllBytes();   // returns when the gateway closes
            assertThat((System.nanoTime() - start) / 1e9).as("closed by the 1 s body-read timeout").isLessThan(8);
            String text = new String(answer, StandardCharsets.US_ASCII);
            assertThat(text).doesNotContain("200 OK");
            // Netty may close the connection before an answer can be written; an answer that does get out says it
            // was the client's fault, in the API's format (it said 500 "Internal server error" before).
            if (!text.isEmpty()) {
                assertThat(text).startsWith("HTTP/1.1 408").contains("\"type\":\"BadRequestError\"")
                        .contains("did not arrive in time");
            }
        }
    }
}
