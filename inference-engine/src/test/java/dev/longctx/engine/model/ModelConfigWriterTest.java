package dev.longctx.engine.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelConfigWriterTest {

    private static ModelConfig config(Integer bos, List<Integer> eos, boolean tied, DcaConfig dca) {
        return new ModelConfig("Qwen2ForCausalLM", 2048, 256, 768, 6, 8, 2, 32, 1e-6, 1e7, 1_010_000, tied,
                "bfloat16", bos, eos, dca);
    }

    @Test
    void whatItWritesReadsBackEqual() {
        for (ModelConfig c : List.of(
                config(0, List.of(2), true, null),
                config(null, List.of(273, 271), false, new DcaConfig(512, 64, 512)),
                config(1, List.of(), false, new DcaConfig(262_144, 8_192, 262_144)))) {
            assertThat(ModelConfigLoader.parse(ModelConfigWriter.toJson(c), "written")).isEqualTo(c);
        }
    }

    @Test
    void usesTheFieldNamesOfTransformersQwen2Config() {
        String json = ModelConfigWriter.toJson(config(0, List.of(273, 271), true, new DcaConfig(512, 64, 512)));
        assertThat(json).contains("\"model_type\" : \"qwen2\"", "\"num_key_value_heads\" : 2",
                "\"eos_token_id\" : [ 273, 271 ]", "\"dual_chunk_attention_config\"", "\"chunk_size\" : 512");
    }
}
