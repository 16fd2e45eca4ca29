package dev.longctx.engine.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class SafetensorsFileTest {

    @TempDir Path dir;
    private final Arena arena = Arena.ofConfined();

    @AfterEach
    void closeArena() {
        arena.close();
    }

    /** Values exactly representable in bf16 and f16, so every dtype must read them back bit-exact. */
    static float[] exactValues(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = ((i * 7) % 33 - 16) / 8f;
        return v;
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    void readsBackEveryDtypeExactly(DType dtype) {
        Path file = dir.resolve("t.safetensors");
        float[] values = exactValues(12);
        new SafetensorsWriter()
                .add("a", dtype, new long[] {3, 4}, values)
                .add("b", dtype, new long[] {5}, exactValues(5))
                .write(file);

        SafetensorsFile st = SafetensorsFile.open(file, arena);
        Tensor a = st.tensor("a");
        assertThat(a.dtype()).isEqualTo(dtype);
        assertThat(a.shape()).containsExactly(3, 4);
        assertThat(a.data().byteSize()).isEqualTo(12L * dtype.bytes);
        assertThat(WeightReader.toFloatArray(a)).containsExactly(values);
        assertThat(WeightReader.toFloatArray(st.tensor("b"))).containsExactly(exactValues(5));
        assertThat(st.names()).containsExactly("a", "b");
    }

    @Test
    void tensorDataIsAViewOfTheMappedFileNotACopy() throws IOException {
        Path file = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("w", DType.F32, new long[] {2}, new float[] {1.5f, -2f}).write(file);
        Tensor w = SafetensorsFile.open(file, arena).tensor("w");

        assertThat(w.data().isMapped()).isTrue();
        assertThat(w.data().isReadOnly()).isTrue();
        // The data section ends the file, so the tensor's bytes are exactly the file's last 8 bytes.
        byte[] raw = Files.readAllBytes(file);
        assertThat(w.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))
                .containsExactly(Arrays.copyOfRange(raw, raw.length - 8, raw.length));
    }

    @Test
    void readsMetadataAndEmptyTensors() {
        Path file = dir.resolve("t.safetensors");
        new SafetensorsWriter().metadata("format", "pt")
                .add("empty", DType.BF16, new long[] {0, 4}, new float[0])
                .add("scalar", DType.F32, new long[] {}, new float[] {3f})
                .write(file);
        SafetensorsFile st = SafetensorsFile.open(file, arena);
        assertThat(st.metadata()).containsEntry("format", "pt");
        assertThat(st.names()).containsExactly("empty", "scalar");
        assertThat(st.tensor("empty").data().byteSize()).isZero();
        assertThat(WeightReader.get(st.tensor("scalar"), 0)).isEqualTo(3f);
    }

    @Test
    void aFormatDtypeTheEngineCannotUseFailsOnlyWhenAskedFor() {
        Path file = dir.resolve("t.safetensors");
        new SafetensorsWriter()
                .add("good", DType.F32, new long[] {1}, new float[] {1f})
                .addRaw("position_ids", "I64", new long[] {2}, new byte[16])
                .write(file);
        SafetensorsFile st = SafetensorsFile.open(file, arena);
        assertThat(st.tensor("good")).isNotNull();
        assertThat(st.has("position_ids")).isTrue();
        assertThatThrownBy(() -> st.tensor("position_ids"))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining(file.toString()).hasMessageContaining("'position_ids'").hasMessageContaining("I64");
    }

    // ---- broken and hostile files: one clear message naming the file (and the tensor) ----

    private CheckpointException openFails(Path file) {
        try {
            SafetensorsFile.open(file, arena);
        } catch (CheckpointException e) {
            assertThat(e.getMessage()).contains(file.toString());
            return e;
        }
        throw new AssertionError("opening " + file + " should have failed");
    }

    private Path rawFile(String header, int dataBytes) {
        Path file = dir.resolve("bad.safetensors");
        SafetensorsWriter.writeRaw(file, header, new byte[dataBytes]);
        return file;
    }

    @Test
    void fileShorterThanTheLengthPrefix() throws IOException {
        Path file = dir.resolve("short.safetensors");
        Files.write(file, new byte[] {1, 2, 3});
        assertThat(openFails(file)).hasMessageContaining("truncated").hasMessageContaining("3 bytes");
    }

    @Test
    void emptyFile() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        Files.write(file, new byte[0]);
        assertThat(openFails(file)).hasMessageContaining("truncated");
    }

    @Test
    void headerLengthBeyondTheFile() {
        Path file = dir.resolve("bad.safetensors");
        SafetensorsWriter.writeRaw(file, 1000, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThat(openFails(file)).hasMessageContaining("header length 1000").hasMessageContaining("past the end");
    }

    @Test
    void headerLengthOverTheHundredMegabyteLimit() {
        Path file = dir.resolve("bad.safetensors");
        SafetensorsWriter.writeRaw(file, 100_000_001L, "{}".getBytes(StandardCharsets.UTF_8), new byte[0]);
        assertThat(openFails(file)).hasMessageContaining("100000001").hasMessageContaining("limit");
    }

    @Test
    void headerLengthWithTheTopBitSetIsNotNegativeInTheMessage() {
        Path file = dir.resolve("bad.safetensors");
        SafetensorsWriter.writeRaw(file, -1L, new byte[0], new byte[0]);
        assertThat(openFails(file)).hasMessageContaining("18446744073709551615");
    }

    @Test
    void headerThatIsNotJson() {
        assertThat(openFails(rawFile("{\"a\": {\"dtype\": ", 0))).hasMessageContaining("not valid JSON");
    }

    @Test
    void headerThatIsJsonButNotAnObject() {
        assertThat(openFails(rawFile("[1, 2]", 0))).hasMessageContaining("JSON object");
    }

    @Test
    void duplicateTensorNamesInTheHeader() {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        assertThat(openFails(rawFile(header, 8))).hasMessageContaining("not valid JSON").hasMessageContaining("\"a\"");
    }

    @Test
    void unknownDtype() {
        String header = "{\"w\":{\"dtype\":\"Q7\",\"shape\":[2],\"data_offsets\":[0,2]}}";
        assertThat(openFails(rawFile(header, 2))).hasMessageContaining("tensor 'w'").hasMessageContaining("unknown dtype 'Q7'");
    }

    @Test
    void offsetsPastTheEndOfTheFileMeanATruncatedFile() {
        Path file = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("w", DType.F32, new long[] {4}, new float[4]).write(file);
        truncate(file, 4);
        assertThat(openFails(file)).hasMessageContaining("tensor 'w'").hasMessageContaining("end past the data section");
    }

    @Test
    void offsetsOutOfRange() {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[1000,1004]}}";
        assertThat(openFails(rawFile(header, 8))).hasMessageContaining("tensor 'w'").hasMessageContaining("[1000, 1004]");
    }

    @Test
    void offsetsReversed() {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,4]}}";
        assertThat(openFails(rawFile(header, 8))).hasMessageContaining("tensor 'w'").hasMessageContaining("0 <= begin <= end");
    }

    @Test
    void negativeOffsets() {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}";
        assertThat(openFails(rawFile(header, 8))).hasMessageContaining("tensor 'w'").hasMessageContaining("[-4, 0]");
    }

    @Test
    void offsetsOverlappingAnotherTensor() {
        String header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        assertThat(openFails(rawFile(header, 12))).hasMessageContaining("'b'").hasMessageContaining("overlap tensor 'a'");
    }

    @Test
    void offsetsDisagreeingWithDtypeTimesShape() {
        String header = "{\"w\":{\"dtype\":\"BF16\",\"shape\":[3,2],\"data_offsets\":[0,8]}}";
        assertThat(openFails(rawFile(header, 16)))
                .hasMessageContaining("tensor 'w'").hasMessageContaining("span 8 bytes").hasMessageContaining("needs 12 bytes");
    }

    @Test
    void negativeDimension() {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-3],\"data_offsets\":[0,0]}}";
        assertThat(openFails(rawFile(header, 0))).hasMessageContaining("tensor 'w'").hasMessageContaining("negative dimension -3");
    }

    @Test
    void shapeWhoseByteSizeOverflows() {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,0]}}";
        assertThat(openFails(rawFile(header, 0))).hasMessageContaining("tensor 'w'").hasMessageContaining("too large");
    }

    @Test
    void fractionalShape() {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1.5],\"data_offsets\":[0,4]}}";
        assertThat(openFails(rawFile(header, 4))).hasMessageContaining("tensor 'w'").hasMessageContaining("'shape'");
    }

    @Test
    void entryMissingItsOffsets() {
        String header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}";
        assertThat(openFails(rawFile(header, 4))).hasMessageContaining("tensor 'w'").hasMessageContaining("'data_offsets' is missing");
    }

    @Test
    void missingTensorNamesItAndTheFile() {
        Path file = dir.resolve("t.safetensors");
        new SafetensorsWriter().add("w", DType.F32, new long[] {1}, new float[1]).write(file);
        SafetensorsFile st = SafetensorsFile.open(file, arena);
        assertThatThrownBy(() -> st.tensor("nope"))
                .isInstanceOf(CheckpointException.class)
                .hasMessageContaining("'nope'").hasMessageContaining(file.toString());
    }

    @Test
    void missingFile() {
        assertThat(openFails(dir.resolve("absent.safetensors"))).hasMessageContaining("does not exist");
    }

    static void truncate(Path file, int bytesToDrop) {
        try (var channel = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            channel.truncate(channel.size() - bytesToDrop);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
