package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * gateway → inference-service: one sequence to generate (the gateway fans out n > 1).
 *
 * @param kvPull where the gateway saw a longer cached prefix of this prompt than the chosen instance has; null
 *               when none (the instance decides whether pulling beats recomputing)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerateRequest(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("prompt_token_ids") List<Integer> promptTokenIds,
        SamplingOptions sampling,
        Boolean sparse,
        @JsonProperty("kv_pull") KvPull kvPull) {

    public GenerateRequest(String requestId, List<Integer> promptTokenIds, SamplingOptions sampling, Boolean sparse) {
        this(requestId, promptTokenIds, sampling, sparse, null);
    }

    public GenerateRequest withKvPull(KvPull pull) {
        return new GenerateRequest(requestId, promptTokenIds, sampling, sparse, pull);
    }

    /**
     * @param source base URL of the instance holding the prefix
     * @param blocks how many leading full blocks of the prompt it holds
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record KvPull(String source, int blocks) {}
}
