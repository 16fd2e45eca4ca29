package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * inference-service's GET /internal/load: its queued and running work in tokens, polled often by a load-aware
 * gateway (cheap: one lock, no I/O).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record BackendLoad(int waiting, int running, @JsonProperty("waiting_tokens") long waitingTokens,
                          @JsonProperty("running_tokens") long runningTokens) {}
