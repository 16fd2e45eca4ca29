package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** gateway → inference-service: one sequence to generate (the gateway fans out n > 1). */
@JsonIgnoreProperties(ignoreUnknown = true)
public record GenerateRequest(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("prompt_token_ids") List<Integer> promptTokenIds,
        SamplingOptions sampling,
        Boolean sparse) {}
