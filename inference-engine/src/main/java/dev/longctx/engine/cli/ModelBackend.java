package dev.longctx.engine.cli;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.RecallRecorder;
import dev.longctx.engine.generate.GenerationStats;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.model.GenerationConfig;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.sampling.SamplingParams;
import java.nio.file.Path;
import java.util.function.IntPredicate;

/**
 * What the CLI needs from a loaded model. The commands talk to this rather than to {@link Qwen2Model} directly so
 * that their parsing, streaming, stop handling and output files can be tested without model weights.
 */
public interface ModelBackend extends AutoCloseable {

    ModelConfig config();

    GenerationConfig generationConfig();

    /** Logits for every position: [ids.length][vocab]. */
    float[][] score(int[] ids, RecallRecorder recorderOrNull);

    GenerationStats generate(int[] promptIds, SamplingParams params, IntPredicate onToken);

    @Override
    void close();

    @FunctionalInterface
    interface Loader {
        ModelBackend load(Path modelDir, EngineOptions options);
    }

    /** The real engine. */
    static ModelBackend loadQwen2(Path modelDir, EngineOptions options) {
        Qwen2Model model = Qwen2Model.load(modelDir, options);
        Generator generator = new Generator(model);
        return new ModelBackend() {
            @Override public ModelConfig config() { return model.config(); }
            @Override public GenerationConfig generationConfig() { return model.generationConfig(); }
            @Override public float[][] score(int[] ids, RecallRecorder r) { return generator.score(ids, r); }
            @Override public GenerationStats generate(int[] p, SamplingParams s, IntPredicate cb) { return generator.generate(p, s, cb); }
            @Override public void close() { model.close(); }
        };
    }
}
