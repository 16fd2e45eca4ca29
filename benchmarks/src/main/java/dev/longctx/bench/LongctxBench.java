package dev.longctx.bench;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.generate.GenerationStats;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.sampling.SamplingParams;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/** longctx through its single-sequence {@link Generator}, the path the CLI uses. */
final class LongctxBench implements EngineBench {
    private final Qwen2Model model;
    private final Generator generator;

    LongctxBench(Path modelDir, int threads, int prefillChunk) {
        this.model = Qwen2Model.load(modelDir, EngineOptions.defaults().withThreads(threads).withMaxPrefillChunk(prefillChunk));
        this.generator = new Generator(model);
    }

    @Override
    public String name() { return "longctx"; }

    @Override
    public RunResult run(int[] prompt, int generate) {
        // Greedy with ignore_eos, so every run decodes exactly `generate` tokens whatever the random model emits.
        SamplingParams fixedLength = new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, generate, List.of(), Set.of(), true);
        int[] generated = new int[generate];
        int[] count = {0};
        GenerationStats stats = generator.generate(prompt, fixedLength, token -> {
            generated[count[0]++] = token;
            return true;
        });
        if (stats.generatedTokens() != generate) {
            throw new IllegalStateException("longctx generated " + stats.generatedTokens() + " tokens, expected " + generate
                    + " (finish reason " + stats.finishReason() + ")");
        }
        return new RunResult(stats.prefillTokensPerSecond(), stats.decodeTokensPerSecond(), Arrays.copyOf(generated, count[0]));
    }

    @Override
    public void close() {
        model.close();
    }
}
