package dev.longctx.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class RandomCheckpointWriterTest {
    @TempDir
    static Path dir;

    @BeforeAll
    static void writeSmallCheckpoint() throws Exception {
        RandomCheckpointWriter.write(dir, ModelShape.SMALL, 42, 0.02, false);
    }

    @Test
    void headerDescribesEveryTensorBackToBack() {
        CheckpointFacts facts = CheckpointFacts.read(dir);
        long expected = ModelShape.SMALL.tensors(0.02).stream().mapToLong(t -> t.elements() * 2).sum();
        assertThat(facts.totalWeightBytes()).isEqualTo(expected);
        // Tied: the embedding is the lm_head, so decode streams every byte of the checkpoint.
        assertThat(facts.weightBytesPerToken()).isEqualTo(expected);
        assertThat(facts.vocabSize()).isEqualTo(8192);
    }

    @Test
    void fileSizeIsHeaderPlusData() throws Exception {
        long size = Files.size(dir.resolve("model.safetensors"));
        long data = CheckpointFacts.read(dir).totalWeightBytes();
        long headerLength = size - 8 - data;
        assertThat(headerLength % 8).as("data starts 8-byte aligned").isZero();
    }

    @Test
    void writingTwiceGivesTheSameBytes(@TempDir Path other) throws Exception {
        RandomCheckpointWriter.write(other, ModelShape.SMALL, 42, 0.02, false);
        assertThat(Files.mismatch(dir.resolve("model.safetensors"), other.resolve("model.safetensors"))).isEqualTo(-1);
    }

    @Test
    void configIsQwen2Transformers4Layout() throws Exception {
        JsonNode config = JsonMapper.builder().build().readTree(dir.resolve("config.json").toFile());
        assertThat(config.get("architectures").get(0).asString()).isEqualTo("Qwen2ForCausalLM");
        assertThat(config.get("model_type").asString()).isEqualTo("qwen2");
        assertThat(config.get("rope_theta").asDouble()).isEqualTo(1_000_000.0);
        assertThat(config.get("torch_dtype").asString()).isEqualTo("bfloat16");
        assertThat(config.get("eos_token_id").isInt()).as("Jlama reads a single eos id").isTrue();
    }

    @Test
    void tokenizerCoversEveryIdWithValidMerges() throws Exception {
        JsonNode tok = JsonMapper.builder().build().readTree(dir.resolve("tokenizer.json").toFile());
        JsonNode vocab = tok.get("model").get("vocab");
        Set<Long> ids = new HashSet<>();
        Set<String> strings = new HashSet<>();
        for (Map.Entry<String, JsonNode> e : vocab.properties()) {
            ids.add(e.getValue().asLong());
            strings.add(e.getKey());
        }
        int firstSpecial = ModelShape.SMALL.bosEosTokenId();
        // HF numbers added tokens after the model vocabulary, so that vocabulary must be exactly 0..firstSpecial-1.
        assertThat(ids).hasSize(firstSpecial).allMatch(id -> id >= 0 && id < firstSpecial);
        List<Long> added = new ArrayList<>();
        tok.get("added_tokens").values().forEach(t -> added.add(t.get("id").asLong()));
        assertThat(added).hasSize(ModelShape.SMALL.vocabSize() - firstSpecial);
        assertThat(added.getFirst()).isEqualTo(firstSpecial);
        for (JsonNode merge : tok.get("model").get("merges").values()) {
            String[] parts = merge.asString().split(" ");
            assertThat(parts).hasSize(2);
            assertThat(strings).contains(parts[0], parts[1], parts[0] + parts[1]);
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertThat(SafetensorsWriter.toBf16(1.0f)).isEqualTo((short) 0x3F80);
        // 1 + 2^-8 is halfway between two bf16 values; ties go to the even one (1.0).
        assertThat(SafetensorsWriter.toBf16(1.00390625f)).isEqualTo((short) 0x3F80);
        assertThat(SafetensorsWriter.toBf16(-2.0f)).isEqualTo((short) 0xC000);
    }
}
