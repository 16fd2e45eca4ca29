package dev.longctx.inferenceservice.kvshare;

import dev.longctx.engine.serving.EngineStats;
import dev.longctx.inferenceservice.engine.EngineHost;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.function.Supplier;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.stereotype.Component;

/**
 * How fast this instance prefills now, which a KV pull is weighed against: the engine's prefill tokens over the
 * time they took (its counters in {@link EngineStats}), averaged with weights that halve every
 * {@value #HALF_LIFE_SECONDS} s of prefill work, so it follows a change of load or prompt length within a few
 * long prefills. Until the engine has prefilled anything, the configured {@code longctx.kv.prefill-tokens-per-second}.
 * Exported as {@code longctx_kv_prefill_tokens_per_second}.
 */
@Component
class PrefillRate {
    static final double HALF_LIFE_SECONDS = 20;

    /** A speed and whether it was measured (or is the configured starting value). */
    record Estimate(double tokensPerSecond, boolean measured) {
        @Override
        public String toString() {
            return String.format("%.0f tokens/s (%s)", tokensPerSecond, measured ? "measured" : "configured");
        }
    }

    private final Supplier<EngineStats> stats;
    private final double configured;
    // guarded by this: the engine's counters at the last look, and the decayed sums since measuring began
    private long seenTokens;
    private long seenNanos;
    private double tokens;
    private double seconds;

    @Autowired
    PrefillRate(EngineHost host, KvShareProperties properties, MeterRegistry meters) {
        this(host::stats, properties.prefillTokensPerSecond());
        Gauge.builder("longctx.kv.prefill.tokens.per.second", this, r -> r.current().tokensPerSecond())
                .description("prefill speed a KV pull is weighed against (measured, or the setting until then)")
                .register(meters);
    }

    PrefillRate(Supplier<EngineStats> stats, double configured) {
        this.stats = stats;
        this.configured = configured;
    }

    synchronized Estimate current() {
        EngineStats now = stats.get();
        long newTokens = now.prefillTokens() - seenTokens;
        long newNanos = now.prefillNanos() - seenNanos;
        if (newTokens < 0 || newNanos < 0) {   // counters went back: another engine (a reload) starts over
            tokens = 0;
            seconds = 0;
            newTokens = now.prefillTokens();
            newNanos = now.prefillNanos();
        }
        if (newTokens > 0 && newNanos > 0) {
            double newSeconds = newNanos / 1e9;
            double keep = Math.pow(0.5, newSeconds / HALF_LIFE_SECONDS);
            tokens = tokens * keep + newTokens;
            seconds = seconds * keep + newSeconds;
            seenTokens = now.prefillTokens();
            seenNanos = now.prefillNanos();
        }
        return seconds > 0 ? new Estimate(tokens / seconds, true) : new Estimate(configured, false);
    }
}
