package dev.longctx.tokenizerservice.tokenize;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.common.wire.DetokenizeResponse;
import dev.longctx.common.wire.TokenizeResponse;
import dev.longctx.tokenizerservice.backend.TokenizerBackend;
import dev.longctx.tokenizerservice.backend.TokenizerBackendFactory;
import dev.longctx.tokenizerservice.testbackend.TestTokenizerConfiguration;
import dev.longctx.tokenizerservice.testbackend.WhitespaceTokenizerBackend;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
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
    }

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
                .jsonPath("$.error.code").isEqualTo(400)
                .jsonPath("$.error.param").isEmpty()
                .jsonPath("$.error.message").value(m -> assertThat((String) m).contains("narrator"));
    }

    @Test
    void malformedJsonIsBadRequestWithoutStackTrace() {
        String body = post("/tokenize", "{\"prompt\": \"unterminated")
                .expectStatus().isBadRequest()
                .expectBody(String.class).returnResult().getResponseBody();

        assertThat(body).contains("\"type\":\"BadRequestError\"").contains("\"param\":null").contains("\"code\":400")
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
