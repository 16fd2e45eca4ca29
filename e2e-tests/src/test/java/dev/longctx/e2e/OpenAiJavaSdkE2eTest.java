package dev.longctx.e2e;

import static dev.longctx.e2e.Api.completion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.StreamResponse;
import com.openai.errors.OpenAIServiceException;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.completions.Completion;
import com.openai.models.completions.CompletionChoice;
import com.openai.models.completions.CompletionCreateParams;
import com.openai.models.models.Model;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.function.Executable;

/**
 * The official OpenAI Java SDK ({@code com.openai:openai-java}) against the gateway, with strict response
 * validation on: every response must parse into the SDK's types with nothing missing or mistyped. Texts are
 * compared with what the same request returns over plain HTTP ({@link ClientScenario}), so the SDK is shown to
 * read exactly what was sent. Traffic goes through a {@link RecordingProxy}; a failing test prints the raw exchange.
 */
@Order(5)
@ExtendWith({StackExtension.class, RecordedGatewayExtension.class})
class OpenAiJavaSdkE2eTest {
    static final String PROMPT = ClientScenario.PROMPT;
    static final int MAX_TOKENS = ClientScenario.MAX_TOKENS;

    static Stack stack;
    static String model;
    static String gatewayUrl;
    static OpenAIClient client;

    @BeforeAll
    static void connect(Stack stack, RecordingProxy gateway) {
        OpenAiJavaSdkE2eTest.stack = stack;
        model = stack.modelName();
        gatewayUrl = gateway.url() + "/v1";
        client = client(gatewayUrl, StackExtension.API_KEY);
    }

    static OpenAIClient client(String baseUrl, String apiKey) {
        return OpenAIOkHttpClient.builder()
                .baseUrl(baseUrl)
                .apiKey(apiKey)
                .responseValidation(true)
                .maxRetries(0)   // a failure must show here, not be retried away
                .timeout(Duration.ofSeconds(60))
                .build();
    }

    @AfterAll
    static void close() {
        if (client != null) client.close();
    }

