package dev.longctx.engine.serving;

/**
 * A snapshot for metrics: what vLLM exports as vllm:num_requests_*, kv_cache_usage_perc, prefix-cache counters.
 *
 * @param prefillTokens prompt tokens computed so far (recomputation after preemption included, cached ones not)
 * @param prefillNanos  the share of step time those tokens took (a step's time split evenly over its tokens);
 *                      with {@code prefillTokens}, this engine's measured prefill speed
 */
public record EngineStats(int running, int waiting, double kvCacheUsage, long prefixCacheQueries,
                          long prefixCacheHits, long promptTokens, long generationTokens, long prefillTokens,
                          long prefillNanos) {

    /** For an engine that does not measure its prefill. */
    public EngineStats(int running, int waiting, double kvCacheUsage, long prefixCacheQueries, long prefixCacheHits,
                       long promptTokens, long generationTokens) {
        this(running, waiting, kvCacheUsage, prefixCacheQueries, prefixCacheHits, promptTokens, generationTokens, 0, 0);
    }
}
