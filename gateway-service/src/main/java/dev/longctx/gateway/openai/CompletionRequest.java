package dev.longctx.gateway.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * POST /v1/completions as vLLM accepts it. {@code prompt} is a string, a list of strings, a list of token
 * ids or a list of token-id lists, so it stays raw until {@link RequestValidator} resolves it. Fields that would
 * change the result but are not implemented ({@code echo}, {@code best_of} > n, ...) are refused before this
 * record is built ({@link UnsupportedParameters}). Unlike chat, {@code max_tokens} defaults to
 * {@value #DEFAULT_MAX_TOKENS}, as in vLLM and OpenAI.
 *
 * @param logprobs how many alternatives to report per token besides the sampled one (OpenAI's legacy shape)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record CompletionRequest(
        String model,
        JsonNode prompt,
        Boolean stream,
        @JsonProperty("stream_options") StreamOptions streamOptions,
        @JsonProperty("max_tokens") Integer maxTokens,
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
        Integer logprobs,
        @JsonProperty("logit_bias") JsonNode logitBias)
        implements SamplingParams {

    static final int DEFAULT_MAX_TOKENS = 16;

    /**
     * An explicit {@code "max_tokens": null} also means 16 here: OpenAI documents null as the default, while
     * vLLM reads it as "the rest of the context"; Jackson cannot tell null from absent in a record anyway.
     */
    public CompletionRequest {
        if (maxTokens == null) {
            maxTokens = DEFAULT_MAX_TOKENS;
        }
    }
}
