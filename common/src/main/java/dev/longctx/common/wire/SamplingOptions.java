package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;
import java.util.Map;

/**
 * Sampling settings as the gateway resolved them (nulls mean the model's defaults).
 *
 * @param logprobs  null: no logprobs; k >= 0: the sampled token's logprob and the k most likely alternatives
 * @param logitBias token id → bias added to its logit before any other processing (OpenAI's logit_bias)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record SamplingOptions(
        Double temperature,
        @JsonProperty("top_k") Integer topK,
        @JsonProperty("top_p") Double topP,
        @JsonProperty("min_p") Double minP,
        @JsonProperty("repetition_penalty") Double repetitionPenalty,
        @JsonProperty("presence_penalty") Double presencePenalty,
        @JsonProperty("frequency_penalty") Double frequencyPenalty,
        Long seed,
        @JsonProperty("max_tokens") Integer maxTokens,
        List<String> stop,
        @JsonProperty("stop_token_ids") List<Integer> stopTokenIds,
        @JsonProperty("ignore_eos") Boolean ignoreEos,
        Integer logprobs,
        @JsonProperty("logit_bias") Map<Integer, Double> logitBias) {

    public SamplingOptions(Double temperature, Integer topK, Double topP, Double minP, Double repetitionPenalty,
                           Double presencePenalty, Double frequencyPenalty, Long seed, Integer maxTokens,
                           List<String> stop, List<Integer> stopTokenIds, Boolean ignoreEos) {
        this(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, maxTokens, stop,
                stopTokenIds, ignoreEos, null, null);
    }

    /** The same settings with another seed and max_tokens (one choice of an n > 1 request). */
    public SamplingOptions withSeedAndMaxTokens(Long seed, Integer maxTokens) {
        return new SamplingOptions(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty,
                seed, maxTokens, stop, stopTokenIds, ignoreEos, logprobs, logitBias);
    }
}
