package dev.longctx.engine.eval;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.tokenizer.ChatTemplate;
import dev.longctx.engine.tokenizer.HfTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A short run of the passkey evaluation on the bundled default model (trained at 512 tokens): past the training
 * length Dual Chunk Attention must retrieve the passkey where plain RoPE does not.
 */
class DefaultModelPasskeyTest {
    static final Path MODEL = Path.of("..", "models", "longctx-tiny-chat");

    @Test
    void dcaBeatsPlainRopePastTheTrainingLength() {
        assertThat(Files.isDirectory(MODEL)).as("the default model is committed at %s", MODEL.toAbsolutePath()).isTrue();
        try (HfTokenizer tokenizer = HfTokenizer.load(MODEL)) {
            PasskeyEval eval = new PasskeyEval(tokenizer, ChatTemplate.load(MODEL), line -> { });
            EvalResult result = eval.run(new PasskeyEval.Plan(MODEL, List.of(AttentionMode.ROPE, AttentionMode.DCA),
                    List.of(2048), List.of(0.2, 0.8), 2, 99, EngineOptions.defaults().withMaxPrefillChunk(1024),
                    EngineOptions.DEFAULT_SPARSE_THRESHOLD, null, 512));
            double rope = result.accuracy("rope", 2048);
            double dca = result.accuracy("dca", 2048);
            assertThat(dca).as("DCA accuracy at 4x the training length\n%s", result.table()).isGreaterThan(rope);
            assertThat(dca).as("DCA accuracy at 4x the training length").isGreaterThanOrEqualTo(0.75);
        }
    }
}
