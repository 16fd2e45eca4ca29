package dev.longctx.engine.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir Path dir;

    /** What numpy 2.4 writes for np.save(f, np.arange(6, dtype='<f4').reshape(2, 3)), header only. */
    private static final String NUMPY_HEADER_2x3_F4 = "\u0093NUMPY\u0001\u0000v\u0000{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"
            + " ".repeat(58) + "\n";

    /** np.save of np.array([[1.5, -2.25], [3.0, 1e-300]], dtype='<f8'), produced by numpy. */
    private static final String NUMPY_2x2_F8_BASE64 = "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDIpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD4PwAAAAAAAALAAAAAAAAACEBZ8/jCH26lAQ==";

    @Test
    void float32HeaderMatchesNumpyByteForByte() throws IOException {
        Path f = dir.resolve("a.npy");
        Npy.writeFloat32(f, new float[][] {{0, 1, 2}, {3, 4, 5}});
        byte[] bytes = Files.readAllBytes(f);

        byte[] expectedHeader = NUMPY_HEADER_2x3_F4.getBytes(StandardCharsets.ISO_8859_1);
        assertThat(expectedHeader).hasSize(128);
        assertThat(Arrays.copyOf(bytes, 128)).isEqualTo(expectedHeader);
        assertThat(bytes).hasSize(128 + 6 * 4);
        ByteBuffer data = ByteBuffer.wrap(bytes, 128, 24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) assertThat(data.getFloat()).isEqualTo((float) i);
    }

    @Test
    void headerLengthIsAlwaysAMultipleOf64() {
        for (int[] shape : new int[][] {{1, 1}, {7, 151936}, {123456, 152064}, {5}}) {
            byte[] h = Npy.header("<f4", shape);
            assertThat(h.length % 64).as(Arrays.toString(shape)).isZero();
            assertThat(h[h.length - 1]).isEqualTo((byte) '\n');
            int declared = (h[8] & 0xff) | (h[9] & 0xff) << 8;
            assertThat(declared).isEqualTo(h.length - 10);
        }
        assertThat(new String(Npy.header("<f4", 5), StandardCharsets.US_ASCII)).contains("'shape': (5,)");
    }

    @Test
    void roundTripsFloat32IncludingSpecialValues() throws IOException {
        float[][] rows = {{1.5f, -0f, Float.NaN, Float.NEGATIVE_INFINITY}, {Float.MIN_VALUE, Float.MAX_VALUE, -3.25f, 1e-20f}};
        Path f = dir.resolve("r.npy");
        Npy.writeFloat32(f, rows);
        Npy.Array a = Npy.read(f);
        assertThat(a.shape()).containsExactly(2, 4);
        assertThat(a.dtype()).isEqualTo("<f4");
        float[][] back = a.toFloatMatrix();
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 4; c++) {
                assertThat(Float.floatToRawIntBits(back[r][c])).isEqualTo(Float.floatToRawIntBits(rows[r][c]));
            }
        }
    }

    @Test
    void readsFloat64WrittenByNumpy() throws IOException {
        Path f = dir.resolve("b.npy");
        Files.write(f, Base64.getDecoder().decode(NUMPY_2x2_F8_BASE64));
        Npy.Array a = Npy.read(f);
        assertThat(a.shape()).containsExactly(2, 2);
        assertThat(a.dtype()).isEqualTo("<f8");
        assertThat(a.data()).containsExactly(1.5, -2.25, 3.0, 1e-300);
        assertThat(a.get(1, 0)).isEqualTo(3.0);
    }

    @Test
    void streamingWriterRefusesToCloseAnIncompleteFile() throws IOException {
        Path f = dir.resolve("short.npy");
        Npy.Float32Writer w = Npy.openFloat32(f, 3, 2);
        w.writeRow(new float[] {1, 2});
        assertThatThrownBy(() -> w.writeRow(new float[] {1, 2, 3})).hasMessageContaining("2 columns");
        assertThatThrownBy(w::close).isInstanceOf(IOException.class).hasMessageContaining("wrote 1 of 3 rows");
    }

    @Test
    void rejectsTruncatedAndForeignFiles() throws IOException {
        Path f = dir.resolve("t.npy");
        Npy.writeFloat32(f, new float[][] {{1, 2, 3}});
        byte[] all = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(all, all.length - 1));
        assertThatThrownBy(() -> Npy.read(f)).isInstanceOf(IOException.class).hasMessageContaining("truncated");

        Path g = dir.resolve("g.npy");
        Files.writeString(g, "not numpy at all");
        assertThatThrownBy(() -> Npy.read(g)).isInstanceOf(IOException.class).hasMessageContaining("bad magic");
    }
}
