package dev.longctx.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Set;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class SamplerTest {

    private static final int[] NONE = new int[0];

    private static SamplingParams params(double temperature, int topK, double topP, double minP,
                                         double repetition, double presence, double frequency, Long seed) {
        return new SamplingParams(temperature, topK, topP, minP, repetition, presence, frequency, seed, 16,
                List.of(), Set.of(), false);
    }

    private static SamplingParams temperature(double t) {
        return params(t, 0, 1, 0, 1, 0, 0, null);
    }

    /** Probabilities after filtering, normalised. */
    private static double[] probs(float[] logits, SamplingParams p) {
        double[] w = Sampler.filteredWeights(logits, p);
        double sum = 0;
        for (double v : w) sum += v;
        for (int i = 0; i < w.length; i++) w[i] /= sum;
        return w;
    }

    // ln of probabilities 0.5, 0.25, 0.15, 0.07, 0.03 (already normalised, so softmax gives them back)
    private static final float[] FIVE = {(float) Math.log(0.5), (float) Math.log(0.25), (float) Math.log(0.15),
            (float) Math.log(0.07), (float) Math.log(0.03)};

    @Test
    void greedyIsArgmaxWhateverTheRng() {
        float[] logits = {0.1f, 3.0f, -1f, 2.9f, 3.0f};
        SamplingParams greedy = SamplingParams.greedy(8);
        for (long s = 0; s < 20; s++) {
            assertThat(Sampler.sample(logits, greedy, NONE, Sampler.rngFor(s))).isEqualTo(1); // lowest index wins the tie
        }
        assertThat(Sampler.argmax(new float[] {Float.NaN, -5f, Float.NaN, -4f})).isEqualTo(3);
        // a vanishing temperature is greedy too, not NaN weights
        assertThat(Sampler.sample(logits, temperature(Double.MIN_VALUE), NONE, Sampler.rngFor(3L))).isEqualTo(1);
        assertThat(Sampler.argmax(new float[] {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY})).isZero();
    }

    @Test
    void sameSeedReproducesTheSameTokensAndDifferentSeedsDiffer() {
        float[] logits = new float[1000];
        RandomGenerator init = Sampler.rngFor(99L);
        for (int i = 0; i < logits.length; i++) logits[i] = (float) init.nextGaussian();
        SamplingParams p = params(1.0, 0, 0.95, 0, 1, 0, 0, 7L);

        int[] a = drawSequence(logits, p, Sampler.rngFor(7L), 200);
        int[] b = drawSequence(logits, p, Sampler.rngFor(7L), 200);
        int[] c = drawSequence(logits, p, Sampler.rngFor(8L), 200);
        assertThat(a).isEqualTo(b);
        assertThat(a).isNotEqualTo(c);
    }

    private static int[] drawSequence(float[] logits, SamplingParams p, RandomGenerator rng, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) out[i] = Sampler.sample(logits, p, NONE, rng);
        return out;
    }

    @Test
    void temperatureOneSamplesTheSoftmaxFrequencies() {
        RandomGenerator rng = Sampler.rngFor(1234L);
        int[] counts = new int[5];
        int n = 200_000;
        for (int i = 0; i < n; i++) counts[Sampler.sample(FIVE, temperature(1.0), NONE, rng)]++;
        double[] expected = {0.5, 0.25, 0.15, 0.07, 0.03};
        for (int i = 0; i < 5; i++) assertThat(counts[i] / (double) n).isCloseTo(expected[i], within(0.005));
    }

    @Test
    void temperatureSharpensAndFlattens() {
        float[] logits = {2f, 1f, 0f};
        double[] cold = probs(logits, temperature(0.5));
        double[] warm = probs(logits, temperature(2.0));
        // p_i ∝ exp(x_i / T)
        double z = Math.exp(4) + Math.exp(2) + 1;
        assertThat(cold[0]).isCloseTo(Math.exp(4) / z, within(1e-12));
        assertThat(cold[0]).isGreaterThan(probs(logits, temperature(1))[0]).isGreaterThan(warm[0]);
        assertThat(warm[2]).isGreaterThan(cold[2]);
    }

    @Test
    void topKKeepsTheKLargest() {
        double[] p = probs(FIVE, params(1, 2, 1, 0, 1, 0, 0, null));
        assertThat(p[0]).isCloseTo(0.5 / 0.75, within(1e-9));
        assertThat(p[1]).isCloseTo(0.25 / 0.75, within(1e-9));
        assertThat(p[2]).isZero();
        assertThat(p[3]).isZero();
        assertThat(p[4]).isZero();
        // k at or above the vocabulary size filters nothing
        assertThat(probs(FIVE, params(1, 5, 1, 0, 1, 0, 0, null))[4]).isCloseTo(0.03, within(1e-7));
    }

    @Test
    void topPKeepsTheSmallestSetReachingTheMass() {
        // 0.5 < 0.7, 0.5 + 0.25 = 0.75 >= 0.7: tokens 0 and 1 survive
        double[] p = probs(FIVE, params(1, 0, 0.7, 0, 1, 0, 0, null));
        assertThat(p[0]).isCloseTo(0.5 / 0.75, within(1e-6));
        assertThat(p[1]).isCloseTo(0.25 / 0.75, within(1e-6));
        assertThat(p[2]).isZero();
        // 0.9 needs 0.5 + 0.25 + 0.15
        double[] q = probs(FIVE, params(1, 0, 0.9, 0, 1, 0, 0, null));
        assertThat(q[2]).isGreaterThan(0);
        assertThat(q[3]).isZero();
        // a tiny top_p still keeps the top token
        double[] r = probs(FIVE, params(1, 0, 0.01, 0, 1, 0, 0, null));
        assertThat(r[0]).isEqualTo(1.0);
    }

    @Test
    void topPRenormalisesAfterTopK() {
        // After top-k=3 the masses are 0.5/0.9, 0.25/0.9, 0.15/0.9 = 0.556, 0.278, 0.167; top_p=0.8 needs two.
        double[] p = probs(FIVE, params(1, 3, 0.8, 0, 1, 0, 0, null));
        assertThat(p[1]).isGreaterThan(0);
        assertThat(p[2]).isZero();
    }

    @Test
    void minPDropsTokensBelowAFractionOfTheTop() {
        // min_p = 0.29: keep p >= 0.29 * 0.5 = 0.145
        double[] p = probs(FIVE, params(1, 0, 1, 0.29, 1, 0, 0, null));
        assertThat(p[2]).isCloseTo(0.15 / 0.9, within(1e-6));
        assertThat(p[3]).isZero();
        assertThat(p[4]).isZero();
    }

    @Test
    void repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOncePerToken() {
        float[] logits = {2f, -2f, 1f, 0.5f};
        SamplingParams p = params(0, 0, 1, 0, 2.0, 0, 0, null);
        float[] x = Sampler.applyPenalties(logits, p, new int[] {0, 1, 1, 1}, NONE);
        assertThat(x).containsExactly(1f, -4f, 1f, 0.5f);
        assertThat(logits[0]).as("input untouched").isEqualTo(2f);
        // greedy sees the penalised logits
        float[] ranked = {2f, -2f, 1.8f, 1.5f};
        assertThat(Sampler.sample(ranked, p, NONE, Sampler.rngFor(0L))).isEqualTo(0);
        assertThat(Sampler.sample(ranked, p, new int[] {0}, Sampler.rngFor(0L))).isEqualTo(2);
        assertThat(Sampler.sample(ranked, p, new int[] {0, 2, 0}, Sampler.rngFor(0L))).isEqualTo(3);
    }

    @Test
    void presenceAndFrequencyPenaltiesCountGeneratedTokensOnly() {
        float[] logits = {5f, 5f, 5f};
        SamplingParams p = params(0, 0, 1, 0, 1, 0.5, 0.25, null);
        float[] x = Sampler.applyPenalties(logits, p, new int[] {2, 0, 0, 0, 1}, new int[] {0, 0, 0, 1});
        assertThat(x[0]).isEqualTo(5f - 0.5f - 3 * 0.25f);
        assertThat(x[1]).isEqualTo(5f - 0.5f - 0.25f);
        assertThat(x[2]).as("in the prompt only: untouched").isEqualTo(5f);
        assertThat(Sampler.sample(logits, p, new int[] {2, 0, 0, 0, 1}, new int[] {0, 0, 0, 1}, Sampler.rngFor(1L))).isEqualTo(2);
        assertThatThrownBy(() -> Sampler.sample(logits, p, NONE, Sampler.rngFor(1L)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void neverDrawsAFilteredToken() {
        RandomGenerator rng = Sampler.rngFor(5L);
        SamplingParams p = params(1.5, 3, 0.9, 0.05, 1, 0, 0, null);
        for (int i = 0; i < 20_000; i++) {
            assertThat(Sampler.sample(FIVE, p, NONE, rng)).isLessThan(3);
        }
    }

    @Test
    void logitBiasComesBeforeEverythingElseAndCanForceOrBanATokenUnderGreedy() {
        SamplingParams force = new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, 16, List.of(), Set.of(), false, null,
                java.util.Map.of(4, 100f));
        assertThat(Sampler.sample(FIVE, force, NONE, RandomGenerator.of("L64X128MixRandom"))).isEqualTo(4);
        SamplingParams ban = new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, 16, List.of(), Set.of(), false, null,
                java.util.Map.of(0, -100f));
        assertThat(Sampler.sample(FIVE, ban, NONE, RandomGenerator.of("L64X128MixRandom"))).isEqualTo(1);
        float[] before = FIVE.clone();
        Sampler.sample(FIVE, force, NONE, RandomGenerator.of("L64X128MixRandom"));
        assertThat(FIVE).as("the caller's logits are untouched").containsExactly(before);
        // bias then repetition penalty: a biased positive logit is divided by the penalty afterwards
        float[] x = Sampler.applyPenalties(Sampler.applyLogitBias(new float[] {1, 1}, new SamplingParams(
                0, 0, 1, 0, 2, 0, 0, null, 16, List.of(), Set.of(), false, null, java.util.Map.of(0, 3f))),
                params(0, 0, 1, 0, 2, 0, 0, null), new int[] {0}, NONE);
        assertThat(x).containsExactly(2f, 1f);
    }

    @Test
    void logprobsAreTheLogSoftmaxOfTheRawLogitsWithTheTopKBestFirst() {
        Logprobs lp = Logprobs.of(FIVE, 2, 3);
        assertThat(lp.tokenId()).isEqualTo(2);
        assertThat(lp.logprob()).isCloseTo((float) Math.log(0.15), within(1e-6f));
        assertThat(lp.topIds()).containsExactly(0, 1, 2);
        assertThat(lp.topLogprobs()[0]).isCloseTo((float) Math.log(0.5), within(1e-6f));
        assertThat(lp.topLogprobs()[1]).isCloseTo((float) Math.log(0.25), within(1e-6f));
        // shifting every logit changes nothing; NaN counts as impossible; ties keep the lower id first
        float[] shifted = {1000 + FIVE[0], Float.NaN, 1000 + FIVE[0], Float.NEGATIVE_INFINITY};
        Logprobs tied = Logprobs.of(shifted, 2, 4);
        assertThat(tied.topIds()).containsExactly(0, 2, 1, 3);
        assertThat(tied.logprob()).isCloseTo((float) Math.log(0.5), within(1e-5f));
        assertThat(tied.topLogprobs()[2]).isEqualTo(Float.NEGATIVE_INFINITY);
        assertThat(Logprobs.of(FIVE, 4, 0).topIds()).isEmpty();
    }
}
