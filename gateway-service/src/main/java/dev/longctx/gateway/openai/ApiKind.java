package dev.longctx.gateway.openai;

/** Which OpenAI endpoint a request came through; decides the response objects and the id prefix. */
public enum ApiKind {
    CHAT("chatcmpl-"),
    COMPLETION("cmpl-");

    private final String idPrefix;

    ApiKind(String idPrefix) {
        this.idPrefix = idPrefix;
    }

    public String idPrefix() {
        return idPrefix;
    }
}
