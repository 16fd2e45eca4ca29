package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * The log-probability of one generated token and, when asked for, the most likely alternatives at its position
 * ({@code top}, best first, the sampled token included only if it is among them). {@code token} is the id
 * decoded on its own, as vLLM reports it.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TokenLogprob(
        @JsonProperty("token_id") int tokenId, String token, double logprob, List<TokenLogprob> top) {}
