package dev.longctx.engine.sampling;

/** Test access to the CPU sampler's filtering, the reference the device sampler is checked against. */
public final class SamplerReference {
    private SamplerReference() {}

    /** Unnormalised weights after temperature, min-p, top-k and top-p; filtered-out tokens get 0. */
    public static double[] filteredWeights(float[] logits, double temperature, int topK, double topP, double minP) {
        SamplingParams p = new SamplingParams(temperature, topK, topP, minP, 1.0, 0, 0, null, 1, java.util.List.of(),
                java.util.Set.of(), false);
        return Sampler.filteredWeights(logits, p);
    }
}
