package dev.longctx.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import dev.longctx.engine.weights.CheckpointException;

class ModelConfigLoaderTest {

    @TempDir Path dir;

    /** The shape of Qwen2.5-7B-Instruct-1M's config.json as written by transformers 4.x. */
    static final String QWEN25_7B_1M_V4 = """
            {
              "architectures": ["Qwen2ForCausalLM"],
              "attention_dropout": 0.0,
              "bos_token_id": 151643,
              "eos_token_id": 151645,
              "hidden_act": "silu",
              "hidden_size": 3584,
              "initializer_range": 0.02,
              "intermediate_size": 18944,
              "max_position_embeddings": 1010000,
              "max_window_layers": 28,
              "model_type": "qwen2",
              "num_attention_heads": 28,
              "num_hidden_layers": 28,
              "num_key_value_heads": 4,
              "rms_norm_eps": 1e-05,
              "rope_scaling": null,
              "rope_theta": 10000000.0,
              "sliding_window": 32768,
              "tie_word_embeddings": false,
              "torch_dtype": "bfloat16",
              "transformers_version": "4.43.1",
              "use_cache": true,
              "use_sliding_window": false,
              "vocab_size": 152064,
              "dual_chunk_attention_config": {
                "chunk_size": 262144,
                "local_size": 8192,
                "original_max_position_embeddings": 262144
              }
            }
            """;

    /** The same model as transformers 5.x writes it: rope_parameters and dtype. */
    static final String QWEN25_14B_1M_V5 = """
            {
              "architectures": ["Qwen2ForCausalLM"],
              "bos_token_id": 151643,
              "dtype": "bfloat16",
              "eos_token_id": [151645, 151643],
              "hidden_size": 5120,
              "intermediate_size": 13824,
              "max_position_embeddings": 1010000,
              "model_type": "qwen2",
              "num_attention_heads": 40,
              "num_hidden_layers": 48,
              "num_key_value_heads": 8,
              "rms_norm_eps": 1e-05,
              "rope_parameters": {"rope_type": "default", "rope_theta": 10000000.0},
              "tie_word_embeddings": false,
              "transformers_version": "5.0.0",
              "vocab_size": 152064,
              "dual_chunk_attention_config": {"chunk_size": 262144, "local_size": 8192, "original_max_position_embeddings": 262144}
            }
            """;

    private Path writeConfig(String json) throws IOException {
        Files.writeString(dir.resolve("config.json"), json);
        return dir;
    }

    private CheckpointException loadFails(String json) throws IOException {
        writeConfig(json);
        try {
            ModelConfigLoader.load(dir);
        } catch (CheckpointException e) {
            assertThat(e.getMessage()).contains(dir.resolve("config.json").toString());
            return e;
        }
        throw new AssertionError("loading should have failed");
    }

    @Test
    void readsTransformers4Layout() throws IOException {
        ModelConfig c = ModelConfigLoader.load(writeConfig(QWEN25_7B_1M_V4));
        assertThat(c).isEqualTo(new ModelConfig("Qwen2ForCausalLM", 152064, 3584, 18944, 28, 28, 4, 128, 1e-5, 1e7,
                1010000, false, "bfloat16", 151643, java.util.List.of(151645), new DcaConfig(262144, 8192, 262144)));
    }

    @Test
    void readsTransformers5Layout() throws IOException {
        ModelConfig c = ModelConfigLoader.load(writeConfig(QWEN25_14B_1M_V5));
        assertThat(c.hiddenSize()).isEqualTo(5120);
        assertThat(c.numLayers()).isEqualTo(48);
        assertThat(c.numHeads()).isEqualTo(40);
        assertThat(c.numKvHeads()).isEqualTo(8);
        assertThat(c.headDim()).isEqualTo(128);
        assertThat(c.ropeTheta()).isEqualTo(1e7);
        assertThat(c.torchDtype()).isEqualTo("bfloat16");
        assertThat(c.eosTokenIds()).containsExactly(151645, 151643);
        assertThat(c.dca()).isEqualTo(new DcaConfig(262144, 8192, 262144));
    }

    @Test
    void minimalConfigTakesQwen2Defaults() throws IOException {
        ModelConfig c = ModelConfigLoader.load(writeConfig("""
                {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4}
                """));
        assertThat(c.numKvHeads()).isEqualTo(4);
        assertThat(c.headDim()).isEqualTo(8);
        assertThat(c.ropeTheta()).isEqualTo(10_000.0);
        assertThat(c.rmsNormEps()).isEqualTo(1e-6);
        assertThat(c.maxPositionEmbeddings()).isEqualTo(32_768);
        assertThat(c.tieWordEmbeddings()).isFalse();
        assertThat(c.architecture()).isNull();
        assertThat(c.torchDtype()).isNull();
        assertThat(c.bosTokenId()).isNull();
        assertThat(c.eosTokenIds()).isEmpty();
        assertThat(c.dca()).isNull();
    }

