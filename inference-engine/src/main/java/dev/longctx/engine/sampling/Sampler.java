package dev.longctx.engine.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Picks the next token from one position's logits, in vLLM's order: logit_bias, penalties (repetition, presence,
 * frequency), then greedy argmax or temperature, min-p, top-k, top-p and a draw from what is left.
 *
 * <p>Stateless and thread-safe; the caller's logits array is never modified.
 */
public final class Sampler {

    /** Below this temperature sampling is greedy (as vLLM does): 1/T would overflow the exponent to NaN. */
    static final double GREEDY_BELOW_TEMPERATURE = 1e-5;

    private Sampler() {}

    /**
     * The generator a request samples from. A seed gives a reproducible stream (the same seed and the same logits
     * give the same tokens on every run and machine: SplittableRandom's algorithm is specified by the JDK); null
     * gives an unpredictably seeded one.
     */
    public static RandomGenerator rngFor(Long seed) {
        return seed == null ? new SplittableRandom() : new SplittableRandom(seed);
    }

    /** {@link #sample(float[], SamplingParams, int[], int[], RandomGenerator)} for requests without presence/frequency penalties. */
    public static int sample(float[] logits, SamplingParams p, int[] previousTokens, RandomGenerator rng) {
        if (p.presencePenalty() != 0 || p.frequencyPenalty() != 0) {
            // Those penalties count generated tokens only; previousTokens also holds the prompt, so guessing would be wrong.
            throw new IllegalArgumentException("presence/frequency penalties need the generated tokens: use the overload that takes them");
        }
        return sample(logits, p, previousTokens, new int[0], rng);
    }

    /**
     * @param previousTokens  prompt + generated tokens: what the repetition penalty looks at (transformers semantics)
     * @param generatedTokens generated tokens only: what presence/frequency penalties count (OpenAI semantics)
     * @return the chosen token id
     */
    public static int sample(float[] logits, SamplingParams p, int[] previousTokens, int[] generatedTokens, RandomGenerator rng) {
        if (logits.length == 0) throw new IllegalArgumentException("empty logits");
        float[] x = applyPenalties(applyLogitBias(logits, p), p, previousTokens, generatedTokens);
        if (p.temperature() < GREEDY_BELOW_TEMPERATURE) return argmax(x);
        return draw(filteredWeights(x, p), rng);
    }

    /**
     * Logits with {@code logit_bias} added, as vLLM applies it: first, before penalties and temperature, so a
     * bias of ±100 bans or forces a token even under greedy decoding. Returns the input itself when there is none;
     * ids past the vocabulary are refused at admission and skipped here.
     */
    static float[] applyLogitBias(float[] logits, SamplingParams p) {
        if (p.logitBias().isEmpty()) return logits;
        float[] x = logits.clone();
        p.logitBias().forEach((token, bias) -> {
            if (token < x.length) x[token] += bias;
        });
        return x;
    }

    /**
     * Logits after the repetition penalty (positive logits divided by it, negative ones multiplied, once per
     * distinct token of prompt + output) and the presence/frequency penalties (logit −= presence·[count>0] +
     * frequency·count over the output). Returns the input itself when no penalty is active.
     */
    static float[] applyPenalties(float[] logits, SamplingParams p, int[] previousTokens, int[] generatedTokens) {
        boolean repetition = p.repetitionPenalty() != 1.0 && previousTokens != null && previousTokens.length > 0;
        boolean additive = (p.presencePenalty() != 0 || p.frequencyPenalty() != 0) && generatedTokens != null && generatedTokens.length > 0;
        if (!repetition && !additive) return logits;
        float[] x = logits.clone();
        int vocab = x.length;
        if (repetition) {
            boolean[] seen = new boolean[vocab];
            float penalty = (float) p.repetitionPenalty();
            for (int t : previousTokens) {
                if (t < 0 || t >= vocab || seen[t]) continue; // each token is penalised once however often it occurs
                seen[t] = true;
                x[t] = x[t] > 0 ? x[t] / penalty : x[t] * penalty;
            }
        }
        if (additive) {
            int[] counts = new int[vocab];
            for (int t : generatedTokens) if (t >= 0 && t < vocab) counts[t]++;
            for (int t = 0; t < vocab; t++) {
                if (counts[t] > 0) {
                    x[t] -= (float) (p.frequencyPenalty() * counts[t] + p.presencePenalty());
                }
            }
        }
        return x;
    }

