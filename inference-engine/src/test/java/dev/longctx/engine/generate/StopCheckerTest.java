package dev.longctx.engine.generate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.engine.model.GenerationConfig;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.sampling.SamplingParams;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class StopCheckerTest {

    private static SamplingParams params(int maxTokens, List<String> stop, Set<Integer> stopIds, boolean ignoreEos) {
        return new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, maxTokens, stop, stopIds, ignoreEos);
    }

    /** Feeds (id, delta) pairs until finished; returns everything emitted plus "|" + finish reason. */
    private static String run(StopChecker c, Object... idAndText) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < idAndText.length; i += 2) {
            StopChecker.Step s = c.onToken((Integer) idAndText[i], (String) idAndText[i + 1]);
            out.append(s.text());
            if (s.finished()) return out + "|" + s.finishReason();
        }
        return out + "|" + null;
    }

    @Test
    void eosEndsWithStopAndItsTextIsNotOutput() {
        StopChecker c = new StopChecker(params(100, List.of(), Set.of(), false), Set.of(9));
        assertThat(run(c, 1, "Hello", 2, " world", 9, "<|im_end|>", 3, "never")).isEqualTo("Hello world|stop");
        assertThat(c.generatedTokens()).isEqualTo(3);
    }

    @Test
    void ignoreEosKeepsGoingUntilLength() {
        StopChecker c = new StopChecker(params(3, List.of(), Set.of(), true), Set.of(9));
        assertThat(run(c, 1, "a", 9, "<eos>", 2, "b", 3, "c")).isEqualTo("a<eos>b|length");
    }

    @Test
    void stopTokenIdsEndWithStopEvenWhenEosIsIgnored() {
        StopChecker c = new StopChecker(params(10, List.of(), Set.of(7), true), Set.of(9));
        assertThat(run(c, 1, "a", 7, "!", 2, "b")).isEqualTo("a|stop");
    }

    @Test
    void maxTokensEndsWithLengthAndFlushesEverything() {
        StopChecker c = new StopChecker(params(2, List.of("STOP"), Set.of(), false), Set.of());
        // "ST" could start "STOP" so it is held back after token 1, but released when length ends generation
        assertThat(run(c, 1, "xST", 2, "x")).isEqualTo("xSTx|length");
    }

    @Test
    void stopStringSpanningTokensCutsBeforeTheMatchAndNeverLeaksIt() {
        StopChecker c = new StopChecker(params(100, List.of("</answer>"), Set.of(), false), Set.of());
        StringBuilder shown = new StringBuilder();
        for (String delta : List.of("The answer is 42", "</an", "sw", "er> and more")) {
            StopChecker.Step s = c.onToken(1, delta);
            shown.append(s.text());
            assertThat(shown.toString()).doesNotContain("</");
            if (s.finished()) {
                assertThat(s.finishReason()).isEqualTo("stop");
                break;
            }
        }
        assertThat(shown.toString()).isEqualTo("The answer is 42");
        assertThat(c.finishReason()).isEqualTo("stop");
    }

    @Test
    void heldBackTextIsReleasedOnceItCannotBeAStop() {
        StopChecker c = new StopChecker(params(100, List.of("abc"), Set.of(), false), Set.of());
        assertThat(c.onToken(1, "xa").text()).isEqualTo("x");
        assertThat(c.onToken(1, "b").text()).isEmpty();
        assertThat(c.onToken(1, "d").text()).isEqualTo("abd");
    }

    @Test
    void earliestOfSeveralStopStringsWins() {
        StopChecker c = new StopChecker(params(100, List.of("world", "lo w"), Set.of(), false), Set.of());
        assertThat(run(c, 1, "hello world")).isEqualTo("hel|stop");
    }

    @Test
    void finishReleasesPendingTextOnceAndRefusesMoreTokens() {
        StopChecker c = new StopChecker(params(100, List.of("###"), Set.of(), false), Set.of());
        assertThat(c.onToken(1, "ok #").text()).isEqualTo("ok ");
        StopChecker.Step end = c.finish("stop");
        assertThat(end.text()).isEqualTo("#");
        assertThat(c.finish("length")).isEqualTo(new StopChecker.Step("", "stop"));
        assertThatThrownBy(() -> c.onToken(2, "x")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void eosIdsComeFromBothConfigs() {
        ModelConfig config = new ModelConfig("Qwen2ForCausalLM", 100, 8, 16, 1, 2, 1, 4, 1e-6, 1e6, 1024, true,
                "bfloat16", null, List.of(151643), null);
        GenerationConfig gen = new GenerationConfig(List.of(151645, 151643), null, null, null, null, null, null, null, null, null);
        assertThat(StopChecker.eosIds(config, gen)).containsExactlyInAnyOrder(151643, 151645);
        assertThat(StopChecker.eosIds(config, null)).containsExactly(151643);
    }
}
