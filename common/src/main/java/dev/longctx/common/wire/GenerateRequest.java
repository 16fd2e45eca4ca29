package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * gateway → inference-service: one sequence to generate (the gateway fans out n > 1). The prompt travels packed
 * (see {@link PackedTokenIds}): a million-token prompt is 5.3 MB instead of ~7 MB of JSON digits.
 *
 * @param kvPull where the gateway saw a longer cached prefix of this prompt than the chosen instance has; null
 *               when none (the instance decides whether pulling beats recomputing)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerateRequest(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("prompt_token_ids") PackedTokenIds prompt,
        SamplingOptions sampling,
        Boolean sparse,
        @JsonProperty("kv_pull") KvPull kvPull) {

    public GenerateRequest(String requestId, PackedTokenIds prompt, SamplingOptions sampling, Boolean sparse) {
        this(requestId, prompt, sampling, sparse, null);
    }

    public GenerateRequest(String requestId, List<Integer> promptTokenIds, SamplingOptions sampling, Boolean sparse) {
        this(requestId, promptTokenIds == null ? null : PackedTokenIds.of(promptTokenIds), sampling, sparse, null);
    }

    public GenerateRequest withKvPull(KvPull pull) {
        return new GenerateRequest(requestId, prompt, sampling, sparse, pull);
    }

    /** The prompt as boxed ids (a view, no copy), for code that routes or inspects it. */
    @JsonIgnore
    public List<Integer> promptTokenIds() {
        return prompt == null ? null : prompt.asList();
    }

    /**
     * @param source base URL of the instance holding the prefix
     * @param blocks how many leading full blocks of the prompt it holds
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record KvPull(String source, int blocks) {}
}
