package dev.longctx.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.longctx.engine.weights.CheckpointException;

class GenerationConfigLoaderTest {

    @TempDir Path dir;

    @Test
    void missingFileMeansNoDefaults() {
        assertThat(GenerationConfigLoader.load(dir)).isEqualTo(GenerationConfig.empty());
    }

    @Test
    void readsQwenGenerationConfig() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), """
                {"bos_token_id": 151643, "pad_token_id": 151643, "do_sample": true,
                 "eos_token_id": [151645, 151643], "repetition_penalty": 1.05,
                 "temperature": 0.7, "top_p": 0.8, "top_k": 20, "transformers_version": "4.43.1"}
                """);
        assertThat(GenerationConfigLoader.load(dir)).isEqualTo(new GenerationConfig(
                java.util.List.of(151645, 151643), 151643, 151643, true, 0.7, 0.8, 20, null, 1.05, null));
    }

    @Test
    void singleEosIdAndMaxNewTokens() throws IOException {
        Files.writeString(dir.resolve("generation_config.json"), "{\"eos_token_id\": 2, \"min_p\": 0.05, \"max_new_tokens\": 512}");
        GenerationConfig g = GenerationConfigLoader.load(dir);
        assertThat(g.eosTokenIds()).containsExactly(2);
        assertThat(g.minP()).isEqualTo(0.05);
        assertThat(g.maxNewTokens()).isEqualTo(512);
        assertThat(g.temperature()).isNull();
    }

    @Test
    void brokenFileIsAnErrorNamingIt() throws IOException {
        Path file = dir.resolve("generation_config.json");
        Files.writeString(file, "{\"temperature\": ");
        assertThatThrownBy(() -> GenerationConfigLoader.load(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("not valid JSON");
    }

    @Test
    void wrongTypeNamesTheField() throws IOException {
        Path file = dir.resolve("generation_config.json");
        Files.writeString(file, "{\"top_k\": \"twenty\"}");
        assertThatThrownBy(() -> GenerationConfigLoader.load(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("'top_k'");
    }
}
