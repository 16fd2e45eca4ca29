package dev.longctx.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.github.tjake.jlama.safetensors.DType;
import java.nio.file.Path;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jlama loads the writer's checkpoint and decodes a fixed number of tokens deterministically. */
class JlamaBenchTest {
    @TempDir
    Path dir;

    @Test
    void decodesTheRequestedTokensOnTheSmallPreset() throws Exception {
        RandomCheckpointWriter.write(dir, ModelShape.SMALL, 7, 0.02, false);
        CheckpointFacts facts = CheckpointFacts.read(dir);
        int[] prompt = CpuBench.promptIds(16, facts, 1);
        // One instance per JVM: Jlama's thread pool size is process-wide.
        try (JlamaBench jlama = new JlamaBench(dir, 1, 16, DType.BF16)) {
            EngineBench.RunResult first = jlama.run(prompt, 4);
            EngineBench.RunResult second = jlama.run(prompt, 4);
            assertThat(first.generated()).hasSize(4);
            assertThat(IntStream.of(first.generated()).allMatch(id -> id >= 0 && id < facts.vocabSize())).isTrue();
            assertThat(second.generated()).containsExactly(first.generated());
            assertThat(first.prefillTokensPerSecond()).isPositive();
            assertThat(first.decodeTokensPerSecond()).isPositive();
        }
    }

    @Test
    void promptIdsAvoidSpecialTokens() throws Exception {
        RandomCheckpointWriter.write(dir, ModelShape.SMALL, 7, 0.02, false);
        int[] ids = CpuBench.promptIds(1000, CheckpointFacts.read(dir), 3);
        assertThat(IntStream.of(ids).allMatch(id -> id >= 0 && id < ModelShape.SMALL.bosEosTokenId())).isTrue();
    }

    @Test
    void medianOfEvenAndOddCounts() {
        assertThat(CpuBench.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(CpuBench.median(new double[] {4, 1, 3, 2})).isEqualTo(2.5);
    }
}