    /** Index of the largest logit; the lowest index wins ties, NaN never wins. */
    public static int argmax(float[] x) {
        int best = -1;
        float bestValue = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < x.length; i++) {
            if (x[i] > bestValue || (best < 0 && x[i] == Float.NEGATIVE_INFINITY)) {
                best = i;
                bestValue = x[i];
            }
        }
        if (best < 0) throw new IllegalArgumentException("logits are all NaN");
        return best;
    }

    /**
     * Unnormalised probabilities after temperature, min-p, top-k and top-p; filtered-out tokens get 0. Package-private
     * so tests can look at each filter's effect directly.
     */
    static double[] filteredWeights(float[] logits, SamplingParams p) {
        int vocab = logits.length;
        double invT = 1.0 / p.temperature();
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) if (v > max) max = v; // NaN compares false and is skipped
        if (max == Double.NEGATIVE_INFINITY) throw new IllegalArgumentException("no finite logit to sample from");

        // exp((x - max) / T): the largest weight is exactly 1, so min-p compares against minP directly.
        double[] w = new double[vocab];
        int alive = 0;
        for (int i = 0; i < vocab; i++) {
            double v = logits[i];
            w[i] = Double.isNaN(v) ? 0 : Math.exp((v - max) * invT);
            if (w[i] > 0) alive++;
        }

        if (p.minP() > 0) {
            for (int i = 0; i < vocab; i++) {
                if (w[i] > 0 && w[i] < p.minP()) {
                    w[i] = 0;
                    alive--;
                }
            }
        }

        boolean topK = p.topK() > 0 && p.topK() < alive;
        boolean topP = p.topP() < 1.0;
        if (!topK && !topP) return w;

        // Sort the surviving tokens by weight, largest first. A positive double's bit pattern orders like its value,
        // so (bits, index) packed into a long sorts with one primitive sort; ties keep the lower index first.
        long[] order = new long[alive];
        int n = 0;
        for (int i = 0; i < vocab; i++) {
            if (w[i] > 0) order[n++] = packDescending(w[i], i);
        }
        Arrays.sort(order);
        int keep = topK ? p.topK() : alive;
        if (topP) {
            double total = 0;
            for (int j = 0; j < keep; j++) total += w[indexOf(order[j])];
            // Keep the smallest prefix whose mass reaches top_p; the top token always stays.
            double target = p.topP() * total;
            double cumulative = 0;
            int j = 0;
            while (j < keep) {
                cumulative += w[indexOf(order[j])];
                j++;
                if (cumulative >= target) break;
            }
            keep = j;
        }
        for (int j = keep; j < alive; j++) w[indexOf(order[j])] = 0;
        return w;
    }

    // Weights are in (0, 1], so their float bits fit in 31 bits; storing the complement sorts largest first.
    private static long packDescending(double weight, int index) {
        long bits = Float.floatToRawIntBits((float) weight);
        return ((0x7fffffffL - bits) << 32) | index;
    }

    private static int indexOf(long packed) {
        return (int) packed;
    }

    private static int draw(double[] w, RandomGenerator rng) {
        double total = 0;
        for (double v : w) total += v;
        double u = rng.nextDouble() * total;
        int last = -1;
        for (int i = 0; i < w.length; i++) {
            if (w[i] <= 0) continue;
            last = i;
            u -= w[i];
            if (u < 0) return i;
        }
        return last; // rounding left u a hair above zero: the last live token is the right answer
    }
}
