package dev.longctx.gateway.errors;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The error envelope every client parses: {@code {"error":{"message","type","param","code"}}} with vLLM's
 * {@code type} names and messages and OpenAI's string {@code code} (or null). The OpenAI SDKs type
 * {@code code} as a string, so a number there breaks their exception accessors. {@code param} and
 * {@code code} are written as null when absent because clients read them unconditionally.
 */
public record ApiError(Detail error) {

    @JsonInclude(JsonInclude.Include.ALWAYS)
    public record Detail(String message, String type, String param, String code) {}

    /** The HTTP status this body goes out with, from its type (the body itself carries no number). */
    public static ApiError of(int status, String message, String param, String code) {
        return new ApiError(new Detail(message, ErrorTypes.forStatus(status), param, code));
    }
}
