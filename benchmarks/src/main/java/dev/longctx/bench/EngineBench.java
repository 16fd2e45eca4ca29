package dev.longctx.bench;

/** One engine under test, with a model already loaded. */
interface EngineBench extends AutoCloseable {

    String name();

    /**
     * Prefills {@code prompt}, then greedily decodes {@code generate} tokens whatever they are (EOS ignored), on a
     * fresh KV cache.
     */
    RunResult run(int[] prompt, int generate);

    @Override
    void close();

    /**
     * Rates as the engine's own GenerationStats defines them: prefill = prompt tokens over the time to the first
     * token's logits; decode = (generated - 1) over the time after that, since only N - 1 of N generated tokens
     * need a forward pass.
     */
    record RunResult(double prefillTokensPerSecond, double decodeTokensPerSecond, int[] generated) {}
}
