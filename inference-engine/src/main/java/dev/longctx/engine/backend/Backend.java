package dev.longctx.engine.backend;

import dev.longctx.engine.weights.Tensor;

/**
 * The dense math of the forward pass, one implementation per device. Activations are row-major fp32
 * {@code [n, dim]}; weights are checkpoint tensors in their stored dtype (bf16/f16/f32) and are never upcast
 * as a whole. Attention is not here: it lives behind {@link dev.longctx.engine.attention.Attention}.
 */
public interface Backend extends AutoCloseable {

    /** {@code out[t, r] = Σ_c x[t, c] · w[r, c]} for t < n: a linear layer without bias, fp32 accumulation. */
    void matmul(Tensor w, float[] x, int n, float[] out);

    /** Like {@link #matmul} over only the rows {@code rows[i]} of x (e.g. lm_head on the tokens whose logits are needed). */
    default void matmulRows(Tensor w, float[] x, int[] rows, int dim, float[] out) {
        float[] gathered = new float[rows.length * dim];
        for (int i = 0; i < rows.length; i++) System.arraycopy(x, rows[i] * dim, gathered, i * dim, dim);
        matmul(w, gathered, rows.length, out);
    }

    /** Embedding rows for token ids: {@code out[t] = table[ids[t]]} in fp32. */
    void embed(Tensor table, int[] ids, float[] out);

    /** RMSNorm over each of n rows of width dim, in fp32: {@code x / sqrt(mean(x²) + eps) * weight}. */
    void rmsNorm(float[] x, int n, int dim, float[] weight, double eps, float[] out);

    /** {@code gate[i] = silu(gate[i]) * up[i]} for the first len elements. */
    void siluMul(float[] gate, float[] up, int len);

    /** {@code x[t, :] += bias} for every row t < n. */
    void addBias(float[] x, int n, float[] bias);

    /** {@code acc[i] += delta[i]} for the first len elements (residual connections). */
    void add(float[] acc, float[] delta, int len);

    /** Worker threads this backend uses. */
    int threads();

    @Override
    default void close() {}
}
