package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * tokenizer-service's POST /internal/tokenize answer: vLLM's /tokenize answer with the ids packed
 * ({@link PackedTokenIds}), for the gateway, which forwards them to inference-service as they are.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record PackedTokenizeResponse(int count, @JsonProperty("max_model_len") int maxModelLen, PackedTokenIds tokens) {}
