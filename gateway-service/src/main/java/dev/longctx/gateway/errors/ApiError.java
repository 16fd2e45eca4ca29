package dev.longctx.gateway.errors;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The OpenAI/vLLM error envelope: {@code {"error":{"message","type","param","code"}}}. {@code param} is
 * written as null when absent because OpenAI clients read it unconditionally.
 */
public record ApiError(Detail error) {

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(String message, String type, String param, int code) {}

    public static ApiError of(int status, String message, String param) {
        return new ApiError(new Detail(message, ErrorTypes.forStatus(status), param, status));
    }
}
