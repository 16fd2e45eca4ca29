package dev.longctx.engine.weights;

import static dev.longctx.engine.weights.SafetensorsFileTest.exactValues;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointTest {

    @TempDir Path dir;

    private static final String INDEX = """
            {"metadata": {"total_size": 1234},
             "weight_map": {
               "model.embed_tokens.weight": "model-00001-of-00002.safetensors",
               "model.norm.weight": "model-00002-of-00002.safetensors",
               "lm_head.weight": "model-00002-of-00002.safetensors"}}
            """;

    private void writeShards() throws IOException {
        new SafetensorsWriter()
                .add("model.embed_tokens.weight", DType.BF16, new long[] {4, 3}, exactValues(12))
                .write(dir.resolve("model-00001-of-00002.safetensors"));
        new SafetensorsWriter()
                .add("model.norm.weight", DType.F16, new long[] {3}, new float[] {1f, 0.5f, -0.25f})
                .add("lm_head.weight", DType.F32, new long[] {4, 3}, exactValues(12))
                .write(dir.resolve("model-00002-of-00002.safetensors"));
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), INDEX);
    }

    @Test
    void opensASingleFileCheckpoint() {
        new SafetensorsWriter()
                .add("x", DType.BF16, new long[] {2, 2}, new float[] {1f, 2f, 3f, -4f})
                .write(dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.names()).containsExactly("x");
            assertThat(ckpt.has("x")).isTrue();
            assertThat(ckpt.has("y")).isFalse();
            assertThat(WeightReader.row(ckpt.tensor("x"), 1)).containsExactly(3f, -4f);
        }
    }

    @Test
    void opensAShardedCheckpointThroughItsIndex() throws IOException {
        writeShards();
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.names()).containsExactlyInAnyOrder("model.embed_tokens.weight", "model.norm.weight", "lm_head.weight");
            assertThat(ckpt.files()).hasSize(2);
            assertThat(WeightReader.toFloatArray(ckpt.tensor("model.embed_tokens.weight"))).containsExactly(exactValues(12));
            assertThat(WeightReader.toFloatArray(ckpt.tensor("model.norm.weight"))).containsExactly(1f, 0.5f, -0.25f);
            assertThat(WeightReader.toFloatArray(ckpt.tensor("lm_head.weight"))).containsExactly(exactValues(12));
            assertThat(ckpt.tensor("model.norm.weight").dtype()).isEqualTo(DType.F16);
        }
    }

    @Test
    void theIndexDecidesWhichTensorsExist() throws IOException {
        writeShards();
        // A stray file next to the shards is not part of the checkpoint.
        new SafetensorsWriter().add("stray", DType.F32, new long[] {1}, new float[1]).write(dir.resolve("extra.safetensors"));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.has("stray")).isFalse();
        }
    }

    @Test
    void aSingleFileWinsOverAnIndexAsInTransformers() throws IOException {
        writeShards();
        new SafetensorsWriter().add("only", DType.F32, new long[] {1}, new float[] {1f}).write(dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.names()).containsExactly("only");
        }
    }

    @Test
    void fallsBackToEverySafetensorsFileWithoutIndex() {
        new SafetensorsWriter().add("a", DType.F32, new long[] {1}, new float[] {7f}).write(dir.resolve("part-b.safetensors"));
        new SafetensorsWriter().add("b", DType.BF16, new long[] {1}, new float[] {-2f}).write(dir.resolve("part-a.safetensors"));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThat(ckpt.names()).containsExactly("a", "b");
            assertThat(WeightReader.get(ckpt.tensor("a"), 0)).isEqualTo(7f);
            assertThat(WeightReader.get(ckpt.tensor("b"), 0)).isEqualTo(-2f);
        }
    }

    @Test
    void tensorsCanBeReadFromAnotherThread() throws Exception {
        new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new float[] {5f}).write(dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            Tensor x = ckpt.tensor("x");
            float[] seen = new float[1];
            Thread reader = Thread.ofPlatform().start(() -> seen[0] = WeightReader.get(x, 0));
            reader.join();
            assertThat(seen[0]).isEqualTo(5f);
        }
    }

    @Test
    void closeUnmapsAndIsIdempotent() {
        new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new float[] {5f}).write(dir.resolve(Checkpoint.SINGLE_FILE));
        Checkpoint ckpt = Checkpoint.open(dir);
        Tensor x = ckpt.tensor("x");
        ckpt.close();
        ckpt.close();
        assertThatThrownBy(() -> WeightReader.get(x, 0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void missingTensorNamesTheTensorAndTheModelDir() {
        new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new float[1]).write(dir.resolve(Checkpoint.SINGLE_FILE));
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            assertThatThrownBy(() -> ckpt.tensor("model.norm.weight"))
                    .isInstanceOf(CheckpointException.class)
                    .hasMessageContaining("'model.norm.weight'").hasMessageContaining(dir.toString());
        }
    }

    @Test
    void shardListedInTheIndexButMissing() throws IOException {
        writeShards();
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("model-00002-of-00002.safetensors").hasMessageContaining("missing")
                .hasMessageContaining(Checkpoint.INDEX_FILE);
    }

    @Test
    void indexMapsATensorToAShardThatLacksIt() throws IOException {
        writeShards();
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE),
                INDEX.replace("\"lm_head.weight\": \"model-00002", "\"lm_head.weight\": \"model-00001"));
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("'lm_head.weight'").hasMessageContaining("model-00001-of-00002.safetensors");
    }

    @Test
    void indexCannotPointOutsideTheModelDir() throws IOException {
        Path model = Files.createDirectory(dir.resolve("model"));
        new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new float[1]).write(dir.resolve("outside.safetensors"));
        Files.writeString(model.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\": {\"x\": \"../outside.safetensors\"}}");
        assertThatThrownBy(() -> Checkpoint.open(model))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("../outside.safetensors").hasMessageContaining("not a file name inside");
    }

    @Test
    void indexThatIsNotJson() throws IOException {
        writeShards();
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"weight_map\": ");
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(dir.resolve(Checkpoint.INDEX_FILE).toString()).hasMessageContaining("not valid JSON");
    }

    @Test
    void indexWithoutWeightMap() throws IOException {
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), "{\"metadata\": {}}");
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(Checkpoint.INDEX_FILE).hasMessageContaining("'weight_map' is missing");
    }

    @Test
    void brokenShardNamesTheShard() throws IOException {
        writeShards();
        Path shard = dir.resolve("model-00002-of-00002.safetensors");
        SafetensorsFileTest.truncate(shard, 10);
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(shard.toString()).hasMessageContaining("'lm_head.weight'");
    }

    @Test
    void sameTensorInTwoFilesWithoutIndex() {
        new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new float[1]).write(dir.resolve("a.safetensors"));
        new SafetensorsWriter().add("x", DType.F32, new long[] {1}, new float[1]).write(dir.resolve("b.safetensors"));
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("'x'").hasMessageContaining("a.safetensors").hasMessageContaining("b.safetensors");
    }

    @Test
    void directoryWithoutWeights() {
        assertThatThrownBy(() -> Checkpoint.open(dir))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("no weights in " + dir);
    }

    @Test
    void modelDirThatDoesNotExist() {
        Path absent = dir.resolve("absent");
        assertThatThrownBy(() -> Checkpoint.open(absent))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(absent.toString());
    }
}
