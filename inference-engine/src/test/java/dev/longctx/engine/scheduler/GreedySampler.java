package dev.longctx.engine.scheduler;

import dev.longctx.engine.sampling.SamplingParams;

import java.util.random.RandomGenerator;

/** Argmax: enough for bookkeeping tests, where the fake model's logits are one-hot. */
final class GreedySampler implements TokenSampler {
    @Override
    public int sample(float[] logits, SamplingParams params, int[] previousTokens, int[] generatedTokens, RandomGenerator rng) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
