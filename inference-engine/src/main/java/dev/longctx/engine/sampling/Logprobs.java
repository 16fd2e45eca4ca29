package dev.longctx.engine.sampling;

/**
 * Log-probabilities of one position, as vLLM reports them by default ({@code logprobs_mode=raw_logprobs}): the
 * log-softmax of the model's own logits, before logit_bias, penalties, temperature and the sampling filters, so
 * they describe the model rather than this request's sampling settings.
 *
 * @param tokenId     the sampled token
 * @param logprob     its log-probability
 * @param topIds      the {@code k} most likely tokens, best first (ties: lower id first)
 * @param topLogprobs their log-probabilities
 */
public record Logprobs(int tokenId, float logprob, int[] topIds, float[] topLogprobs) {

    /** From raw logits; NaN counts as impossible. */
    public static Logprobs of(float[] logits, int tokenId, int k) {
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) if (v > max) max = v;
        double sum = 0;
        if (max > Double.NEGATIVE_INFINITY) {
            for (float v : logits) if (v == v) sum += Math.exp(v - max);
        }
        double logZ = max + Math.log(sum);   // −inf for an all-(−inf) row: every logprob is then NaN → −inf below

        int count = Math.min(Math.max(k, 0), logits.length);
        int[] ids = new int[count];
        float[] values = new float[count];
        int filled = 0;
        for (int i = 0; i < logits.length; i++) {
            float v = logits[i] == logits[i] ? logits[i] : Float.NEGATIVE_INFINITY;
            if (filled < count) {
                insert(ids, values, filled++, i, v);
            } else if (count > 0 && v > values[count - 1]) {
                insert(ids, values, count - 1, i, v);
            }
        }
        float[] top = new float[count];
        for (int j = 0; j < count; j++) top[j] = logprob(values[j], logZ);
        return new Logprobs(tokenId, logprob(logits[tokenId], logZ), ids, top);
    }

    /** Places (id, value) at or above {@code slot}, keeping values descending; strict '>' keeps the lower id first. */
    private static void insert(int[] ids, float[] values, int slot, int id, float value) {
        int j = slot;
        while (j > 0 && value > values[j - 1]) {
            ids[j] = ids[j - 1];
            values[j] = values[j - 1];
            j--;
        }
        ids[j] = id;
        values[j] = value;
    }

    private static float logprob(float logit, double logZ) {
        double lp = logit - logZ;
        return lp == lp ? (float) lp : Float.NEGATIVE_INFINITY;
    }
}
