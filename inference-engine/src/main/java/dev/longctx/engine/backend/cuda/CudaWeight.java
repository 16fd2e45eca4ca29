package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.backend.Weight;

/**
 * A weight in device memory: a matrix {@code [rows, cols]} as bf16 (what cuBLAS and the embedding kernel read,
 * whatever the checkpoint stored) or, under the float32 dtype, fp32 ({@code bf16} false); or a vector (norm weight,
 * bias) as fp32 {@code [cols]} with one row, as the element-wise kernels read them.
 */
record CudaWeight(String name, long rows, long cols, CudaMemory data, boolean vector, boolean bf16) implements Weight {

    static CudaWeight cast(Weight w) {
        if (w instanceof CudaWeight c) return c;
        throw new IllegalArgumentException("not a CUDA weight: " + (w == null ? "null" : w.name()));
    }

    CudaWeight requireVector() {
        if (!vector) throw new IllegalArgumentException(name + " is a matrix, not a vector");
        return this;
    }

    CudaWeight requireMatrix() {
        if (vector) throw new IllegalArgumentException(name + " is a vector, not a matrix");
        return this;
    }
}
