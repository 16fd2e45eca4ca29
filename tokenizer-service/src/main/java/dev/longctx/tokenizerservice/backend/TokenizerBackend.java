package dev.longctx.tokenizerservice.backend;

import dev.longctx.common.wire.ChatMessage;
import java.util.List;

/**
 * The seam between this service and a model's tokenizer files: encoding, decoding and the chat template.
 * Implementations are thread-safe; every call is CPU work and runs off the event loop.
 *
 * <p>The production implementation wraps {@code dev.longctx.engine.tokenizer.HfTokenizer} and
 * {@code dev.longctx.engine.tokenizer.ChatTemplate}; it is created by the {@link TokenizerBackendFactory} bean.
 */
public interface TokenizerBackend extends AutoCloseable {

    /** Encodes text exactly as spelled (special tokens only where the text names them). */
    int[] encode(String text);

    /** Decodes ids, keeping special tokens (vLLM's /detokenize does). */
    String decode(int[] tokenIds);

    /** One more than the largest id the tokenizer defines (vocabulary and added tokens). */
    int vocabSize();

    /** The id of a token string such as "<|im_end|>", or -1 when the vocabulary has none. */
    int tokenId(String token);

    /**
     * Renders a conversation with the model's chat template.
     *
     * @throws ChatRenderingException when the template rejects the conversation or cannot be rendered
     */
    String renderChat(List<ChatMessage> messages, boolean addGenerationPrompt);

    @Override
    void close();
}