    @Test
    void explicitHeadDimWinsOverHiddenOverHeads() throws IOException {
        ModelConfig c = ModelConfigLoader.load(writeConfig("""
                {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16, "tie_word_embeddings": true}
                """));
        assertThat(c.headDim()).isEqualTo(16);
        assertThat(c.qDim()).isEqualTo(64);
        assertThat(c.kvDim()).isEqualTo(32);
        assertThat(c.tieWordEmbeddings()).isTrue();
    }

    @Test
    void ropeThetaFromRopeParametersWinsOverTopLevel() throws IOException {
        ModelConfig c = ModelConfigLoader.load(writeConfig(QWEN25_14B_1M_V5.replace("\"dtype\"", "\"rope_theta\": 5.0, \"dtype\"")));
        assertThat(c.ropeTheta()).isEqualTo(1e7);
    }

    @Test
    void ropeParametersWithoutThetaFallBackToTopLevel() throws IOException {
        ModelConfig c = ModelConfigLoader.load(writeConfig(QWEN25_14B_1M_V5
                .replace("\"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 10000000.0}",
                        "\"rope_parameters\": {\"rope_type\": \"default\"}, \"rope_theta\": 500000")));
        assertThat(c.ropeTheta()).isEqualTo(500_000.0);
    }

    @Test
    void integralFloatsAreAcceptedAsIntegers() throws IOException {
        ModelConfig c = ModelConfigLoader.load(writeConfig(QWEN25_7B_1M_V4.replace("\"hidden_size\": 3584", "\"hidden_size\": 3584.0")));
        assertThat(c.hiddenSize()).isEqualTo(3584);
    }

    // ---- errors name the file and the field ----

    @Test
    void missingConfigJson() {
        assertThatThrownBy(() -> ModelConfigLoader.load(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("config.json").hasMessageContaining(dir.toString()).hasMessageContaining("does not exist");
    }

    @Test
    void badJson() throws IOException {
        assertThat(loadFails("{\"vocab_size\": 10,")).hasMessageContaining("not valid JSON").hasMessageContaining("line");
    }

    @ParameterizedTest
    @ValueSource(strings = {"vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads"})
    void missingRequiredField(String field) throws IOException {
        String json = QWEN25_7B_1M_V4.replaceAll("\"" + field + "\": \\d+,", "");
        assertThat(json).doesNotContain("\"" + field + "\"");
        assertThat(loadFails(json)).hasMessageContaining("'" + field + "' is missing");
    }

    @Test
    void fieldOfTheWrongType() throws IOException {
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"num_hidden_layers\": 28", "\"num_hidden_layers\": \"28\"")))
                .hasMessageContaining("'num_hidden_layers'").hasMessageContaining("integer");
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"hidden_size\": 3584", "\"hidden_size\": 3584.5")))
                .hasMessageContaining("'hidden_size'");
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": \"no\"")))
                .hasMessageContaining("'tie_word_embeddings'");
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"eos_token_id\": 151645", "\"eos_token_id\": [151645, \"x\"]")))
                .hasMessageContaining("'eos_token_id[1]'");
    }

    @Test
    void nonPositiveSize() throws IOException {
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"intermediate_size\": 18944", "\"intermediate_size\": 0")))
                .hasMessageContaining("'intermediate_size' must be > 0");
    }

    @Test
    void headsNotAMultipleOfKvHeads() throws IOException {
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"num_key_value_heads\": 4", "\"num_key_value_heads\": 3")))
                .hasMessageContaining("num_key_value_heads (3)");
    }

    @Test
    void hiddenNotDivisibleByHeadsWithoutHeadDim() throws IOException {
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"hidden_size\": 3584", "\"hidden_size\": 3585")))
                .hasMessageContaining("head_dim");
    }

    @Test
    void scaledRopeIsRefused() throws IOException {
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"rope_scaling\": null",
                "\"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}")))
                .hasMessageContaining("'rope_scaling'").hasMessageContaining("yarn");
        assertThat(loadFails(QWEN25_14B_1M_V5.replace("\"rope_type\": \"default\"", "\"rope_type\": \"linear\"")))
                .hasMessageContaining("'rope_parameters'").hasMessageContaining("linear");
    }

    @Test
    void invalidDualChunkConfig() throws IOException {
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"local_size\": 8192", "\"local_size\": 262144")))
                .hasMessageContaining("dual_chunk_attention_config");
        assertThat(loadFails(QWEN25_7B_1M_V4.replace("\"chunk_size\": 262144,", "")))
                .hasMessageContaining("dual_chunk_attention_config").hasMessageContaining("'chunk_size' is missing");
    }

    @Test
    void configThatIsNotAnObject() throws IOException {
        assertThat(loadFails("[]")).hasMessageContaining("JSON object");
    }
}
