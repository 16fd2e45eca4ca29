package dev.longctx.e2e;

import static dev.longctx.e2e.Api.completion;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.exception.AuthenticationException;
import dev.langchain4j.exception.HttpException;
import dev.langchain4j.exception.InvalidRequestException;
import dev.langchain4j.exception.ModelNotFoundException;
import dev.langchain4j.model.catalog.ModelDescription;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiChatRequestParameters;
import dev.langchain4j.model.openai.OpenAiLanguageModel;
import dev.langchain4j.model.openai.OpenAiModelCatalog;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import tools.jackson.databind.JsonNode;

/**
 * LangChain4j's OpenAI chat, streaming chat and language (completion) models and its model catalog against the
 * gateway. LangChain4j has no n > 1 and no model retrieval; its exceptions carry the status and raw body in an
 * {@link HttpException} cause, which is where the table's fields are read from. Traffic goes through a
 * {@link RecordingProxy}; a failing test prints the raw exchange.
 */
@Order(7)
@ExtendWith({StackExtension.class, RecordedGatewayExtension.class})
class LangChain4jE2eTest {
    static final int MAX_TOKENS = ClientScenario.MAX_TOKENS;

    static Stack stack;
    static String model;
    static String baseUrl;
    static OpenAiChatModel chat;
    static OpenAiStreamingChatModel streamingChat;
    static OpenAiLanguageModel language;

    @BeforeAll
    static void connect(Stack stack, RecordingProxy gateway) {
        LangChain4jE2eTest.stack = stack;
        model = stack.modelName();
        baseUrl = gateway.url() + "/v1";
        chat = OpenAiChatModel.builder().baseUrl(baseUrl).apiKey(StackExtension.API_KEY).modelName(model)
                .maxRetries(0).timeout(Duration.ofSeconds(60)).build();
        streamingChat = OpenAiStreamingChatModel.builder().baseUrl(baseUrl).apiKey(StackExtension.API_KEY)
                .modelName(model).timeout(Duration.ofSeconds(60)).build();
        language = OpenAiLanguageModel.builder().baseUrl(baseUrl).apiKey(StackExtension.API_KEY).modelName(model)
                .temperature(0.0).maxRetries(0).timeout(Duration.ofSeconds(60)).build();
    }

    /** The shared greedy chat ({@link ClientScenario}): {@link #MAX_TOKENS} tokens, vLLM's ignore_eos as a custom parameter. */
    static OpenAiChatRequestParameters.Builder greedy() {
        return OpenAiChatRequestParameters.builder()
                .modelName(model)
                .maxOutputTokens(MAX_TOKENS)
                .temperature(0.0)
                .customParameters(Map.of("ignore_eos", true));
    }

    static ChatRequest request(OpenAiChatRequestParameters.Builder parameters) {
        return ChatRequest.builder()
                .messages(UserMessage.from(ClientScenario.PROMPT))
                .parameters(parameters.build())
                .build();
    }

    @Test
    void theCatalogListsTheServedModel() {
        OpenAiModelCatalog catalog = OpenAiModelCatalog.builder().baseUrl(baseUrl).apiKey(StackExtension.API_KEY).build();

        assertThat(catalog.listModels()).extracting(ModelDescription::name).containsExactly(model);
    }

    @Test
    void chatReturnsTheTextUsageAndFinishReasonSent() {
        ChatResponse response = chat.chat(request(greedy()));

        assertThat(response.aiMessage().text()).isEqualTo(ClientScenario.rawGreedyChatText(stack));
        assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
        assertThat(response.modelName()).isEqualTo(model);
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(MAX_TOKENS);
    }

    @Test
    void aSeedMakesSampledChatRepeatable() {
        ChatRequest seeded = request(greedy().temperature(1.0).seed(1234));

        assertThat(chat.chat(seeded).aiMessage().text()).isEqualTo(chat.chat(seeded).aiMessage().text());
    }

    @Test
    void streamingChatDeliversTheSameTextAndEndsWithUsage() throws Exception {
        StringBuilder partials = new StringBuilder();
        ChatResponse response = stream(request(greedy()), partials).get(60, TimeUnit.SECONDS);

        String expected = ClientScenario.rawGreedyChatText(stack);
        assertThat(partials.toString()).isEqualTo(expected);
        assertThat(response.aiMessage().text()).isEqualTo(expected);
        assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
        // LangChain4j asks for stream_options.include_usage itself
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(MAX_TOKENS);
    }

    /** Streams a chat: the text arrives in {@code partials}, the future ends with the complete response or the error. */
    static CompletableFuture<ChatResponse> stream(ChatRequest request, StringBuilder partials) {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streamingChat.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
                partials.append(partialResponse);
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        return done;
    }

    /** LangChain4j's language model cannot set max_tokens: it gets the completions default, 16. */
    @Test
    void theLanguageModelGetsTheCompletionsDefaultOf16Tokens() {
        String prompt = "Once upon a time";
        Response<String> response = language.generate(prompt);

        JsonNode raw = Api.of(stack).post("/v1/completions",
                completion(model, prompt, "max_tokens", 16, "temperature", 0)).json();
        assertThat(response.content()).isEqualTo(raw.path("choices").get(0).path("text").asString());
        assertThat(response.tokenUsage().outputTokenCount()).isEqualTo(16);
        assertThat(response.finishReason()).isEqualTo(FinishReason.LENGTH);
    }

    @Test
    void errorsAreLangChain4jsTypedExceptionsCarryingTheTableFields() {
        assertError(catchThrowable(() -> chat.chat(request(greedy().modelName("no-such-model")))),
                ModelNotFoundException.class, ErrorFields.UNKNOWN_MODEL);
        assertError(catchThrowable(() -> chat.chat(request(greedy().maxOutputTokens(stack.maxModelLen())))),
                InvalidRequestException.class, ErrorFields.contextLengthExceeded("messages"));
        assertError(catchThrowable(() -> chat.chat(request(greedy().temperature(-1.0)))),
                InvalidRequestException.class, ErrorFields.invalidValue("temperature"));
        OpenAiLanguageModel wrongKey = OpenAiLanguageModel.builder().baseUrl(baseUrl).apiKey("not-the-key")
                .modelName(model).maxRetries(0).build();
        assertError(catchThrowable(() -> wrongKey.generate("x")), AuthenticationException.class, ErrorFields.INVALID_API_KEY);

        Throwable streamError = catchThrowable(() -> stream(request(greedy().modelName("no-such-model")), new StringBuilder())
                .get(60, TimeUnit.SECONDS));
        assertThat(streamError).isInstanceOf(ExecutionException.class);
        assertError(streamError.getCause(), ModelNotFoundException.class, ErrorFields.UNKNOWN_MODEL);
    }

    static void assertError(Throwable thrown, Class<? extends Throwable> type, ErrorFields expected) {
        assertThat(thrown).as("expected an HTTP %d error", expected.status()).isInstanceOf(type);
        HttpException http = ClientScenario.causes(thrown).filter(HttpException.class::isInstance)
                .map(HttpException.class::cast)
                .findFirst()
                .orElseThrow(() -> new AssertionError("no HttpException in the cause chain", thrown));
        assertThat(ErrorFields.fromBody(http.statusCode(), http.getMessage())).as(http.getMessage()).isEqualTo(expected);
    }
}