    /** Greedy chat with vLLM's ignore_eos, so it always yields exactly {@link #MAX_TOKENS} tokens. */
    static ChatCompletionCreateParams.Builder greedyChat() {
        return ChatCompletionCreateParams.builder()
                .model(model)
                .addUserMessage(PROMPT)
                .maxCompletionTokens(MAX_TOKENS)
                .temperature(0)
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true));
    }

    @Test
    void modelsListAndRetrieveAgreeOnTheServedModel() {
        List<Model> listed = client.models().list().data();
        assertThat(listed).extracting(Model::id).containsExactly(model);

        Model retrieved = client.models().retrieve(model);
        assertThat(retrieved.id()).isEqualTo(model);
        assertThat(retrieved.ownedBy()).isEqualTo("longctx");
        assertThat(retrieved.created()).isEqualTo(listed.getFirst().created());
        // vLLM's extension rides along as an additional property
        assertThat(retrieved._additionalProperties().get("max_model_len")).isEqualTo(JsonValue.from(stack.maxModelLen()));
    }

    @Test
    void chatIsParsedIntoExactlyWhatWasSent() {
        ChatCompletion completion = client.chat().completions().create(greedyChat().build());

        assertThat(completion.model()).isEqualTo(model);
        assertThat(completion.choices()).hasSize(1);
        ChatCompletion.Choice choice = completion.choices().getFirst();
        assertThat(choice.index()).isZero();
        assertThat(choice.finishReason()).isEqualTo(ChatCompletion.Choice.FinishReason.LENGTH);
        assertThat(choice.message().content()).contains(ClientScenario.rawGreedyChatText(stack));
        assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(MAX_TOKENS);
        assertThat(completion.usage().orElseThrow().totalTokens())
                .isEqualTo(completion.usage().orElseThrow().promptTokens() + MAX_TOKENS);
    }

    @Test
    void streamingChatStartsWithTheRoleAndEndsWithAUsageChunk() {
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(greedyChat()
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .build())) {
            chunks = stream.stream().toList();
        }

        assertThat(chunks.getFirst().choices().getFirst().delta().role())
                .contains(ChatCompletionChunk.Choice.Delta.Role.ASSISTANT);
        StringBuilder text = new StringBuilder();
        List<ChatCompletionChunk.Choice.FinishReason> finishes = new ArrayList<>();
        for (ChatCompletionChunk chunk : chunks.subList(0, chunks.size() - 1)) {
            assertThat(chunk.usage()).isEmpty();
            chunk.choices().forEach(choice -> {
                choice.delta().content().ifPresent(text::append);
                choice.finishReason().ifPresent(finishes::add);
            });
        }
        assertThat(text.toString()).isEqualTo(ClientScenario.rawGreedyChatText(stack));
        assertThat(finishes).containsExactly(ChatCompletionChunk.Choice.FinishReason.LENGTH);
        ChatCompletionChunk last = chunks.getLast();
        assertThat(last.choices()).isEmpty();
        assertThat(last.usage().orElseThrow().completionTokens()).isEqualTo(MAX_TOKENS);
    }

    @Test
    void completionsDefaultTo16TokensHonourMaxTokensAndStreamWithUsage() {
        CompletionCreateParams.Builder request = CompletionCreateParams.builder()
                .model(model)
                .prompt("Once upon a time")
                .temperature(0)
                .putAdditionalBodyProperty("ignore_eos", JsonValue.from(true));

        Completion byDefault = client.completions().create(request.build());
        assertThat(byDefault.usage().orElseThrow().completionTokens()).isEqualTo(16);
        assertThat(byDefault.choices().getFirst().finishReason()).isEqualTo(CompletionChoice.FinishReason.LENGTH);

        Completion capped = client.completions().create(request.maxTokens(5).build());
        assertThat(capped.usage().orElseThrow().completionTokens()).isEqualTo(5);
        Api.Response raw = Api.of(stack).post("/v1/completions", completion(model, "Once upon a time",
                "max_tokens", 5, "temperature", 0, "ignore_eos", true));
        assertThat(capped.choices().getFirst().text()).isEqualTo(raw.json().path("choices").get(0).path("text").asString());

        // Without validation: the SDK types a completion choice's finish_reason as required, which the chunks of a
        // stream leave null until the last (OpenAI's own stream does the same), so a validating client rejects them.
        List<Completion> chunks;
        try (StreamResponse<Completion> stream = client.withOptions(options -> options.responseValidation(false))
                .completions().createStreaming(request
                        .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build())) {
            chunks = stream.stream().toList();
        }
        String streamed = chunks.stream().flatMap(chunk -> chunk.choices().stream()).map(CompletionChoice::text)
                .reduce("", String::concat);
        assertThat(streamed).isEqualTo(capped.choices().getFirst().text());
        assertThat(chunks.getLast().choices()).isEmpty();
        assertThat(chunks.getLast().usage().orElseThrow().completionTokens()).isEqualTo(5);
    }

    @Test
    void twoSeededChoicesDifferFromEachOtherAndRepeatWithTheSeed() {
        ChatCompletionCreateParams request = greedyChat().temperature(1.0).n(2).seed(1234).build();

        ChatCompletion first = client.chat().completions().create(request);
        ChatCompletion again = client.chat().completions().create(request);

        assertThat(first.choices()).extracting(ChatCompletion.Choice::index).containsExactly(0L, 1L);
        List<Optional<String>> texts = first.choices().stream().map(c -> c.message().content()).toList();
        assertThat(texts.get(0)).isNotEqualTo(texts.get(1));   // seed + i per choice, as the gateway documents
        assertThat(again.choices().stream().map(c -> c.message().content()).toList()).isEqualTo(texts);
        assertThat(first.usage().orElseThrow().completionTokens()).isEqualTo(2 * MAX_TOKENS);
    }

    @Test
    void anUnknownModelIsANotFoundExceptionWithTheTableFields() {
        assertError(() -> client.chat().completions().create(greedyChat().model("no-such-model").build()),
                ErrorFields.UNKNOWN_MODEL);
        assertError(() -> client.models().retrieve("no-such-model"), ErrorFields.UNKNOWN_MODEL);
        // a stream fails before its first event, as a plain HTTP error
        assertError(() -> client.chat().completions().createStreaming(greedyChat().model("no-such-model").build()).close(),
                ErrorFields.UNKNOWN_MODEL);
    }

    @Test
    void overflowingTheContextIsABadRequestExceptionWithTheTableFields() {
        assertError(() -> client.chat().completions().create(greedyChat().maxCompletionTokens(stack.maxModelLen()).build()),
                ErrorFields.contextLengthExceeded("messages"));
        assertError(() -> client.completions().create(CompletionCreateParams.builder()
                        .model(model).prompt("a b ".repeat(stack.maxModelLen())).maxTokens(4).build()),
                ErrorFields.contextLengthExceeded("prompt"));
    }

    @Test
    void badParametersAreBadRequestExceptionsNamingTheField() {
        assertError(() -> client.chat().completions().create(greedyChat().temperature(-1).build()),
                ErrorFields.invalidValue("temperature"));
        assertError(() -> client.chat().completions().create(greedyChat().n(0).build()), ErrorFields.invalidValue("n"));
        // echo would change what comes back; the gateway cannot do it and says so rather than ignoring it
        assertError(() -> client.completions().create(CompletionCreateParams.builder()
                        .model(model).prompt("Once").maxTokens(2).echo(true).build()),
                ErrorFields.unsupportedParameter("echo"));
    }

    @Test
    void aWrongApiKeyIsAnUnauthorizedException() {
        // its own client: one derived with withOptions would share, and on close shut, the HTTP client
        OpenAIClient wrongKey = client(gatewayUrl, "not-the-key");
        try {
            assertError(() -> wrongKey.models().list(), ErrorFields.INVALID_API_KEY);
        } finally {
            wrongKey.close();
        }
    }

    static void assertError(Executable call, ErrorFields expected) {
        assertSdkError(catchThrowable(call::execute), expected);
    }

    /**
     * The SDK's own exception class for the status (found in the cause chain, as Spring AI's streaming wraps it),
     * and its accessors. {@code code()} is read through the SDK, which throws if the body's code is not a string.
     */
    static void assertSdkError(Throwable thrown, ErrorFields expected) {
        assertThat(thrown).as("expected an HTTP %d error", expected.status()).isNotNull();
        OpenAIServiceException e = ClientScenario.causes(thrown).filter(OpenAIServiceException.class::isInstance)
                .map(OpenAIServiceException.class::cast)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no OpenAIServiceException in the cause chain", thrown));
        assertThat(e.getClass().getSimpleName()).isEqualTo(switch (expected.status()) {
            case 400 -> "BadRequestException";
            case 401 -> "UnauthorizedException";
            case 404 -> "NotFoundException";
            default -> throw new IllegalArgumentException("no SDK class listed for " + expected.status());
        });
        ErrorFields seen = new ErrorFields(e.statusCode(), e.type().orElse(null), e.code().orElse(null),
                e.param().orElse(null));
        assertThat(seen).as("error body %s", e.body()).isEqualTo(expected);
        assertThat(e.getMessage()).isNotBlank();
    }

}
