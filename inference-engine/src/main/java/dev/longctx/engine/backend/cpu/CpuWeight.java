package dev.longctx.engine.backend.cpu;

import dev.longctx.engine.backend.Weight;
import dev.longctx.engine.weights.Tensor;
import dev.longctx.engine.weights.WeightReader;
import java.util.List;

/**
 * A weight of the CPU backend. Matrices stay in the memory-mapped checkpoint (stored dtype, never upcast as a
 * whole); a stacked matrix (fused q/k/v, gate/up) is its parts, read in turn, so stacking copies nothing.
 * Vectors (norms, biases) are small and kept widened to fp32.
 *
 * @param parts    the matrix's row blocks, in order (empty for a vector)
 * @param firstRow first stacked row of each part
 * @param vector   the fp32 values of a vector weight; null for a matrix
 */
record CpuWeight(String name, Tensor[] parts, int[] firstRow, long rows, long cols, float[] vector) implements Weight {

    static CpuWeight of(String name, List<Tensor> tensors) {
        if (tensors.isEmpty()) throw new IllegalArgumentException(name + ": nothing to upload");
        boolean vector = tensors.getFirst().shape().length == 1;
        long cols = vector ? 1 : tensors.getFirst().cols();
        long rows = 0;
        int[] first = new int[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            if ((t.shape().length == 1) != vector || (!vector && t.cols() != cols) || t.shape().length > 2) {
                throw new IllegalArgumentException(name + ": cannot stack " + t + " with " + tensors.getFirst());
            }
            first[i] = Math.toIntExact(rows);
            rows += vector ? t.numel() : t.rows();
        }
        if (!vector) return new CpuWeight(name, tensors.toArray(Tensor[]::new), first, rows, cols, null);
        float[] values = new float[Math.toIntExact(rows)];
        for (int i = 0; i < tensors.size(); i++) {
            float[] v = WeightReader.toFloatArray(tensors.get(i));
            System.arraycopy(v, 0, values, first[i], v.length);
        }
        // A vector is one row of its length: what addBias and rmsNorm read.
        return new CpuWeight(name, new Tensor[0], new int[0], 1, values.length, values);
    }

    static CpuWeight cast(Weight w) {
        if (w instanceof CpuWeight c) return c;
        throw new IllegalArgumentException("not a CPU weight: " + w.name());
    }

    float[] requireVector() {
        if (vector == null) throw new IllegalArgumentException(name + " is a matrix, not a vector");
        return vector;
    }

    Tensor single() {
        if (parts.length != 1) throw new IllegalArgumentException(name + " is not a single matrix");
        return parts[0];
    }
}
