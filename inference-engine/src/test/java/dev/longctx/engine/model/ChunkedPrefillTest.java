package dev.longctx.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.generate.Generator;
import dev.longctx.engine.sampling.SamplingParams;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.TinyQwen2Checkpoint;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Logits must not depend on how the prompt is split into prefill pieces, nor on prefill vs decode. */
class ChunkedPrefillTest {

    @TempDir
    Path dir;

    static int[] randomIds(int n, int vocab, long seed) {
        Random r = new Random(seed);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = r.nextInt(vocab);
        return ids;
    }

    static float maxAbsDiff(float[][] a, float[][] b) {
        float m = 0;
        for (int t = 0; t < a.length; t++) {
            for (int i = 0; i < a[t].length; i++) m = Math.max(m, Math.abs(a[t][i] - b[t][i]));
        }
        return m;
    }

    @Test
    void logitsDoNotDependOnPieceSize() {
        ModelConfig config = TinyQwen2Checkpoint.tinyConfig(false);
        TinyQwen2Checkpoint.write(dir, config, DType.BF16, 1, 42);
        int[] ids = randomIds(45, config.vocabSize(), 7);
        float[][] whole = score(ids, 1000, 16);
        for (int piece : new int[] {1, 7, 16, 44}) {
            for (int block : new int[] {4, 16}) {
                float[][] pieces = score(ids, piece, block);
                assertThat(maxAbsDiff(whole, pieces)).as("piece %d, block %d", piece, block).isLessThanOrEqualTo(1e-5f);
            }
        }
    }

    @Test
    void greedyDecodeAgreesWithScoringTheWholeSequence() {
        ModelConfig config = TinyQwen2Checkpoint.tinyConfig(true);
        TinyQwen2Checkpoint.write(dir, config, DType.F32, 1, 5);
        int[] prompt = randomIds(9, config.vocabSize(), 3);
        EngineOptions options = EngineOptions.defaults().withKvBlockSize(4).withThreads(2);
        List<Integer> generated = new ArrayList<>();
        try (Qwen2Model model = Qwen2Model.load(dir, options)) {
            Generator g = new Generator(model);
            SamplingParams greedy = new SamplingParams(0, 0, 1, 0, 1, 0, 0, null, 12, List.of(), java.util.Set.of(), true);
            g.generate(prompt, greedy, t -> generated.add(t));
            int[] all = new int[prompt.length + generated.size()];
            System.arraycopy(prompt, 0, all, 0, prompt.length);
            for (int i = 0; i < generated.size(); i++) all[prompt.length + i] = generated.get(i);
            float[][] logits = g.score(all, null);
            // Greedy decode picked the argmax of each position's logits; scoring the full sequence must agree.
            for (int i = 0; i < generated.size(); i++) {
                float[] row = logits[prompt.length - 1 + i];
                int argmax = 0;
                for (int v = 1; v < row.length; v++) if (row[v] > row[argmax]) argmax = v;
                assertThat(argmax).as("token %d", i).isEqualTo(generated.get(i));
            }
        }
    }

    private float[][] score(int[] ids, int piece, int block) {
        EngineOptions options = EngineOptions.defaults().withMaxPrefillChunk(piece).withKvBlockSize(block).withThreads(2);
        try (Qwen2Model model = Qwen2Model.load(dir, options)) {
            float[][] logits = new Generator(model).score(ids, null);
            assertThat(logits).hasNumberOfRows(ids.length);
            assertThat(Arrays.stream(logits).allMatch(r -> r.length == model.config().vocabSize())).isTrue();
            return logits;
        }
    }
}
