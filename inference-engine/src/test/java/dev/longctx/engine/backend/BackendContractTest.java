package dev.longctx.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheSpec;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.SafetensorsWriter;
import dev.longctx.engine.weights.Tensor;
import dev.longctx.engine.weights.WeightReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Every backend must agree with a naive scalar reference on every op, through its own buffers and weights. A new
 * backend (CUDA) extends this class and supplies {@link #backend()} and, if its arithmetic is coarser,
 * {@link #relativeTolerance()}; the same cases then run against it.
 */
public abstract class BackendContractTest {

    /** The backend under test; the subclass owns its lifetime. */
    protected abstract Backend backend();

    /** Allowed error relative to the size of the value (fp32 backends: 1e-5; bf16 ones larger). */
    protected double relativeTolerance() { return 1e-5; }

    protected static Tensor tensor(DType dtype, long[] shape, long seed) {
        long numel = 1;
        for (long s : shape) numel *= s;
        float[] values = new float[(int) numel];
        Random r = new Random(seed);
        for (int i = 0; i < values.length; i++) values[i] = (float) r.nextGaussian();
        byte[] bytes = SafetensorsWriter.encode(dtype, values);
        MemorySegment seg = Arena.ofAuto().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new Tensor("w" + seed, dtype, shape, seg);
    }

    protected static Tensor matrix(DType dtype, int rows, int cols, long seed) {
        return tensor(dtype, new long[] {rows, cols}, seed);
    }

    protected static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    /** A buffer of rows × cols holding x (whole rows), plus spare rows the ops must leave alone. */
    protected DeviceBuffer buffer(float[] x, int rows, int cols) {
        DeviceBuffer b = backend().allocate(rows + 3, cols);
        backend().copyFromHost(x, b, 0);
        return b;
    }

    protected float[] host(DeviceBuffer b, int rows) {
        float[] out = new float[(int) (rows * b.cols())];
        backend().copyToHost(b, 0, rows, out);
        return out;
    }

    /** |actual − expected| within the relative tolerance of {@code scale} (a sum's Σ|terms|, or the value itself), at least of 1. */
    private void assertClose(float actual, double expected, double scale, String what) {
        assertThat((double) actual).as(what).isCloseTo(expected, within(relativeTolerance() * Math.max(1, scale) + 1e-6));
    }

    @ParameterizedTest(name = "{0} rows={1} cols={2} n={3}")
    @CsvSource({
            "BF16, 37, 64, 1", "BF16, 37, 64, 2", "BF16, 37, 96, 1", "BF16, 300, 96, 2", "BF16, 29, 48, 2", "BF16, 40, 96, 17", "BF16, 13, 20, 1", "BF16, 13, 20, 5",
            "F16, 21, 48, 1", "F16, 21, 33, 9",
            "F32, 19, 64, 1", "F32, 19, 35, 1", "F32, 33, 80, 6"})
    void matmulMatchesNaiveReference(DType dtype, int rows, int cols, int n) {
        Tensor w = matrix(dtype, rows, cols, rows * 31L + cols);
        float[] x = random(n * cols, n);
        DeviceBuffer out = backend().allocate(n + 2, rows);
        backend().matmul(backend().upload(w), buffer(x, n, cols), n, out);
        float[] got = host(out, n);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double expected = 0, scale = 0;
                for (int c = 0; c < cols; c++) {
                    double p = (double) x[t * cols + c] * WeightReader.get(w, r, c);
                    expected += p;
                    scale += Math.abs(p);
                }
                assertClose(got[t * rows + r], expected, scale, "out[" + t + "," + r + "]");
            }
        }
    }

    @ParameterizedTest(name = "n={0}")
    @CsvSource({"1", "2", "5", "70"})
    void aStackedWeightIsItsPartsSideBySide(int n) {
        // q/k/v of different heights with the same width: one GEMM must equal three.
        List<Tensor> parts = List.of(matrix(DType.BF16, 48, 64, 1), matrix(DType.BF16, 16, 64, 2), matrix(DType.BF16, 16, 64, 3));
        float[] x = random(n * 64, 4);
        DeviceBuffer in = buffer(x, n, 64);
        DeviceBuffer fused = backend().allocate(n, 80);
        backend().matmul(backend().uploadStacked("qkv", parts), in, n, fused);
        float[] got = host(fused, n);
        int col = 0;
        for (Tensor part : parts) {
            DeviceBuffer alone = backend().allocate(n, part.rows());
            backend().matmul(backend().upload(part), in, n, alone);
            float[] want = host(alone, n);
            for (int t = 0; t < n; t++) {
                for (int r = 0; r < part.rows(); r++) {
                    // Equal up to the backend's rounding: a GPU library may pick another GEMM kernel for another shape.
                    assertClose(got[t * 80 + col + r], want[t * part.rows() + r], Math.abs(want[t * part.rows() + r]),
                            "row " + t + " col " + (col + r));
                }
            }
            col += part.rows();
        }
        // Stacked vectors (the q/k/v biases) are concatenated.
        Tensor b1 = tensor(DType.F32, new long[] {3}, 5), b2 = tensor(DType.BF16, new long[] {2}, 6);
        DeviceBuffer x2 = buffer(new float[5], 1, 5);
        backend().addBias(x2, 1, backend().uploadStacked("bias", List.of(b1, b2)));
        float[] biased = host(x2, 1);
        for (int i = 0; i < 3; i++) assertThat(biased[i]).isEqualTo(WeightReader.get(b1, i));
        for (int i = 0; i < 2; i++) assertThat(biased[3 + i]).isEqualTo(WeightReader.get(b2, i));
    }

    @Test
    void embedCopiesRowsAndRejectsIdsOutsideTheTable() {
        Tensor table = matrix(DType.BF16, 10, 24, 7);
        Weight w = backend().upload(table);
        DeviceBuffer out = backend().allocate(4, 24);
        backend().embed(w, new int[] {4, 0, 9, 1}, 3, out);
        float[] got = host(out, 3);
        assertThat(java.util.Arrays.copyOfRange(got, 24, 48)).containsExactly(WeightReader.row(table, 0));
        assertThat(java.util.Arrays.copyOfRange(got, 48, 72)).containsExactly(WeightReader.row(table, 9));
        assertThatThrownBy(() -> backend().embed(w, new int[] {3, 10}, 2, out))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("10");
    }

    @Test
    void rmsNormMatchesDefinition() {
        float[] x = random(2 * 12, 3);
        Tensor w = tensor(DType.F32, new long[] {12}, 4);
        DeviceBuffer out = backend().allocate(2, 12);
        backend().rmsNorm(buffer(x, 2, 12), 2, backend().upload(w), 1e-6, out);
        float[] got = host(out, 2);
        for (int t = 0; t < 2; t++) {
            double ss = 0;
            for (int i = 0; i < 12; i++) ss += x[t * 12 + i] * x[t * 12 + i];
            double inv = 1 / Math.sqrt(ss / 12 + 1e-6);
            for (int i = 0; i < 12; i++) {
                double want = x[t * 12 + i] * inv * WeightReader.get(w, i);
                assertClose(got[t * 12 + i], want, Math.abs(want), "norm " + t + "," + i);
            }
        }
    }

    @Test
    void siluMulOfStackedGateUpAddAndGather() {
        // Rows of [gate | up], gate = (-2, 0, 3), up = (1, 5, 2), and a second row.
        float[] gu = {-2f, 0f, 3f, 1f, 5f, 2f, 1f, 1f, 1f, 0f, 0f, 0f};
        DeviceBuffer act = backend().allocate(3, 3);
        backend().siluMul(buffer(gu, 2, 6), 2, act);
        float[] got = host(act, 2);
        assertClose(got[0], -2 / (1 + Math.exp(2)), 2 / (1 + Math.exp(2)), "silu(-2)·1");
        assertThat(got[1]).isZero();
        assertClose(got[2], 3 / (1 + Math.exp(-3)) * 2, 3 / (1 + Math.exp(-3)) * 2, "silu(3)·2");
        assertThat(got[3]).isZero();

        DeviceBuffer x = buffer(new float[] {1, 2, 3, 4}, 2, 2);
        backend().add(x, buffer(new float[] {1, 1, 1, 1}, 2, 2), 2);
        assertThat(host(x, 2)).containsExactly(2, 3, 4, 5);
        DeviceBuffer rows = backend().allocate(2, 2);
        backend().gatherRows(x, new int[] {9, 1, 0}, 1, 2, rows);
        assertThat(host(rows, 2)).containsExactly(4, 5, 2, 3);
    }

    @Test
    void opsTouchOnlyTheirFirstNRows() {
        DeviceBuffer x = buffer(new float[] {1, 1, 1, 1, 1, 1}, 3, 2);
        backend().add(x, buffer(new float[] {5, 5, 5, 5, 5, 5}, 3, 2), 1);
        assertThat(host(x, 3)).containsExactly(6, 6, 1, 1, 1, 1);
    }

    @Test
    void kvBlocksRoundTripThroughBytesOfTheDocumentedSize() {
        KvCacheSpec spec = new KvCacheSpec(2, 5, 4, 2, 8, backend().kvDtype());
        try (KvCache cache = backend().newKvCache(spec)) {
            assertThat(spec.bytesPerBlock()).isEqualTo(2L * 2 * 4 * 2 * 8 * backend().kvDtype().bytes);
            byte[] data = new byte[(int) spec.bytesPerBlock()];
            // Values every dtype holds exactly (small multiples of 1/8), so the bytes survive the round trip.
            java.nio.ByteBuffer bb = java.nio.ByteBuffer.wrap(data).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            Random r = new Random(9);
            for (int i = 0; i < data.length / spec.dtype().bytes; i++) {
                float v = (r.nextInt(33) - 16) / 8f;
                switch (spec.dtype()) {
                    case F32 -> bb.putFloat(v);
                    case BF16 -> bb.putShort(WeightReader.floatToBf16(v));
                    case F16 -> bb.putShort(Float.floatToFloat16(v));
                }
            }
            cache.writeBlock(3, data);
            assertThat(cache.readBlock(3)).isEqualTo(data);
            assertThatThrownBy(() -> cache.writeBlock(3, new byte[7])).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(Long.toString(spec.bytesPerBlock()));
            assertThatThrownBy(() -> cache.readBlock(5)).isInstanceOf(IndexOutOfBoundsException.class);
        }
    }

    @Test
    void copyCopiesEveryElementOrIsUnsupported() {
        float[] x = random(5 * 7, 21);
        DeviceBuffer src = backend().allocate(5, 7), dst = backend().allocate(5, 7);
        backend().copyFromHost(x, src, 0);
        try {
            backend().copy(src, dst);
        } catch (UnsupportedOperationException e) {
            return;  // optional: bench decode then falls back to a nominal bandwidth
        }
        assertThat(host(dst, 5)).containsExactly(x);
    }

    @Test
    void aTimerChargesEachLapToItsPartAfterTheOpsBeforeIt() {
        DeviceTimer timer = backend().newTimer(2);
        DeviceBuffer x = buffer(random(64 * 96, 22), 64, 96);
        DeviceBuffer out = backend().allocate(64, 40);
        Weight w = backend().upload(matrix(DType.BF16, 40, 96, 23));
        long t0 = System.nanoTime();
        timer.start();
        for (int i = 0; i < 20; i++) backend().matmul(w, x, 64, out);
        timer.lap(1);
        timer.lap(0);
        double[] s = timer.seconds();
        double wall = (System.nanoTime() - t0) / 1e9;
        assertThat(s).hasSize(2);
        assertThat(s[1]).isPositive().isLessThanOrEqualTo(wall);
        assertThat(s[0]).isGreaterThanOrEqualTo(0).isLessThan(s[1]);  // nothing was queued in the second lap
        timer.start();
        assertThat(timer.seconds()).containsExactly(0, 0);
    }

    @Test
    void memoryInUseIsUnknownOrCountsAnAllocation() {
        var before = backend().memoryInUse();
        DeviceBuffer big = backend().allocate(1024, 4096);  // 16 MiB as fp32
        var after = backend().memoryInUse();
        assertThat(after.isPresent()).isEqualTo(before.isPresent());
        // At least half the fp32 size: a GPU backend may keep activations in bf16.
        if (after.isPresent()) assertThat(after.getAsLong()).isGreaterThanOrEqualTo(before.getAsLong() + big.numel() * 2);
    }
}
