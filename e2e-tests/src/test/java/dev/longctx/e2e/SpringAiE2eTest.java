package dev.longctx.e2e;

import static dev.longctx.e2e.OpenAiJavaSdkE2eTest.assertSdkError;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;

/**
 * Spring AI's OpenAI chat model (2.x, built on the official OpenAI Java SDK), used programmatically as an
 * application would wire it, against the gateway. Spring AI has no models or completions API; those are covered
 * by the SDK's own test. Traffic goes through a {@link RecordingProxy}; a failing test prints the raw exchange.
 */
@Order(6)
@ExtendWith({StackExtension.class, RecordedGatewayExtension.class})
class SpringAiE2eTest {
    static final int MAX_TOKENS = ClientScenario.MAX_TOKENS;

    static Stack stack;
    static String model;
    static OpenAiChatModel chatModel;

    @BeforeAll
    static void connect(Stack stack, RecordingProxy gateway) {
        SpringAiE2eTest.stack = stack;
        model = stack.modelName();
        chatModel = OpenAiChatModel.builder()
                .options(OpenAiChatOptions.builder()
                        .baseUrl(gateway.url() + "/v1")
                        .apiKey(StackExtension.API_KEY)
                        .model(model)
                        .maxRetries(0)
                        .timeout(Duration.ofSeconds(60))
                        .build())
                .build();
    }

    /** The shared greedy chat ({@link ClientScenario}): {@link #MAX_TOKENS} tokens, vLLM's ignore_eos as extra body. */
    static OpenAiChatOptions.Builder greedy() {
        return OpenAiChatOptions.builder()
                .model(model)
                .maxTokens(MAX_TOKENS)
                .temperature(0.0)
                .extraBody(Map.of("ignore_eos", true));
    }

    static Prompt prompt(OpenAiChatOptions.Builder options) {
        return new Prompt(ClientScenario.PROMPT, options.build());
    }

    @Test
    void callReturnsTheTextUsageAndFinishReasonSent() {
        ChatResponse response = chatModel.call(prompt(greedy()));

        assertThat(response.getResults()).hasSize(1);
        assertThat(response.getResult().getOutput().getText()).isEqualTo(ClientScenario.rawGreedyChatText(stack));
        assertThat(response.getResult().getMetadata().getFinishReason()).isEqualTo("LENGTH");
        assertThat(response.getMetadata().getModel()).isEqualTo(model);
        assertThat(response.getMetadata().getUsage().getCompletionTokens()).isEqualTo(MAX_TOKENS);
        assertThat(response.getMetadata().getUsage().getTotalTokens())
                .isEqualTo(response.getMetadata().getUsage().getPromptTokens() + MAX_TOKENS);
    }

    @Test
    void streamDeliversTheSameTextAndEndsWithUsage() {
        // Spring AI asks for stream_options.include_usage itself.
        List<ChatResponse> responses = chatModel.stream(prompt(greedy())).collectList().block(Duration.ofSeconds(60));

        assertThat(responses).isNotEmpty();
        String text = responses.stream()
                .map(ChatResponse::getResult)
                .filter(Objects::nonNull)
                .map(generation -> Objects.requireNonNullElse(generation.getOutput().getText(), ""))
                .reduce("", String::concat);
        assertThat(text).isEqualTo(ClientScenario.rawGreedyChatText(stack));
        assertThat(responses.getLast().getMetadata().getUsage().getCompletionTokens()).isEqualTo(MAX_TOKENS);
    }

    @Test
    void twoSeededChoicesDifferFromEachOtherAndRepeatWithTheSeed() {
        Prompt prompt = prompt(greedy().temperature(1.0).n(2).seed(1234));

        List<String> first = texts(chatModel.call(prompt));
        List<String> again = texts(chatModel.call(prompt));

        assertThat(first).hasSize(2);
        assertThat(first.get(0)).isNotEqualTo(first.get(1));
        assertThat(again).isEqualTo(first);
    }

    private static List<String> texts(ChatResponse response) {
        return response.getResults().stream().map(Generation::getOutput).map(AssistantMessage::getText).toList();
    }

    @Test
    void errorsSurfaceAsTheSdksExceptionsWithTheTableFields() {
        assertSdkError(catchThrowable(() -> chatModel.call(prompt(greedy().model("no-such-model")))),
                ErrorFields.UNKNOWN_MODEL);
        assertSdkError(catchThrowable(() -> chatModel.stream(prompt(greedy().model("no-such-model")))
                        .blockLast(Duration.ofSeconds(60))),
                ErrorFields.UNKNOWN_MODEL);
        assertSdkError(catchThrowable(() -> chatModel.call(prompt(greedy().maxTokens(stack.maxModelLen())))),
                ErrorFields.contextLengthExceeded("messages"));
        assertSdkError(catchThrowable(() -> chatModel.call(prompt(greedy().temperature(-1.0)))),
                ErrorFields.invalidValue("temperature"));
    }
}
