package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonProperty;

/** inference-service's GET /internal/info: what model it serves and how long a context it takes. */
public record BackendInfo(String model, @JsonProperty("max_model_len") int maxModelLen, boolean ready) {}
