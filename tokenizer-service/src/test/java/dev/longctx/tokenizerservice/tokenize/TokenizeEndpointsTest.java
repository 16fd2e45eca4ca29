package dev.longctx.tokenizerservice.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.common.wire.DetokenizeResponse;
import dev.longctx.common.wire.PackedTokenizeResponse;
import dev.longctx.common.wire.TokenizerInfo;
import dev.longctx.common.wire.TokenizeResponse;
import dev.longctx.tokenizerservice.backend.TokenizerBackend;
import dev.longctx.tokenizerservice.backend.TokenizerBackendFactory;
import dev.longctx.tokenizerservice.testbackend.TestTokenizerConfiguration;
import dev.longctx.tokenizerservice.testbackend.WhitespaceTokenizerBackend;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
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

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
@Import({TestTokenizerConfiguration.class, TokenizeEndpointsTest.ProductionFactoryStandIn.class})
class TokenizeEndpointsTest {

    /** Where the merged HfTokenizer factory will be: the tests' @Primary factory must still win over it. */
    @TestConfiguration(proxyBeanMethods = false)
    static class ProductionFactoryStandIn {
        @Bean
        TokenizerBackendFactory productionTokenizerBackendFactory() {
            return dir -> {
                throw new AssertionError("the test factory is @Primary and must be used");
            };
        }
    }

    @DynamicPropertySource
    static void model(DynamicPropertyRegistry registry) {
        registry.add("longctx.model.path", () -> Path.of("src/test/resources/test-model").toAbsolutePath().toString());
        registry.add("longctx.tokenizer.body-read-timeout", () -> "1s");
    }

    @LocalServerPort
    int port;

    @Autowired
    WebTestClient client;

    @Autowired
    TokenizerBackend backend;

    @Test
    void tokenizeAnswersVllmShapeWithMaxModelLenFromConfigJson() {
        TokenizeResponse response = post("/tokenize", """
                {"model": "tiny", "prompt": "hello long world hello"}""")
                .expectStatus().isOk()
                .expectBody(TokenizeResponse.class).returnResult().getResponseBody();

        assertThat(response.count()).isEqualTo(4);
        assertThat(response.maxModelLen()).isEqualTo(32768);
        assertThat(response.tokens()).hasSize(4);
        assertThat(response.tokens().get(0)).isEqualTo(response.tokens().get(3));
        assertThat(((WhitespaceTokenizerBackend) backend).lastEncodingThread()).as("off the event loop")
                .startsWith("tokenize-");
    }

    @Test
    void tokenizeWritesSnakeCaseFieldNames() {
        post("/tokenize", """
                {"prompt": "a b"}""")
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.count").isEqualTo(2)
                .jsonPath("$.max_model_len").isEqualTo(32768)
                .jsonPath("$.tokens.length()").isEqualTo(2);
    }

    @Test
    void detokenizeInvertsTokenize() {
        TokenizeResponse tokens = post("/tokenize", """
                {"prompt": "round trip text"}""")
                .expectBody(TokenizeResponse.class).returnResult().getResponseBody();

        DetokenizeResponse text = post("/detokenize", "{\"tokens\": " + tokens.tokens() + "}")
                .expectStatus().isOk()
                .expectBody(DetokenizeResponse.class).returnResult().getResponseBody();

        assertThat(text.prompt()).isEqualTo("round trip text");
    }

    @Test
    void chatMessagesAreRenderedWithTheTemplateAndGenerationPromptByDefault() {
        String messages = """
                "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hi"}]""";
        TokenizeResponse withPrompt = post("/tokenize", "{" + messages + "}")
                .expectStatus().isOk()
                .expectBody(TokenizeResponse.class).returnResult().getResponseBody();
        TokenizeResponse withoutPrompt = post("/tokenize", "{" + messages + ", \"add_generation_prompt\": false}")
                .expectStatus().isOk()
                .expectBody(TokenizeResponse.class).returnResult().getResponseBody();

        assertThat(detokenize(withoutPrompt.tokens()))
                .isEqualTo("<|im_start|> system be brief <|im_end|> <|im_start|> user hi <|im_end|>");
        assertThat(detokenize(withPrompt.tokens())).isEqualTo(detokenize(withoutPrompt.tokens()) + " <|im_start|> assistant");
    }

