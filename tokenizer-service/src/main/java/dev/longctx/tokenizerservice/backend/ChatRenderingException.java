package dev.longctx.tokenizerservice.backend;

/** The chat template could not render a conversation; the message is safe to show to the client. */
public class ChatRenderingException extends RuntimeException {

    public ChatRenderingException(String message, Throwable cause) {
        super(message, cause);
    }
}
