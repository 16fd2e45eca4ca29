package dev.longctx.gateway.openai;

import dev.longctx.common.wire.ChatMessage;
import dev.longctx.common.wire.PackedTokenIds;
import java.util.List;

/** One prompt as the caller gave it, after validation: chat to render, text to tokenize, or ids to use as-is. */
public sealed interface PromptInput {
    record Chat(List<ChatMessage> messages) implements PromptInput {}

    record Text(String text) implements PromptInput {}

    record Tokens(PackedTokenIds ids) implements PromptInput {}
}
