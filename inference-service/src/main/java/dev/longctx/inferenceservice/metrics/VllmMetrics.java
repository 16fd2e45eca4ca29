package dev.longctx.inferenceservice.metrics;

import dev.longctx.engine.serving.EngineStats;
import dev.longctx.inferenceservice.engine.EngineHost;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.function.ToDoubleFunction;
import org.springframework.stereotype.Component;

/**
 * The engine's counters under vLLM's metric names, so dashboards and autoscalers written for vLLM work
 * unchanged. Counters are registered without "_total": the Prometheus registry appends it. Micrometer keeps
 * the ':' in these names as Prometheus allows it; PrometheusMetricsTest pins that down.
 */
@Component
class VllmMetrics implements MeterBinder {

    private final EngineHost host;

    VllmMetrics(EngineHost host) {
        this.host = host;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Tags tags = Tags.of("model_name", host.servedModelName());
        gauge(registry, tags, "vllm:num_requests_running", "Requests in the running batch", EngineStats::running);
        gauge(registry, tags, "vllm:num_requests_waiting", "Requests waiting for a batch slot", EngineStats::waiting);
        gauge(registry, tags, "vllm:kv_cache_usage_perc", "KV cache usage, 1 means 100 percent",
                EngineStats::kvCacheUsage);
        counter(registry, tags, "vllm:prompt_tokens", "Prefilled prompt tokens", EngineStats::promptTokens);
        counter(registry, tags, "vllm:generation_tokens", "Generated tokens", EngineStats::generationTokens);
        counter(registry, tags, "vllm:prefix_cache_queries", "Prompt tokens looked up in the prefix cache",
                EngineStats::prefixCacheQueries);
        counter(registry, tags, "vllm:prefix_cache_hits", "Prompt tokens found in the prefix cache",
                EngineStats::prefixCacheHits);
    }

    private void gauge(MeterRegistry registry, Tags tags, String name, String help, ToDoubleFunction<EngineStats> read) {
        Gauge.builder(name, host, h -> read.applyAsDouble(h.stats())).description(help).tags(tags).register(registry);
    }

    private void counter(MeterRegistry registry, Tags tags, String name, String help,
                         ToDoubleFunction<EngineStats> read) {
        FunctionCounter.builder(name, host, h -> read.applyAsDouble(h.stats())).description(help).tags(tags)
                .register(registry);
    }
}
