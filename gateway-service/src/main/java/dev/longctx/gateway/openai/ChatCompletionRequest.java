package dev.longctx.gateway.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * POST /v1/chat/completions as vLLM accepts it. Fields that would change the result but are not implemented are
 * refused before this record is built ({@link UnsupportedParameters}); other unknown fields are ignored.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ChatCompletionRequest(
        String model,
        List<Message> messages,
        Boolean stream,
        @JsonProperty("stream_options") StreamOptions streamOptions,
        @JsonProperty("max_tokens") Integer legacyMaxTokens,
        @JsonProperty("max_completion_tokens") Integer maxCompletionTokens,
        Double temperature,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("min_p") Double minP,
        Long seed,
        JsonNode stop,
        @JsonProperty("stop_token_ids") List<Integer> stopTokenIds,
        @JsonProperty("ignore_eos") Boolean ignoreEos,
        Integer n,
        @JsonProperty("presence_penalty") Double presencePenalty,
        @JsonProperty("frequency_penalty") Double frequencyPenalty,
        @JsonProperty("repetition_penalty") Double repetitionPenalty,
        Boolean logprobs,
        @JsonProperty("top_logprobs") Integer topLogprobs,
        @JsonProperty("logit_bias") JsonNode logitBias)
        implements SamplingParams {

    /**
     * One chat turn. {@code content} is a string or a list of {@code {"type":"text","text":...}} parts, as
     * OpenAI allows; it is flattened to text before tokenizing.
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Message(String role, JsonNode content) {}

    /** {@code max_completion_tokens} is OpenAI's newer name and wins when both are sent, as in vLLM. */
    @Override
    public Integer maxTokens() {
        return maxCompletionTokens != null ? maxCompletionTokens : legacyMaxTokens;
    }
}
