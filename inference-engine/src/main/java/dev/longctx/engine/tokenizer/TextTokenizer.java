package dev.longctx.engine.tokenizer;

/** Text ↔ token ids for one model. Implementations are thread-safe. */
public interface TextTokenizer extends AutoCloseable {

    /** Encodes text as the model sees it (no special tokens added beyond what the text spells out). */
    int[] encode(String text);

    /** Decodes ids; special tokens are kept unless {@code skipSpecialTokens}. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** The id of a token string (e.g. "<|im_end|>"), or -1. */
    int tokenId(String token);

    @Override
    void close();
}
