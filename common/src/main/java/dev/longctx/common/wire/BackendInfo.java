package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.longctx.common.prefix.PrefixFacts;

/**
 * inference-service's GET /internal/info: what model it serves, how long a context it takes, how many rows its
 * embedding has (token ids at or above {@code vocab_size} cannot be run; null from an older backend) and (once
 * loaded) what names its prefix-cache blocks, so the gateway can name a prompt's blocks itself.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BackendInfo(
        String model,
        @JsonProperty("max_model_len") int maxModelLen,
        boolean ready,
        @JsonProperty("vocab_size") Integer vocabSize,
        @JsonProperty("prefix_cache") PrefixFacts prefixCache) {

    public BackendInfo(String model, int maxModelLen, boolean ready) {
        this(model, maxModelLen, ready, null, null);
    }
}
