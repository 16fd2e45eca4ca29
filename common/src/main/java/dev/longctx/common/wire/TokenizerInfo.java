package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * tokenizer-service's GET /internal/info: the facts the gateway checks requests against before any engine work.
 *
 * @param vocabSize  rows of the model's embedding (config.json vocab_size): logit_bias keys must be below it
 * @param maxTokenId the largest id a prompt may hold: the larger of the tokenizer's largest id and
 *                   vocab_size − 1, as vLLM decides what is out of vocabulary
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record TokenizerInfo(
        @JsonProperty("max_model_len") int maxModelLen,
        @JsonProperty("vocab_size") int vocabSize,
        @JsonProperty("max_token_id") int maxTokenId) {}
