package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/** vLLM's /tokenize answer. */
public record TokenizeResponse(int count, @JsonProperty("max_model_len") int maxModelLen, List<Integer> tokens) {}
