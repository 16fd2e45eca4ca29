package dev.longctx.engine.tokenizer;

import java.util.Arrays;

/**
 * Turns a stream of token ids into a stream of text deltas that never split a character.
 *
 * <p>A byte-level token may end in the middle of a UTF-8 sequence ("中" can be two tokens); decoding it alone gives
 * U+FFFD. So each step decodes a short window twice: tokens [prefixOffset, readOffset) — text already emitted —
 * and [prefixOffset, end). The new text is the difference, and it is held back while it ends in U+FFFD (an
 * incomplete character). Decoding a window rather than single tokens also keeps decoders that drop a leading space
 * (SentencePiece-style) from eating the spaces between tokens.
 *
 * <p>Not thread-safe: one instance per sequence.
 */
public final class IncrementalDetokenizer {

    private static final char REPLACEMENT = '\uFFFD';
    /** How many prompt tokens seed the window, so the first generated token decodes in context. */
    private static final int CONTEXT_TOKENS = 5;

    private final TextTokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] tokens;
    private int size;
    private int prefixOffset;
    private int readOffset;

    public IncrementalDetokenizer(TextTokenizer tokenizer, boolean skipSpecialTokens) {
        this(tokenizer, skipSpecialTokens, new int[0]);
    }

    /** @param promptTokens the prompt; only its last few tokens are kept as decoding context, never emitted */
    public IncrementalDetokenizer(TextTokenizer tokenizer, boolean skipSpecialTokens, int[] promptTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
        int keep = Math.min(CONTEXT_TOKENS, promptTokens.length);
        this.tokens = Arrays.copyOf(Arrays.copyOfRange(promptTokens, promptTokens.length - keep, promptTokens.length), Math.max(16, keep * 2));
        this.size = keep;
        this.prefixOffset = 0;
        this.readOffset = keep;
    }

    /** Adds one generated token; returns the text it completes (empty while a character is still incomplete). */
    public String add(int tokenId) {
        if (size == tokens.length) tokens = Arrays.copyOf(tokens, size * 2);
        tokens[size++] = tokenId;

        String prefixText = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, readOffset), skipSpecialTokens);
        String fullText = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, size), skipSpecialTokens);
        if (fullText.length() <= prefixText.length() || fullText.charAt(fullText.length() - 1) == REPLACEMENT) {
            return "";
        }
        String delta = fullText.substring(prefixText.length());
        // Slide the window: what was just emitted becomes the context for the next token.
        prefixOffset = readOffset;
        readOffset = size;
        compact();
        return delta;
    }

    /**
     * Whatever is still held back (an incomplete character at the end of generation), decoded as it is, so with
     * U+FFFD where bytes are missing; empty when nothing is pending. The stream is done after this.
     */
    public String flush() {
        if (readOffset == size) return "";
        String prefixText = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, readOffset), skipSpecialTokens);
        String fullText = tokenizer.decode(Arrays.copyOfRange(tokens, prefixOffset, size), skipSpecialTokens);
        prefixOffset = readOffset;
        readOffset = size;
        return fullText.length() > prefixText.length() ? fullText.substring(prefixText.length()) : "";
    }

    // Only tokens from prefixOffset on are ever decoded again; dropping the rest keeps memory flat for long outputs.
    private void compact() {
        if (prefixOffset < 1024) return;
        System.arraycopy(tokens, prefixOffset, tokens, 0, size - prefixOffset);
        size -= prefixOffset;
        readOffset -= prefixOffset;
        prefixOffset = 0;
    }
}
