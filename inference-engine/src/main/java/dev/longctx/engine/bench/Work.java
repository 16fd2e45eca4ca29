package dev.longctx.engine.bench;

import dev.longctx.engine.model.ModelConfig;

/**
 * What a prefill must compute and a decode step must read, counted from the shapes alone (so a test can check them
 * by hand). A multiply-add is 2 FLOPs.
 * <ul>
 *   <li>GEMMs: 2 · (weights of the layers' matrices) · tokens, plus 2 · vocab · hidden per row whose logits are
 *       computed. Biases, norms and SwiGLU are not GEMMs and are not counted.</li>
 *   <li>Attention, causal: a query at position p sees p + 1 keys; per key and head QKᵀ and PV cost 2 · head_dim each,
 *       so 4 · head_dim · heads · Σ (p + 1) per layer. DCA sees the same keys, split into parts, so it counts the same.</li>
 *   <li>Decode bytes per step: every weight but the embedding table (a lookup reads one row) once, in its stored
 *       dtype, plus every sequence's K and V of every layer.</li>
 * </ul>
 */
public final class Work {

    private Work() {}

    /** Weights of one layer's four matrices (q/k/v, o, gate/up, down). */
    public static long matrixParamsPerLayer(ModelConfig c) {
        long d = c.hiddenSize(), inter = c.intermediateSize();
        return d * (c.qDim() + 2L * c.kvDim()) + (long) c.qDim() * d + 2 * d * inter + inter * d;
    }

    /** GEMM FLOPs of {@code tokens} tokens through every layer, and of the lm_head for {@code logitRows} rows. */
    public static double gemmFlops(ModelConfig c, long tokens, long logitRows) {
        return 2.0 * tokens * matrixParamsPerLayer(c) * c.numLayers() + 2.0 * logitRows * c.vocabSize() * c.hiddenSize();
    }

    /** Attention FLOPs, all layers, of the queries at positions [start, start + n) over the keys before and at each. */
    public static double attentionFlops(ModelConfig c, long start, long n) {
        double keys = n * (double) start + n * (n + 1) / 2.0;
        return 4.0 * c.headDim() * c.numHeads() * keys * c.numLayers();
    }

    /** Weight bytes one decode step reads: all but the embedding table (the lm_head instead, which is it when tied). */
    public static long decodeWeightBytes(ModelConfig c, int bytesPerElement) {
        long d = c.hiddenSize();
        long perLayer = matrixParamsPerLayer(c) + c.qDim() + 2L * c.kvDim() + 2 * d;  // + biases and two norms
        return bytesPerElement * ((long) c.vocabSize() * d + c.numLayers() * perLayer + d);
    }

    /** K and V bytes a decode step reads for one sequence that attends to {@code keys} keys. */
    public static long kvBytes(ModelConfig c, long keys, int bytesPerElement) {
        return c.kvBytesPerToken(bytesPerElement) * keys;
    }
}
