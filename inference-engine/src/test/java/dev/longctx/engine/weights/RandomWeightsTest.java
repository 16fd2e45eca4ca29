package dev.longctx.engine.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.StepMetadata.Logits;
import dev.longctx.engine.backend.cpu.CpuBackend;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.model.DcaConfig;
import dev.longctx.engine.model.GenerationConfig;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.ModelConfigLoader;
import dev.longctx.engine.model.ModelConfigWriter;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.model.Qwen2TensorNames;
import dev.longctx.engine.model.Qwen2TensorNames.TensorSpec;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RandomWeightsTest {

    /** Two layers, GQA 2:1, head_dim 16, DCA L = 48; untied, so lm_head is its own tensor. */
    static final ModelConfig CONFIG = new ModelConfig("Qwen2ForCausalLM", 96, 64, 96, 2, 4, 2, 16, 1e-6, 1e4, 4096, false,
            "bfloat16", 0, List.of(1), new DcaConfig(64, 16, 32));

    @TempDir Path dir;

    @Test
    void everyTensorOfTheConfigIsBf16OfItsShapeAndPassesTheCheckpointValidator() {
        try (RandomWeights w = RandomWeights.of(CONFIG, 1)) {
            List<TensorSpec> specs = Qwen2TensorNames.expected(CONFIG);
            assertThat(w.names()).containsExactlyInAnyOrderElementsOf(specs.stream().map(TensorSpec::name).toList());
            for (TensorSpec s : specs) {
                Tensor t = w.tensor(s.name());
                assertThat(t.dtype()).as(s.name()).isEqualTo(DType.BF16);
                assertThat(t.shape()).as(s.name()).containsExactly(s.shape());
                assertThat(t.data().byteSize()).as(s.name()).isEqualTo(2 * t.numel());
                assertThat(w.entry(s.name()).engineDType()).isEqualTo(DType.BF16);
            }
            assertThatCode(() -> CheckpointValidator.validate(CONFIG, w)).doesNotThrowAnyException();
            assertThat(w.has(Qwen2TensorNames.LM_HEAD)).isTrue();
            assertThatThrownBy(() -> w.tensor("model.layers.9.mlp.up_proj.weight")).isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("random bf16 weights");
        }
        try (RandomWeights tied = RandomWeights.of(withTiedEmbeddings(CONFIG), 1)) {
            assertThat(tied.has(Qwen2TensorNames.LM_HEAD)).isFalse();
        }
    }

    @Test
    void matricesHaveTheTrainedScaleAndNormsAreNearOne() {
        try (RandomWeights w = RandomWeights.of(CONFIG, 7)) {
            for (TensorSpec s : Qwen2TensorNames.expected(CONFIG)) {
                float[] v = WeightReader.toFloatArray(w.tensor(s.name()));
                double sum = 0, sq = 0;
                float maxAbs = 0, min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
                int zeros = 0;
                for (float x : v) {
                    sum += x;
                    sq += x * x;
                    if (x == 0) zeros++;
                    maxAbs = Math.max(maxAbs, Math.abs(x));
                    min = Math.min(min, x);
                    max = Math.max(max, x);
                }
                double mean = sum / v.length, std = Math.sqrt(sq / v.length - mean * mean);
                assertThat(zeros).as(s.name()).isLessThan(Math.max(2, v.length / 100));
                if (s.name().endsWith("norm.weight")) {
                    assertThat(min).as(s.name()).isGreaterThanOrEqualTo(0.89f);
                    assertThat(max).as(s.name()).isLessThanOrEqualTo(1.11f);
                    assertThat(std).as(s.name()).isGreaterThan(0.01);  // not all ones
                } else {
                    assertThat(Math.abs(mean)).as(s.name()).isLessThan(0.01);
                    // Uniform with std 0.02 has a range of ±0.0346; small tensors are noisier.
                    assertThat(std).as(s.name()).isBetween(0.012, 0.028);
                    assertThat(maxAbs).as(s.name()).isLessThan(0.035f);
                }
            }
        }
    }

    @Test
    void theSameSeedGivesTheSameBytesAndAnotherSeedOthers() {
        try (RandomWeights a = RandomWeights.of(CONFIG, 3); RandomWeights b = RandomWeights.of(CONFIG, 3);
             RandomWeights c = RandomWeights.of(CONFIG, 4)) {
            for (String name : a.names()) {
                byte[] x = a.tensor(name).data().toArray(ValueLayout.JAVA_BYTE);
                assertThat(b.tensor(name).data().toArray(ValueLayout.JAVA_BYTE)).as(name).isEqualTo(x);
                assertThat(c.tensor(name).data().toArray(ValueLayout.JAVA_BYTE)).as(name).isNotEqualTo(x);
            }
            // Tensors of one shape are different windows of the pool, not one shared copy.
            assertThat(a.tensor(Qwen2TensorNames.layer(0, Qwen2TensorNames.GATE_WEIGHT)).data().toArray(ValueLayout.JAVA_BYTE))
                    .isNotEqualTo(a.tensor(Qwen2TensorNames.layer(0, Qwen2TensorNames.UP_WEIGHT)).data().toArray(ValueLayout.JAVA_BYTE));
        }
    }

    @Test
    void hostMemoryIsThePoolOfTheLargestTensorNotTheWholeModel() {
        ModelConfig deep = new ModelConfig("Qwen2ForCausalLM", 96, 64, 96, 32, 4, 2, 16, 1e-6, 1e4, 4096, false,
                "bfloat16", 0, List.of(1), null);
        try (RandomWeights w = RandomWeights.of(deep, 1)) {
            // The largest tensors (embedding, lm_head, gate, up, down) hold 96 x 64 = 6144 elements: a pool of twice
            // that (the slack) in bf16, plus 65 norm vectors of 64.
            assertThat(w.hostBytes()).isEqualTo(2 * (2 * 6144) + 2 * 64 * (2 * 32 + 1));
            assertThat(w.hostBytes()).isLessThan(2 * deep.parameterCount() / 50);
        }
    }

    /**
     * The model loads from random weights through the same path as from a checkpoint: the same tensors written to a
     * safetensors file and loaded from disk give the same logits, bit for bit; and they are finite, not all alike.
     */
    @Test
    void aModelOnRandomWeightsComputesWhatTheSameWeightsFromAFileCompute() throws Exception {
        EngineOptions options = EngineOptions.defaults().withThreads(2).withKvBlockSize(16).withMaxPrefillChunk(64)
                .withSparse(false, 0, null);
        SafetensorsWriter writer = new SafetensorsWriter();
        try (RandomWeights w = RandomWeights.of(CONFIG, 5)) {
            for (String name : w.names()) {
                Tensor t = w.tensor(name);
                writer.addRaw(name, "BF16", t.shape(), t.data().toArray(ValueLayout.JAVA_BYTE));
            }
        }
        writer.write(dir.resolve(Checkpoint.SINGLE_FILE));
        Files.writeString(dir.resolve(ModelConfigLoader.FILE_NAME), ModelConfigWriter.toJson(CONFIG));

        int[] ids = new int[150];
        for (int i = 0; i < ids.length; i++) ids[i] = (i * 37 + 11) % CONFIG.vocabSize();
        float[] fromRandom, fromFile;
        try (Qwen2Model m = Qwen2Model.load(CONFIG, GenerationConfig.empty(), RandomWeights.of(CONFIG, 5), null, options,
                new CpuBackend(2))) {
            fromRandom = lastLogits(m, ids);
        }
        try (Qwen2Model m = Qwen2Model.load(dir, options)) {
            fromFile = lastLogits(m, ids);
        }
        assertThat(fromRandom).containsExactly(fromFile);
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float x : fromRandom) {
            assertThat(Float.isFinite(x)).isTrue();
            min = Math.min(min, x);
            max = Math.max(max, x);
        }
        assertThat(max - min).isGreaterThan(1e-3f);
    }

    private static float[] lastLogits(Qwen2Model m, int[] ids) {
        try (KvCache cache = m.newKvCache(10, 16)) {
            int[] table = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
            float[] last = null;
            for (int start = 0; start < ids.length; start += 64) {
                int end = Math.min(ids.length, start + 64);
                float[][] rows = m.forward(m.newStep(null).add(java.util.Arrays.copyOfRange(ids, start, end), start, table,
                        ids.length, false, end == ids.length ? Logits.LAST : Logits.NONE).build(), cache);
                if (end == ids.length) last = rows[0];
            }
            return last;
        }
    }

    private static ModelConfig withTiedEmbeddings(ModelConfig c) {
        return new ModelConfig(c.architecture(), c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numLayers(),
                c.numHeads(), c.numKvHeads(), c.headDim(), c.rmsNormEps(), c.ropeTheta(), c.maxPositionEmbeddings(), true,
                c.torchDtype(), c.bosTokenId(), c.eosTokenIds(), c.dca());
    }
}
