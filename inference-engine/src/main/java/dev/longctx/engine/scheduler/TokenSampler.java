package dev.longctx.engine.scheduler;

import dev.longctx.engine.sampling.SamplingParams;

import java.util.random.RandomGenerator;

/**
 * Picks the next token from logits under a request's {@link SamplingParams}; the shape of
 * {@code dev.longctx.engine.sampling.Sampler#sample}, so {@code Sampler::sample} plugs in.
 */
@FunctionalInterface
public interface TokenSampler {

    /**
     * @param logits         may be modified in place
     * @param previousTokens the prompt then the generated tokens, for repetition/presence/frequency penalties;
     *                       empty when the params use no penalty (spares a copy of a 1M-token context per step)
     * @param generatedTokens the generated tokens only, for presence/frequency penalties; empty when unused
     * @param rng            the request's own generator (seeded from {@code params.seed()} when given)
     */
    int sample(float[] logits, SamplingParams params, int[] previousTokens, int[] generatedTokens, RandomGenerator rng);
}
