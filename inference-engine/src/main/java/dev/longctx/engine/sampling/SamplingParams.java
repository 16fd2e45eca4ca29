package dev.longctx.engine.sampling;

import java.util.List;
import java.util.Set;

/**
 * Per-request sampling and stopping settings, with vLLM's meanings and defaults.
 *
 * @param temperature       0 means greedy
 * @param topK              0 or negative disables
 * @param topP              1 disables
 * @param minP              0 disables
 * @param repetitionPenalty 1 disables (applied to prompt and generated tokens, as in transformers/vLLM)
 * @param seed              null draws from a non-reproducible source
 * @param maxTokens         the most tokens to generate
 * @param stop              stop strings; the output is cut before the match
 * @param stopTokenIds      extra token ids that end generation (besides EOS)
 * @param ignoreEos         keep generating past EOS
 */
public record SamplingParams(
        double temperature,
        int topK,
        double topP,
        double minP,
        double repetitionPenalty,
        double presencePenalty,
        double frequencyPenalty,
        Long seed,
        int maxTokens,
        List<String> stop,
        Set<Integer> stopTokenIds,
        boolean ignoreEos) {

    public SamplingParams {
        stop = stop == null ? List.of() : List.copyOf(stop);
        stopTokenIds = stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds);
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0");
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top_p must be in (0, 1]");
        if (minP < 0 || minP > 1) throw new IllegalArgumentException("min_p must be in [0, 1]");
        if (repetitionPenalty <= 0) throw new IllegalArgumentException("repetition_penalty must be > 0");
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be at least 1");
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, maxTokens, List.of(), Set.of(), false);
    }

    public boolean isGreedy() { return temperature == 0; }
}
