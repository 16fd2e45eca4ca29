package dev.longctx.engine.weights;

import static dev.longctx.engine.model.Qwen2TensorNames.layer;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.ModelConfigLoader;
import dev.longctx.engine.model.Qwen2TensorNames;
import dev.longctx.engine.model.Qwen2TensorNames.TensorSpec;

class CheckpointValidatorTest {

    @TempDir Path dir;

    @Test
    void expectedNamesAndShapesFollowTheHuggingFaceLayout() {
        ModelConfig c = TinyQwen2Checkpoint.tinyConfig(false);
        List<TensorSpec> specs = Qwen2TensorNames.expected(c);
        assertThat(specs).hasSize(1 + 2 * 12 + 2);
        assertThat(specs.get(0).toString()).isEqualTo("model.embed_tokens.weight [16, 8]");
        assertThat(specs).extracting(TensorSpec::toString).contains(
                "model.layers.1.self_attn.q_proj.weight [8, 8]",
                "model.layers.1.self_attn.q_proj.bias [8]",
                "model.layers.0.self_attn.k_proj.weight [4, 8]",
                "model.layers.0.self_attn.v_proj.bias [4]",
                "model.layers.0.self_attn.o_proj.weight [8, 8]",
                "model.layers.1.mlp.gate_proj.weight [12, 8]",
                "model.layers.1.mlp.down_proj.weight [8, 12]",
                "model.layers.0.post_attention_layernorm.weight [8]",
                "model.norm.weight [8]",
                "lm_head.weight [16, 8]");
        assertThat(Qwen2TensorNames.expected(TinyQwen2Checkpoint.tinyConfig(true)))
                .extracting(TensorSpec::name).doesNotContain(Qwen2TensorNames.LM_HEAD).hasSize(specs.size() - 1);
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void aCompleteSingleFileCheckpointPassesAndReadsBackExactly(DType dtype) {
        ModelConfig config = TinyQwen2Checkpoint.tinyConfig(false);
        TinyQwen2Checkpoint.write(dir, config, dtype, 1, 42);
        assertThat(ModelConfigLoader.load(dir)).isEqualTo(config);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThatCode(() -> CheckpointValidator.validate(config, ckpt)).doesNotThrowAnyException();
            Random random = new Random(42);
            for (TensorSpec spec : Qwen2TensorNames.expected(config)) {
                float[] expected = TinyQwen2Checkpoint.randomValues(spec.shape(), random);
                assertThat(WeightReader.toFloatArray(ckpt.tensor(spec.name()))).as(spec.name()).containsExactly(expected);
            }
        }
    }

    @Test
    void aShardedTiedCheckpointPasses() {
        ModelConfig config = TinyQwen2Checkpoint.tinyConfig(true);
        TinyQwen2Checkpoint.write(dir, config, DType.BF16, 3, 7);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.files()).hasSize(3);
            assertThat(ckpt.has(Qwen2TensorNames.LM_HEAD)).isFalse();
            assertThatCode(() -> CheckpointValidator.validate(config, ckpt)).doesNotThrowAnyException();
        }
    }

    @Test
    void untiedModelWithoutLmHeadFails() {
        TinyQwen2Checkpoint.write(dir, TinyQwen2Checkpoint.tinyConfig(true), DType.BF16, 1, 7);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> CheckpointValidator.validate(TinyQwen2Checkpoint.tinyConfig(false), ckpt))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining(dir.toString())
                    .hasMessageContaining("missing tensor 'lm_head.weight' (expected shape [16, 8])");
        }
    }

    @Test
    void wrongShapeNamesTensorShapeAndExpectation() {
        ModelConfig config = TinyQwen2Checkpoint.tinyConfig(false);
        TinyQwen2Checkpoint.write(dir, config, DType.F32, 1, 1);
        // Rewrite the file with one transposed projection.
        rewriteWith(config, layer(1, Qwen2TensorNames.DOWN_WEIGHT), new long[] {12, 8});
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> CheckpointValidator.validate(config, ckpt))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("(1 problem)")
                    .hasMessageContaining("tensor 'model.layers.1.mlp.down_proj.weight' has shape [12, 8] but the config expects [8, 12]");
        }
    }

    @Test
    void configForAnotherModelListsTheFirstProblemsAndCountsTheRest() {
        TinyQwen2Checkpoint.write(dir, TinyQwen2Checkpoint.tinyConfig(false), DType.BF16, 1, 1);
        ModelConfig wider = new ModelConfig("Qwen2ForCausalLM", 16, 16, 12, 2, 4, 2, 4, 1e-6, 1e6, 128, false, null, null, null, null);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> CheckpointValidator.validate(wider, ckpt))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("27 problems")
                    .hasMessageContaining("tensor 'model.embed_tokens.weight' has shape [16, 8] but the config expects [16, 16]")
                    .hasMessageContaining("... and 15 more");
        }
    }

    @Test
    void weightsWithMoreLayersThanTheConfig() {
        ModelConfig config = TinyQwen2Checkpoint.tinyConfig(false);
        TinyQwen2Checkpoint.write(dir, config, DType.BF16, 1, 1);
        ModelConfig oneLayer = new ModelConfig("Qwen2ForCausalLM", 16, 8, 12, 1, 4, 2, 2, 1e-6, 1e6, 128, false, null, null, null, null);
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> CheckpointValidator.validate(oneLayer, ckpt))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("beyond num_hidden_layers=1");
        }
    }

    @Test
    void unsupportedDtypeOfARequiredTensor() throws IOException {
        ModelConfig config = TinyQwen2Checkpoint.tinyConfig(true);
        TinyQwen2Checkpoint.write(dir, config, DType.F32, 1, 1);
        SafetensorsWriter writer = new SafetensorsWriter();
        Random random = new Random(1);
        for (TensorSpec spec : Qwen2TensorNames.expected(config)) {
            float[] values = TinyQwen2Checkpoint.randomValues(spec.shape(), random);
            if (spec.name().equals(Qwen2TensorNames.FINAL_NORM)) {
                writer.addRaw(spec.name(), "F64", spec.shape(), new byte[values.length * 8]);
            } else {
                writer.add(spec.name(), DType.F32, spec.shape(), values);
            }
        }
        Files.delete(dir.resolve(Checkpoint.SINGLE_FILE));
        writer.write(dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> CheckpointValidator.validate(config, ckpt))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("tensor 'model.norm.weight' has dtype F64");
        }
    }

    /** Rewrites model.safetensors with {@code name} given {@code shape} (same element count) instead of its own. */
    private void rewriteWith(ModelConfig config, String name, long[] shape) {
        SafetensorsWriter writer = new SafetensorsWriter();
        Random random = new Random(1);
        for (TensorSpec spec : Qwen2TensorNames.expected(config)) {
            float[] values = TinyQwen2Checkpoint.randomValues(spec.shape(), random);
            writer.add(spec.name(), DType.F32, spec.name().equals(name) ? shape : spec.shape(), values);
        }
        writer.write(dir.resolve(Checkpoint.SINGLE_FILE));
    }
}
