package dev.longctx.engine.scheduler;

import dev.longctx.engine.sampling.SamplingParams;

/**
 * Turns generated token ids into text deltas and finds stop strings: the engine's detokenizer, pluggable so
 * the bookkeeping needs no tokenizer. One {@link RequestDecoder} per request keeps the incremental state (bytes
 * of an unfinished UTF-8 character, text held back because it may be the start of a stop string).
 */
public interface OutputDecoder {

    RequestDecoder start(int[] promptTokenIds, SamplingParams params);

    /** One token decoded on its own (special tokens spelled out), as logprobs name tokens. */
    String tokenText(int tokenId);

    interface RequestDecoder {

        /**
         * @return the text the new tokens complete; when a stop string matched, the text up to (not including)
         *         the match and {@code stopMatched = true}
         */
        TextDelta decode(int[] newTokenIds);

        /** Text still held back, released when the request ends some other way (EOS, length). */
        String flush();
    }

    record TextDelta(String text, boolean stopMatched) {}
}
