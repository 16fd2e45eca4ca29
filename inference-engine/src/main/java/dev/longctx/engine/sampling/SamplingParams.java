package dev.longctx.engine.sampling;

import java.util.List;
import java.util.Map;
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
 * @param logprobs          null: none; k >= 0: report the sampled token's log-probability and the k most likely
 *                          tokens at each step (vLLM's default logprobs mode: the model's raw distribution,
 *                          before logit_bias, penalties, temperature and the top-k/top-p/min-p filters)
 * @param logitBias         token id → value added to its logit before everything else (OpenAI's logit_bias)
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
        boolean ignoreEos,
        Integer logprobs,
        Map<Integer, Float> logitBias) {

    public SamplingParams {
        stop = stop == null ? List.of() : List.copyOf(stop);
        stopTokenIds = stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds);
        logitBias = logitBias == null ? Map.of() : Map.copyOf(logitBias);
        if (temperature < 0) throw new IllegalArgumentException("temperature must be >= 0");
        if (topP <= 0 || topP > 1) throw new IllegalArgumentException("top_p must be in (0, 1]");
        if (minP < 0 || minP > 1) throw new IllegalArgumentException("min_p must be in [0, 1]");
        if (repetitionPenalty <= 0) throw new IllegalArgumentException("repetition_penalty must be > 0");
        if (maxTokens < 1) throw new IllegalArgumentException("max_tokens must be at least 1");
        if (logprobs != null && logprobs < 0) throw new IllegalArgumentException("logprobs must be >= 0");
        for (Map.Entry<Integer, Float> bias : logitBias.entrySet()) {
            if (bias.getKey() < 0) throw new IllegalArgumentException("logit_bias token id " + bias.getKey() + " is negative");
            if (!Float.isFinite(bias.getValue())) throw new IllegalArgumentException("logit_bias values must be finite");
        }
    }

    /** Without logprobs and logit_bias. */
    public SamplingParams(double temperature, int topK, double topP, double minP, double repetitionPenalty,
                          double presencePenalty, double frequencyPenalty, Long seed, int maxTokens, List<String> stop,
                          Set<Integer> stopTokenIds, boolean ignoreEos) {
        this(temperature, topK, topP, minP, repetitionPenalty, presencePenalty, frequencyPenalty, seed, maxTokens, stop,
                stopTokenIds, ignoreEos, null, null);
    }

    public static SamplingParams greedy(int maxTokens) {
        return new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, maxTokens, List.of(), Set.of(), false);
    }

    public boolean isGreedy() { return temperature == 0; }

    public boolean wantsLogprobs() { return logprobs != null; }
}
