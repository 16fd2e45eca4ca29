package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** vLLM's /tokenize body: either {@code prompt} or chat {@code messages} (rendered with the model's template). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TokenizeRequest(
        String model,
        String prompt,
        List<ChatMessage> messages,
        @JsonProperty("add_generation_prompt") Boolean addGenerationPrompt,
        @JsonProperty("add_special_tokens") Boolean addSpecialTokens) {}
