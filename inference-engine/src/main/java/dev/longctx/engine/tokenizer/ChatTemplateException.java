package dev.longctx.engine.tokenizer;

/**
 * A chat template that is missing or cannot render the given conversation (including the template's own
 * {@code raise_exception}). The message is meant for the client: services answer it with HTTP 400.
 */
public class ChatTemplateException extends RuntimeException {

    public ChatTemplateException(String message) {
        super(message);
    }

    public ChatTemplateException(String message, Throwable cause) {
        super(message, cause);
    }
}
