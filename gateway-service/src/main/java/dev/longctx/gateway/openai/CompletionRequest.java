package dev.longctx.gateway.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * POST /v1/completions as vLLM accepts it. {@code prompt} is a string, a list of strings, a list of token
 * ids or a list of token-id lists, so it stays raw until {@link RequestValidator} resolves it. Fields that would
 * change the result but are not implemented ({@code echo}, {@code best_of} > n, ...) are refused before this
 * record is built ({@link UnsupportedParameters}).
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
        implements SamplingParams {}
