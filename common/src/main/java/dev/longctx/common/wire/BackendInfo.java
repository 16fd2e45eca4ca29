package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * inference-service's GET /internal/info: what model it serves, how long a context it takes and how many rows
 * its embedding has (token ids at or above {@code vocab_size} cannot be run; null from an older backend).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BackendInfo(
        String model,
        @JsonProperty("max_model_len") int maxModelLen,
        boolean ready,
        @JsonProperty("vocab_size") Integer vocabSize) {

    public BackendInfo(String model, int maxModelLen, boolean ready) {
        this(model, maxModelLen, ready, null);
    }
}
