package dev.longctx.gateway.openai;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * {@code stream_options}. As in vLLM, {@code include_usage} defaults to true once the object is sent at all
 * ({@code "stream_options": {}} asks for the usage chunk), and only a non-empty object needs {@code stream=true}.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record StreamOptions(@JsonProperty("include_usage") Boolean includeUsage) {

    boolean usageRequested() {
        return includeUsage == null || includeUsage;
    }

    boolean isEmpty() {
        return includeUsage == null;
    }
}
