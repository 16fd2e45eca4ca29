package dev.longctx.gateway.openai;

import dev.longctx.common.wire.GenerateEvent;

/** An upstream event tagged with the OpenAI choice index it belongs to (prompt index × n + sample index). */
public record ChoiceEvent(int index, GenerateEvent event) {

    public int tokenCount() {
        return event.tokenIds() == null ? 0 : event.tokenIds().size();
    }

    public String text() {
        return event.text() == null ? "" : event.text();
    }
}
