package dev.longctx.tokenizerservice.backend;

import dev.longctx.common.wire.ChatMessage;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.ChatTemplateException;
import dev.longctx.engine.tokenizer.HfTokenizer;
import java.util.List;

/** The model's own tokenizer.json (through DJL) and its Jinja chat template (through Jinjava). */
final class HfTokenizerBackend implements TokenizerBackend {
    private final HfTokenizer tokenizer;
    private final ChatTemplate template;

    HfTokenizerBackend(HfTokenizer tokenizer, ChatTemplate template) {
        this.tokenizer = tokenizer;
        this.template = template;
    }

    @Override
    public int[] encode(String text) { return tokenizer.encode(text); }

    @Override
    public String decode(int[] tokenIds) { return tokenizer.decode(tokenIds, false); }

    @Override
    public int vocabSize() { return tokenizer.vocabSize(); }

    @Override
    public int tokenId(String token) { return tokenizer.tokenId(token); }

    @Override
    public String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt) {
        try {
            return template.render(messages.stream()
                    .map(m -> new dev.longctx.engine.tokenizer.ChatMessage(m.role(), m.content())).toList(), addGenerationPrompt);
        } catch (ChatTemplateException e) {
            throw new ChatRenderingException(e.getMessage(), e);
        }
    }

    @Override
    public void close() { tokenizer.close(); }
}
