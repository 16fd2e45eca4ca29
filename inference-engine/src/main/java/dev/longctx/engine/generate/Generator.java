package dev.longctx.engine.generate;

import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.sampling.SamplingParams;
import java.util.function.IntPredicate;

/**
 * PLACEHOLDER so the CLI compiles before the lead's generator lands; the real class replaces this file at merge.
 */
public final class Generator {

    public Generator(Qwen2Model model) {}

    /** Logits for every position of {@code ids}: [ids.length][vocab]. */
    public float[][] score(int[] ids, RecallRecorder recorderOrNull) {
        throw new UnsupportedOperationException("placeholder");
    }

    /** Generates after {@code promptIds}; {@code onToken} returns false to stop. */
    public GenerationStats generate(int[] promptIds, SamplingParams params, IntPredicate onToken) {
        throw new UnsupportedOperationException("placeholder");
    }
}
