package dev.longctx.engine.backend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.SafetensorsWriter;
import dev.longctx.engine.weights.Tensor;
import dev.longctx.engine.weights.WeightReader;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/**
 * Every backend must agree with a naive scalar reference on every op. A new backend (CUDA) extends this class
 * and supplies {@link #backend()}; the same cases then run against it.
 */
public abstract class BackendContractTest {

    protected abstract Backend backend();

    static Tensor tensor(DType dtype, int rows, int cols, long seed) {
        float[] values = new float[rows * cols];
        Random r = new Random(seed);
        for (int i = 0; i < values.length; i++) values[i] = (float) r.nextGaussian();
        byte[] bytes = SafetensorsWriter.encode(dtype, values);
        MemorySegment seg = Arena.ofAuto().allocate(bytes.length, 64);
        MemorySegment.copy(MemorySegment.ofArray(bytes), 0, seg, 0, bytes.length);
        return new Tensor("w", dtype, new long[] {rows, cols}, seg);
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) r.nextGaussian();
        return x;
    }

    @ParameterizedTest(name = "{0} rows={1} cols={2} n={3}")
    @CsvSource({
            "BF16, 37, 64, 1", "BF16, 37, 64, 2", "BF16, 37, 96, 1", "BF16, 300, 96, 2", "BF16, 29, 48, 2", "BF16, 40, 96, 17", "BF16, 13, 20, 1", "BF16, 13, 20, 5",
            "F16, 21, 48, 1", "F16, 21, 33, 9",
            "F32, 19, 64, 1", "F32, 19, 35, 1", "F32, 33, 80, 6"})
    void matmulMatchesNaiveReference(DType dtype, int rows, int cols, int n) {
        Tensor w = tensor(dtype, rows, cols, rows * 31L + cols);
        float[] x = random(n * cols, n);
        float[] out = new float[n * rows];
        backend().matmul(w, x, n, out);
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < rows; r++) {
                double expected = 0;
                for (int c = 0; c < cols; c++) expected += (double) x[t * cols + c] * WeightReader.get(w, r, c);
                assertThat(out[t * rows + r]).as("out[%d,%d]", t, r).isCloseTo((float) expected, within(1e-4f * (float) Math.sqrt(cols)));
            }
        }
    }

    @Test
    void embedCopiesRows() {
        Tensor table = tensor(DType.BF16, 10, 24, 7);
        float[] out = new float[3 * 24];
        backend().embed(table, new int[] {4, 0, 9}, out);
        assertThat(java.util.Arrays.copyOfRange(out, 24, 48)).containsExactly(WeightReader.row(table, 0));
        assertThat(java.util.Arrays.copyOfRange(out, 48, 72)).containsExactly(WeightReader.row(table, 9));
    }

    @Test
    void rmsNormMatchesDefinition() {
        float[] x = random(2 * 12, 3);
        float[] w = random(12, 4);
        float[] out = new float[24];
        backend().rmsNorm(x, 2, 12, w, 1e-6, out);
        for (int t = 0; t < 2; t++) {
            double ss = 0;
            for (int i = 0; i < 12; i++) ss += x[t * 12 + i] * x[t * 12 + i];
            double inv = 1 / Math.sqrt(ss / 12 + 1e-6);
            for (int i = 0; i < 12; i++) {
                assertThat(out[t * 12 + i]).isCloseTo((float) (x[t * 12 + i] * inv * w[i]), within(1e-5f));
            }
        }
    }

    @Test
    void siluMulBiasAndAdd() {
        float[] g = {-2f, 0f, 3f}, u = {1f, 5f, 2f};
        backend().siluMul(g, u, 3);
        assertThat(g[0]).isCloseTo((float) (-2 / (1 + Math.exp(2))), within(1e-6f));
        assertThat(g[1]).isZero();
        assertThat(g[2]).isCloseTo((float) (3 / (1 + Math.exp(-3)) * 2), within(1e-5f));
        float[] x = {1, 2, 3, 4};
        backend().addBias(x, 2, new float[] {10, 20});
        assertThat(x).containsExactly(11, 22, 13, 24);
        backend().add(x, new float[] {1, 1, 1, 1}, 4);
        assertThat(x).containsExactly(12, 23, 14, 25);
    }
}
