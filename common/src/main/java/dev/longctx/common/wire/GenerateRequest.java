package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * gateway → inference-service: one sequence to generate (the gateway fans out n > 1). The prompt travels packed
 * (see {@link PackedTokenIds}): a million-token prompt is 5.3 MB instead of ~7 MB of JSON digits.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GenerateRequest(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("prompt_token_ids") PackedTokenIds prompt,
        SamplingOptions sampling,
        Boolean sparse) {

    public GenerateRequest(String requestId, List<Integer> promptTokenIds, SamplingOptions sampling, Boolean sparse) {
        this(requestId, promptTokenIds == null ? null : PackedTokenIds.of(promptTokenIds), sampling, sparse);
    }

    /** The prompt as boxed ids (a view, no copy), for code that routes or inspects it. */
    @JsonIgnore
    public List<Integer> promptTokenIds() {
        return prompt == null ? null : prompt.asList();
    }
}
