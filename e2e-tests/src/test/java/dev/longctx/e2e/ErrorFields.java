package dev.longctx.e2e;

import tools.jackson.databind.JsonNode;

/**
 * The four things a client can tell about a failed request, as the gateway's error table promises them
 * (status, and the body's {@code type}, {@code code} and {@code param}). Each client test turns its own exception
 * into one of these through the client's accessors, so all clients are held to the same rows.
 */
record ErrorFields(int status, String type, String code, String param) {

    static final ErrorFields UNKNOWN_MODEL = new ErrorFields(404, "NotFoundError", "model_not_found", "model");
    static final ErrorFields INVALID_API_KEY = new ErrorFields(401, "AuthenticationError", "invalid_api_key", null);

    /** Prompt plus max_tokens over the context; {@code param} is "messages" for chat, "prompt" for completions. */
    static ErrorFields contextLengthExceeded(String param) {
        return new ErrorFields(400, "BadRequestError", "context_length_exceeded", param);
    }

    static ErrorFields invalidValue(String param) {
        return new ErrorFields(400, "BadRequestError", "invalid_value", param);
    }

    static ErrorFields unsupportedParameter(String param) {
        return new ErrorFields(400, "BadRequestError", "unsupported_parameter", param);
    }

    /** For clients that hand back only the status and the raw body; a number where a string belongs stays visible. */
    static ErrorFields fromBody(int status, String body) {
        JsonNode error = Api.JSON.readTree(body).path("error");
        return new ErrorFields(status, text(error.path("type")), text(error.path("code")), text(error.path("param")));
    }

    private static String text(JsonNode node) {
        if (node.isMissingNode() || node.isNull()) return null;
        return node.isString() ? node.asString() : "<not a string: " + node + ">";
    }
}