    @Test
    void templateThatCannotRenderIsOpenAiBadRequest() {
        post("/tokenize", """
                {"messages": [{"role": "narrator", "content": "once upon a time"}]}""")
                .expectStatus().isBadRequest()
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("BadRequestError")
                .jsonPath("$.error.code").isEmpty()
                .jsonPath("$.error.param").isEmpty()
                .jsonPath("$.error.message").value(m -> assertThat((String) m).contains("narrator"));
    }

    @Test
    void malformedJsonIsBadRequestWithoutStackTrace() {
        String body = post("/tokenize", "{\"prompt\": \"unterminated")
                .expectStatus().isBadRequest()
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(body).contains("\"type\":\"BadRequestError\"").contains("\"param\":null").contains("\"code\":null")
                .contains("malformed JSON");
        assertThat(body).doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("trace");
    }

    @Test
    void promptAndMessagesTogetherAreRejected() {
        post("/tokenize", """
                {"prompt": "x", "messages": [{"role": "user", "content": "y"}]}""")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.message").isEqualTo("exactly one of 'prompt' or 'messages' is required");
    }

    @Test
    void unknownTokenIdIsBadRequest() {
        post("/detokenize", """
                {"tokens": [-1]}""")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.type").isEqualTo("BadRequestError");
    }

    @Test
    void idAboveTheVocabularyIsBadRequestNotAServerError() {
        post("/detokenize", """
                {"tokens": [1, 123456]}""")
                .expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.message").isEqualTo("Token id 123456 is out of vocabulary");
    }

    @Test
    void internalTokenizeAnswersTheSameIdsPacked() {
        TokenizeResponse plain = post("/tokenize", """
                {"prompt": "packed ids travel as base64 packed"}""")
                .expectBody(TokenizeResponse.class).returnResult().getResponseBody();
        PackedTokenizeResponse packed = post("/internal/tokenize", """
                {"prompt": "packed ids travel as base64 packed"}""")
                .expectStatus().isOk()
                .expectBody(PackedTokenizeResponse.class).returnResult().getResponseBody();

        assertThat(packed.count()).isEqualTo(plain.count());
        assertThat(packed.maxModelLen()).isEqualTo(32768);
        assertThat(packed.tokens().asList()).isEqualTo(plain.tokens());
        post("/internal/tokenize", "{\"prompt\": \"a b\"}").expectBody()
                .jsonPath("$.tokens").value(tokens -> assertThat(tokens).isInstanceOf(String.class));
    }

    @Test
    void infoReportsTheLimitsTheGatewayChecks() {
        TokenizerInfo info = client.get().uri("/internal/info").exchange().expectStatus().isOk()
                .expectBody(TokenizerInfo.class).returnResult().getResponseBody();
        assertThat(info.maxModelLen()).isEqualTo(32768);
        // the test model's config.json has no vocab_size: the tokenizer's own size stands in
        assertThat(info.maxTokenId()).isEqualTo(info.vocabSize() - 1);
        assertThat(info.vocabSize()).isEqualTo(backend.vocabSize());
    }

    @Test
    void bodyOverTheLimitIs413NamingTheLimit() {
        // 2 x (32768 x 16 + 1 MiB) = 3 MiB for the test model's 32768 positions
        String prompt = "x ".repeat(2 * 1024 * 1024);
        post("/tokenize", "{\"prompt\": \"" + prompt + "\"}")
                .expectStatus().isEqualTo(413)
                .expectBody()
                .jsonPath("$.error.code").isEqualTo("request_too_large")
                .jsonPath("$.error.message").value(m -> assertThat((String) m).contains("3145728 bytes"));
    }

    @Test
    void aBodyThatStopsArrivingClosesItsConnection() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /tokenize HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1000\r\n\r\n{\"prompt\": \"never fini").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            long start = System.nanoTime();
            byte[] answer = socket.getInputStream().readAllBytes();   // returns when the server closes
            assertThat((System.nanoTime() - start) / 1e9).as("closed by the 1 s body-read timeout").isLessThan(8);
            assertThat(new String(answer, StandardCharsets.US_ASCII)).doesNotContain("200 OK");
        }
    }

    @Test
    void readinessAndLivenessAreUp() {
        client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP");
        client.get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
    }

    private String detokenize(List<Integer> tokens) {
        return post("/detokenize", "{\"tokens\": " + tokens + "}")
                .expectBody(DetokenizeResponse.class).returnResult().getResponseBody().prompt();
    }

    private WebTestClient.ResponseSpec post(String path, String json) {
        return client.post().uri(path).contentType(MediaType.APPLICATION_JSON).bodyValue(json).exchange();
    }
}
