package dev.longctx.engine.serving;

/**
 * A step's worth of output for one request: the new token ids and the text they completed (incremental
 * detokenization never splits a UTF-8 character). {@code finishReason} is set on the last output only.
 *
 * @param finishReason null while running; "stop" (EOS, stop string or stop token) or "length"
 * @param cachedPromptTokens prompt tokens served from the prefix cache (reported in usage)
 */
public record GenerationOutput(String requestId, int[] tokenIds, String text, String finishReason,
                               int promptTokens, int completionTokens, int cachedPromptTokens) {

    public boolean finished() { return finishReason != null; }
}
