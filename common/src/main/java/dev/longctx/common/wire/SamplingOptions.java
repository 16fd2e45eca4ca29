package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** Sampling settings as the gateway resolved them (nulls mean the model's defaults). */
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
        @JsonProperty("ignore_eos") Boolean ignoreEos) {}
