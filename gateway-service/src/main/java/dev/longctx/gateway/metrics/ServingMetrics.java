package dev.longctx.gateway.metrics;

import dev.longctx.gateway.config.GatewayProperties;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.springframework.stereotype.Component;

/**
 * The gateway-side serving metrics under vLLM's names and {@code model_name} label, so vLLM dashboards work
 * unchanged. Latencies are explicit-bucket histograms reaching 30 min, since a 1M-token prefill takes minutes.
 */
@Component
public class ServingMetrics {
    static final double[] LATENCY_BUCKETS_SECONDS = {
        0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0,
        80.0, 160.0, 320.0, 640.0, 1200.0, 1800.0
    };

    private final MeterRegistry registry;
    private final String model;
    private final Timer timeToFirstToken;
    private final Timer interTokenLatency;
    private final Timer e2eLatency;
    private final Counter promptTokens;
    private final Counter generationTokens;
    private final Map<String, Counter> successes = new ConcurrentHashMap<>();

    public ServingMetrics(MeterRegistry registry, GatewayProperties properties) {
        this.registry = registry;
        this.model = properties.modelName();
        this.timeToFirstToken = histogram("vllm:time_to_first_token", "Histogram of time to first token in seconds.");
        this.interTokenLatency = histogram("vllm:inter_token_latency", "Histogram of inter-token latency in seconds.");
        this.e2eLatency = histogram("vllm:e2e_request_latency", "Histogram of end to end request latency in seconds.");
        this.promptTokens = Counter.builder("vllm:prompt_tokens")
                .description("Number of prefill tokens processed.")
                .tag("model_name", model)
                .register(registry);
        this.generationTokens = Counter.builder("vllm:generation_tokens")
                .description("Number of generation tokens processed.")
                .tag("model_name", model)
                .register(registry);
    }

    private Timer histogram(String name, String description) {
        Duration[] buckets = new Duration[LATENCY_BUCKETS_SECONDS.length];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = Duration.ofNanos(Math.round(LATENCY_BUCKETS_SECONDS[i] * 1e9));
        }
        return Timer.builder(name)
                .description(description)
                .tag("model_name", model)
                .serviceLevelObjectives(buckets)
                .minimumExpectedValue(buckets[0])
                .maximumExpectedValue(buckets[buckets.length - 1])
                .register(registry);
    }

    public void timeToFirstToken(long nanos) {
        timeToFirstToken.record(Duration.ofNanos(nanos));
    }

    public void interTokenLatency(long nanos) {
        interTokenLatency.record(Duration.ofNanos(nanos));
    }

    public void e2eLatency(long nanos) {
        e2eLatency.record(Duration.ofNanos(nanos));
    }

    public void promptTokens(int count) {
        promptTokens.increment(count);
    }

    public void generationTokens(int count) {
        generationTokens.increment(count);
    }

    public void success(String finishReason) {
        successes.computeIfAbsent(finishReason, reason -> Counter.builder("vllm:request_success")
                        .description("Count of successfully processed requests.")
                        .tag("model_name", model)
                        .tag("finished_reason", reason)
                        .register(registry))
                .increment();
    }
}
