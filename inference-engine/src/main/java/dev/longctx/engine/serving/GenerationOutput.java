package dev.longctx.engine.serving;

import java.util.List;

/**
 * A step's worth of output for one request: the new token ids and the text they completed (incremental
 * detokenization never splits a UTF-8 character). {@code finishReason} is set on the last output only.
 *
 * @param finishReason null while running; "stop" (EOS, stop string or stop token) or "length"
 * @param cachedPromptTokens prompt tokens served from the prefix cache (reported in usage)
 * @param logprobs one entry per id in {@code tokenIds} when the request asked for logprobs, else null
 */
public record GenerationOutput(String requestId, int[] tokenIds, String text, String finishReason,
                               int promptTokens, int completionTokens, int cachedPromptTokens,
                               List<TokenLogprob> logprobs) {

    public GenerationOutput(String requestId, int[] tokenIds, String text, String finishReason,
                            int promptTokens, int completionTokens, int cachedPromptTokens) {
        this(requestId, tokenIds, text, finishReason, promptTokens, completionTokens, cachedPromptTokens, null);
    }

    public boolean finished() { return finishReason != null; }

    /**
     * A generated token's log-probability and the most likely tokens at its position ({@code top}, best first;
     * null inside {@code top} itself). {@code token} is the id decoded on its own, as vLLM reports it.
     */
    public record TokenLogprob(int tokenId, String token, float logprob, List<TokenLogprob> top) {}
}
