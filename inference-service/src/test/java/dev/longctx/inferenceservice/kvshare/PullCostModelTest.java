package dev.longctx.inferenceservice.kvshare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.longctx.common.prefix.PrefixFacts;
import dev.longctx.engine.serving.EngineStats;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The pull-or-recompute decision: the prefill speed it is weighed against, measured from the engine's counters. */
class PullCostModelTest {
    static final PrefixFacts FACTS = new PrefixFacts("m@0", "fp32", "none", PrefixFacts.POSITION_RULE, 0, 16, null,
            false, 1_000_000, 1_000_000);

    final AtomicReference<EngineStats> engine = new AtomicReference<>(counters(0, 0));
    final PrefillRate rate = new PrefillRate(engine::get, 2000);

    static EngineStats counters(long prefillTokens, double prefillSeconds) {
        return new EngineStats(0, 0, 0, 0, 0, prefillTokens, 0, prefillTokens, (long) (prefillSeconds * 1e9));
    }

    @Test
    void theSettingUntilTheEngineHasPrefilledThenItsOwnSpeed() {
        assertThat(rate.current()).isEqualTo(new PrefillRate.Estimate(2000, false));
        engine.set(counters(10_000, 1));
        assertThat(rate.current()).isEqualTo(new PrefillRate.Estimate(10_000, true));
        assertThat(rate.current()).as("nothing new: the same").isEqualTo(new PrefillRate.Estimate(10_000, true));
    }

    @Test
    void recentWorkOutweighsOldWork() {
        engine.set(counters(10_000, 1));
        rate.current();
        engine.set(counters(10_000 + 500 * 100, 1 + 100));   // then 100 s of prefill at 500 tokens/s
        assertThat(rate.current().tokensPerSecond()).isCloseTo(500, within(5.0));

        engine.set(counters(60_000 + 4000 * 20, 101 + 20));   // one half-life at 4000 tokens/s
        // the 100 s at ~500 now weigh 50 s against these 20 s: (25,156 + 80,000) tokens / 70 s
        assertThat(rate.current().tokensPerSecond()).isCloseTo(1502, within(5.0));
        engine.set(counters(140_000 + 4000 * 100, 121 + 100));   // five more half-lives of it
        assertThat(rate.current().tokensPerSecond()).isCloseTo(4000, within(100.0));
    }

    @Test
    void aNewEngineStartsOver() {
        engine.set(counters(1_000_000, 100));
        rate.current();
        engine.set(counters(3000, 1));   // counters went back: a reloaded engine
        assertThat(rate.current().tokensPerSecond()).isCloseTo(3000, within(1e-6));
    }

    @Test
    void pullWhenMovingTheBlocksTakesLessTimeThanPrefillingThem() {
        // 10 blocks = 160 tokens = 10 MB: 10 ms at 1 GB/s
        PullCost slowPrefill = PullCost.of(10, FACTS, 1e9, new PrefillRate.Estimate(2000, false));
        assertThat(slowPrefill.transferSeconds()).isCloseTo(0.010, within(1e-9));
        assertThat(slowPrefill.prefillSeconds()).isCloseTo(0.080, within(1e-9));
        assertThat(slowPrefill.pullIsCheaper()).isTrue();
        assertThat(slowPrefill.toString()).contains("10 blocks (160 tokens, 10.0 MB)", "10.0 ms", "80.0 ms",
                "2000 tokens/s (configured)", ": pull");

        engine.set(counters(50_000, 1));
        PullCost fastPrefill = PullCost.of(10, FACTS, 1e9, rate.current());
        assertThat(fastPrefill.pullIsCheaper()).as("3.2 ms of prefill beats 10 ms of transfer").isFalse();
        assertThat(fastPrefill.toString()).contains("50000 tokens/s (measured)", ": recompute");
    }
}
