package dev.longctx.gateway.openai;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** The non-streaming {@code chat.completion} object. */
public record ChatCompletionResponse(
        String id, String object, long created, String model, List<Choice> choices, Usage usage) {

    public ChatCompletionResponse(String id, long created, String model, List<Choice> choices, Usage usage) {
        this(id, "chat.completion", created, model, choices, usage);
    }

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Choice(
            int index, AssistantMessage message, Object logprobs, @JsonProperty("finish_reason") String finishReason) {}

    public record AssistantMessage(String role, String content) {}
}
