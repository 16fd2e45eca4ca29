package dev.longctx.engine.weights;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.junit.jupiter.api.Test;

class WeightReaderTest {

    private static Tensor tensor(DType dtype, long[] shape, float[] values) {
        byte[] bytes = SafetensorsWriter.encode(dtype, values);
        return new Tensor("t", dtype, shape, MemorySegment.ofArray(bytes));
    }

    @Test
    void bf16IsTheTopHalfOfAFloat() {
        assertThat(WeightReader.bf16ToFloat((short) 0x3F80)).isEqualTo(1f);
        assertThat(WeightReader.bf16ToFloat((short) 0xC000)).isEqualTo(-2f);
        assertThat(WeightReader.bf16ToFloat((short) 0x7F80)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(WeightReader.floatToBf16(1f)).isEqualTo((short) 0x3F80);
    }

    @Test
    void floatToBf16RoundsToNearestTiesToEven() {
        float halfwayDown = 1f + 0x1p-8f;      // between 0x3F80 (even) and 0x3F81
        float halfwayUp = 1f + 3 * 0x1p-8f;    // between 0x3F81 and 0x3F82 (even)
        float aboveHalf = 1f + 0x1p-8f + 0x1p-20f;
        assertThat(WeightReader.floatToBf16(halfwayDown)).isEqualTo((short) 0x3F80);
        assertThat(WeightReader.floatToBf16(halfwayUp)).isEqualTo((short) 0x3F82);
        assertThat(WeightReader.floatToBf16(aboveHalf)).isEqualTo((short) 0x3F81);
        assertThat(Float.isNaN(WeightReader.bf16ToFloat(WeightReader.floatToBf16(Float.NaN)))).isTrue();
    }

    @Test
    void readsElementsAndRowsOfEveryDtype() {
        float[] values = {0.5f, -1f, 2f, 3.25f, -0.125f, 8f};
        for (DType dtype : DType.values()) {
            Tensor t = tensor(dtype, new long[] {2, 3}, values);
            assertThat(WeightReader.get(t, 4)).as(dtype.name()).isEqualTo(-0.125f);
            assertThat(WeightReader.get(t, 1, 0)).as(dtype.name()).isEqualTo(3.25f);
            assertThat(WeightReader.row(t, 0)).as(dtype.name()).containsExactly(0.5f, -1f, 2f);
            float[] dst = new float[5];
            WeightReader.readRow(t, 1, dst, 2);
            assertThat(dst).as(dtype.name()).containsExactly(0f, 0f, 3.25f, -0.125f, 8f);
        }
    }

    @Test
    void bf16StorageLosesPrecisionTheWayPytorchDoes() {
        Tensor t = tensor(DType.BF16, new long[] {1}, new float[] {(float) Math.PI});
        assertThat(WeightReader.get(t, 0)).isEqualTo(3.140625f);
        Tensor h = tensor(DType.F16, new long[] {1}, new float[] {(float) Math.PI});
        assertThat(WeightReader.get(h, 0)).isEqualTo(3.140625f);
    }

    @Test
    void readsUnalignedData() {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buffer = arena.allocate(9);
            MemorySegment.copy(MemorySegment.ofArray(SafetensorsWriter.encode(DType.F32, new float[] {1.5f, -7f})), 0, buffer, 1, 8);
            Tensor t = new Tensor("odd", DType.F32, new long[] {2}, buffer.asSlice(1, 8));
            assertThat(WeightReader.toFloatArray(t)).containsExactly(1.5f, -7f);
        }
    }

    @Test
    void outOfRangeReadsNameTheTensor() {
        Tensor t = tensor(DType.F32, new long[] {2, 3}, new float[6]);
        assertThatThrownBy(() -> WeightReader.get(t, 6)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("t F32[2, 3]");
        assertThatThrownBy(() -> WeightReader.row(t, 2)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("row 2");
        assertThatThrownBy(() -> WeightReader.get(t, 0, 3)).isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("column 3");
        assertThatThrownBy(() -> WeightReader.readRow(t, 0, new float[4], 2)).isInstanceOf(IndexOutOfBoundsException.class);
    }
}
