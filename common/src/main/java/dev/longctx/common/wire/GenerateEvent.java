package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * inference-service → gateway, one NDJSON line per engine step of a request. The last event has
 * {@code finish_reason} set ("stop" or "length"), or {@code error} set instead. {@code logprobs} has one entry
 * per id in {@code token_ids} when the request asked for logprobs.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GenerateEvent(
        @JsonProperty("request_id") String requestId,
        @JsonProperty("token_ids") List<Integer> tokenIds,
        String text,
        @JsonProperty("finish_reason") String finishReason,
        @JsonProperty("prompt_tokens") Integer promptTokens,
        @JsonProperty("completion_tokens") Integer completionTokens,
        @JsonProperty("cached_tokens") Integer cachedTokens,
        ErrorInfo error,
        List<TokenLogprob> logprobs) {

    public GenerateEvent(String requestId, List<Integer> tokenIds, String text, String finishReason,
                         Integer promptTokens, Integer completionTokens, Integer cachedTokens, ErrorInfo error) {
        this(requestId, tokenIds, text, finishReason, promptTokens, completionTokens, cachedTokens, error, null);
    }

    /** An error in the OpenAI shape's inner object; {@code code} is the HTTP status the gateway should use. */
    public record ErrorInfo(String message, String type, Integer code) {}
}
