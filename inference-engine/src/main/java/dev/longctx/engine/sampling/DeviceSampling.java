package dev.longctx.engine.sampling;

import java.util.random.RandomGenerator;

/**
 * One logits row's sampling as a backend runs it ({@code Backend.sample}): greedy below temperature 1e-5, else
 * temperature, min-p, top-k, top-p and a draw, in the {@link Sampler}'s order. What the device sampler lacks
 * (logprobs, logit_bias, penalties) keeps a request on the host Sampler: {@link #of} returns null for it.
 *
 * @param topK ≤ 0: off
 * @param topP 1: off
 * @param minP 0: off
 * @param seed this step's draw; a request takes a new one from its own generator every step, so a seeded request
 *             samples the same tokens on every run (given the same logits)
 */
public record DeviceSampling(float temperature, int topK, float topP, float minP, long seed) {

    /** Argmax. */
    public static final DeviceSampling GREEDY = new DeviceSampling(0f, 0, 1f, 0f, 0L);

    /**
     * A request's sampling for one step on the device, drawing the step's seed from {@code rng} (greedy requests
     * draw none); null when its params need the host Sampler.
     */
    public static DeviceSampling of(SamplingParams p, RandomGenerator rng) {
        boolean hostOnly = p.wantsLogprobs() || !p.logitBias().isEmpty() || p.repetitionPenalty() != 1
                || p.presencePenalty() != 0 || p.frequencyPenalty() != 0;
        if (hostOnly) return null;
        if (p.temperature() < Sampler.GREEDY_BELOW_TEMPERATURE) return GREEDY;
        return new DeviceSampling((float) p.temperature(), p.topK(), (float) p.topP(), (float) p.minP(), rng.nextLong());
    }
}
