package dev.longctx.gateway.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class BenchServeTest {
    @Test
    void parsesVllmStyleOptions() {
        BenchServe.Options options = BenchServe.parse(new String[] {
            "--url", "http://gw:8000/", "--model=m", "--num-prompts", "7", "--random-input-len", "32",
            "--random-output-len", "4", "--request-rate", "inf", "--max-concurrency", "2", "--duration", "1.5",
            "--endpoint", "chat", "--ignore-eos"
        });
        assertThat(options.url().toString()).isEqualTo("http://gw:8000");
        assertThat(options.model()).isEqualTo("m");
        assertThat(options.numPrompts()).isEqualTo(7);
        assertThat(options.requestRate()).isInfinite();
        assertThat(options.maxConcurrency()).isEqualTo(2);
        assertThat(options.duration()).isEqualTo(Duration.ofMillis(1500));
        assertThat(options.endpoint()).isEqualTo(BenchServe.Endpoint.CHAT);
        assertThat(options.ignoreEos()).isTrue();
        assertThatThrownBy(() -> BenchServe.parse(new String[] {"--bogus", "1"})).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BenchServe.parse(new String[] {"--num-prompts", "x"})).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void statsUseInterpolatedPercentilesLikeNumpy() {
        BenchServe.Stat stat = BenchServe.Stat.of(List.of(1.0, 2.0, 3.0, 4.0, Double.NaN));
        assertThat(stat.mean()).isEqualTo(2.5);
        assertThat(stat.median()).isEqualTo(2.5);
        assertThat(stat.p99()).isCloseTo(3.97, org.assertj.core.data.Offset.offset(1e-9));
    }

    @Test
    void summaryCountsFailuresAndTpot() {
        var ok = new BenchServe.RequestResult(true, null, 10, 5, 100_000_000L, 500_000_000L, List.of(100_000_000L));
        var failed = new BenchServe.RequestResult(false, "HTTP 503", 0, 0, 0, 0, List.of());
        BenchServe.Summary summary = BenchServe.summarize(List.of(ok, failed), 2.0);
        assertThat(summary.completed()).isEqualTo(1);
        assertThat(summary.failed()).isEqualTo(1);
        assertThat(summary.tpot().mean()).isEqualTo(100.0);
        assertThat(summary.outputThroughput()).isEqualTo(2.5);
        assertThat(summary.errors()).containsExactly("HTTP 503");
    }
}
