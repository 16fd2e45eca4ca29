package dev.longctx.engine.serving;

/** A snapshot for metrics: what vLLM exports as vllm:num_requests_*, kv_cache_usage_perc, prefix-cache counters. */
public record EngineStats(int running, int waiting, double kvCacheUsage, long prefixCacheQueries,
                          long prefixCacheHits, long promptTokens, long generationTokens) {}
