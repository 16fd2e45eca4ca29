package dev.longctx.gateway.upstream;

import org.springframework.stereotype.Component;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Pulls the human message out of a backend's error body, whichever of the usual shapes it uses. */
@Component
public class ErrorBodies {
    private static final int MAX_MESSAGE = 500;
    private final JsonMapper json;

    public ErrorBodies(JsonMapper json) {
        this.json = json;
    }

    public String message(String body, String fallback) {
        if (body == null || body.isBlank()) {
            return fallback;
        }
        try {
            JsonNode root = json.readTree(body);
            JsonNode error = root.get("error");
            if (error != null && error.isObject() && error.hasNonNull("message")) {
                return truncate(error.get("message").asString());
            }
            if (error != null && error.isString()) {
                return truncate(error.asString());
            }
            if (root.hasNonNull("message")) {
                return truncate(root.get("message").asString());
            }
            if (root.hasNonNull("detail")) {
                return truncate(root.get("detail").asString());
            }
        } catch (JacksonException notJson) {
            // a plain-text body is its own message
        }
        return truncate(body);
    }

    private static String truncate(String message) {
        return message.length() <= MAX_MESSAGE ? message : message.substring(0, MAX_MESSAGE) + "…";
    }
}
