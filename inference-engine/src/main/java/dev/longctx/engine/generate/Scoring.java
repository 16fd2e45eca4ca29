package dev.longctx.engine.generate;

/** Log-likelihood arithmetic over per-position logits, in double precision. */
public final class Scoring {

    private Scoring() {}

    /** log softmax(logits)[token], computed stably as logit − logsumexp. */
    public static double logProb(float[] logits, int token) {
        if (token < 0 || token >= logits.length) {
            throw new IllegalArgumentException("token id " + token + " is outside the vocabulary (" + logits.length + ")");
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float v : logits) if (v > max) max = v;
        double sum = 0;
        for (float v : logits) sum += Math.exp(v - max);
        return logits[token] - max - Math.log(sum);
    }

    /**
     * Σ_{t≥1} log softmax(logits[t−1])[ids[t]]: the log-probability the model gives the sequence after its first
     * token (position t−1's logits predict token t; the last row predicts nothing in the sequence).
     */
    public static double logLikelihood(float[][] logits, int[] ids) {
        if (logits.length != ids.length) {
            throw new IllegalArgumentException(logits.length + " logit rows for " + ids.length + " tokens");
        }
        double total = 0;
        for (int t = 1; t < ids.length; t++) total += logProb(logits[t - 1], ids[t]);
        return total;
    }
}
