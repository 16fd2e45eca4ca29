package dev.longctx.engine.backend;

import dev.longctx.engine.attention.Attention;
import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheSpec;
import dev.longctx.engine.sampling.DeviceSampling;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.Tensor;
import java.util.List;
import java.util.OptionalLong;

/**
 * One device: its memory (activation buffers, weights, the KV cache), the dense math of the forward pass, and the
 * attention that runs there. The forward pass calls only this interface and {@link Attention}, so a CUDA backend
 * sits behind it with activations that never leave the GPU: every op reads and writes {@link DeviceBuffer}s, and
 * host arrays appear only as small per-step metadata (token ids, row indices) and in {@link #copyToHost}.
 *
 * <p>Ops work on the first {@code n} rows of their buffers (a step of n tokens in buffers sized for the largest
 * step). Activations are {@code [n, cols]} row-major, fp32 or the backend's {@link Precision#COMPUTE} type as they
 * were allocated; every op accepts either (a backend converts what its kernels do not take) and accumulates in fp32
 * whatever the weights' dtype. Ops of one backend run in call order (a GPU backend queues them on one stream;
 * {@link #copyToHost} waits).
 */
public interface Backend extends AutoCloseable {

    /** The provider name: "cpu", "cuda". */
    String name();

    /** Worker threads (CPU) or 1 (a GPU stream). */
    int threads();

    // ---- memory ----

    /**
     * A zeroed buffer of {@code rows × cols} holding {@code precision} elements.
     *
     * @throws IllegalArgumentException when this backend cannot hold one buffer that large (with the numbers)
     */
    DeviceBuffer allocate(long rows, long cols, Precision precision);

    /** A zeroed fp32 buffer of {@code rows × cols}. */
    default DeviceBuffer allocate(long rows, long cols) {
        return allocate(rows, cols, Precision.FP32);
    }

    /** Copies {@code src} (whole rows, row-major) into dst from row {@code firstRow}, rounding to dst's precision. */
    void copyFromHost(float[] src, DeviceBuffer dst, long firstRow);

    /** Copies rows [firstRow, firstRow + rows) of src to {@code dst} (row-major, from dst[0]); waits for pending ops. */
    void copyToHost(DeviceBuffer src, long firstRow, int rows, float[] dst);

    /**
     * The device memory this backend allocates from, now; null when it computes in host memory (the CPU), which has
     * no device budget to size a KV cache from.
     */
    default DeviceMemory deviceMemory() { return null; }

    /** A checkpoint tensor (matrix or vector, any stored dtype) made available to this backend's ops. */
    Weight upload(Tensor tensor);

    /**
     * Tensors with the same column count stacked by rows into one weight: q/k/v projections (and their biases)
     * become one GEMM and one bias add, gate and up one GEMM. Vectors are concatenated.
     */
    Weight uploadStacked(String name, List<Tensor> parts);

    /** The dtype this backend keeps K/V in (fp32 on the CPU, bf16 on a GPU). */
    DType kvDtype();

    /** A paged KV cache of this backend's dtype; {@code spec.dtype()} must be {@link #kvDtype()}. */
    KvCache newKvCache(KvCacheSpec spec);

    /**
     * This backend's attention for a model.
     *
     * @param sparse          per-layer, per-head sparse budgets; null disables sparse prefill
     * @param sparseThreshold sequences whose request length is at most this prefill densely
     */
    Attention newAttention(AttentionGeometry geometry, SparseAttentionConfig sparse, int sparseThreshold);

    /**
     * Whether this backend's attention runs sparse prefill. One without it prefills densely, and the model drops its
     * sparse budgets at load (with a warning) so that the prefix-block names say what was computed.
     */
    default boolean sparsePrefill() { return true; }

    // ---- ops; each works on the first n rows ----

    /** {@code out[t] = table[ids[t]]} for t < n. @throws IllegalArgumentException for an id outside the table */
    void embed(Weight table, int[] ids, int n, DeviceBuffer out);

    /** RMSNorm of each row in fp32: {@code x / sqrt(mean(x²) + eps) * weight}. out may not be x. */
    void rmsNorm(DeviceBuffer x, int n, Weight weight, double eps, DeviceBuffer out);

    /**
     * A residual add and the next sub-layer's norm: {@code x += delta} (when delta is not null), then
     * {@code out = rmsNorm(x) · weight}, for the first n rows. A GPU does both in one pass over x; the default is
     * {@link #add} then {@link #rmsNorm}.
     */
    default void addRmsNorm(DeviceBuffer x, DeviceBuffer delta, int n, Weight weight, double eps, DeviceBuffer out) {
        if (delta != null) add(x, delta, n);
        rmsNorm(x, n, weight, eps, out);
    }

    /** {@code out[t, r] = Σ_c x[t, c] · w[r, c]}: a linear layer without bias, out [n, w.rows], x [n, w.cols]. */
    void matmul(Weight w, DeviceBuffer x, int n, DeviceBuffer out);

    /** {@code x[t, :] += bias} for t < n; bias has x.cols elements. */
    void addBias(DeviceBuffer x, int n, Weight bias);

    /**
     * SwiGLU over a stacked gate/up result: with I = out.cols, {@code out[t, i] = silu(gateUp[t, i]) · gateUp[t, I + i]}.
     */
    void siluMul(DeviceBuffer gateUp, int n, DeviceBuffer out);

    /** {@code acc[t, :] += delta[t, :]} for t < n (residual connections). */
    void add(DeviceBuffer acc, DeviceBuffer delta, int n);

    /** {@code out[i] = x[rows[from + i]]} for i < count: the rows whose logits are wanted. */
    void gatherRows(DeviceBuffer x, int[] rows, int from, int count, DeviceBuffer out);

    /**
     * Runs {@code ops}, a run of this backend's ops whose launches are decided by {@code shape} alone (null: not
     * known to repeat). A GPU may record the run once per shape and replay the recording on later calls (a CUDA
     * graph: one launch instead of hundreds), so ops must only queue device work: no uploads, no reads to the host.
     * The default runs ops.
     */
    default void replay(Object shape, Runnable ops) { ops.run(); }

    /**
     * Whether {@link #sample} runs here. A backend that samples returns token ids instead of vocabulary-wide logits
     * rows, so a step's output never crosses to the host; one that does not (the CPU) leaves sampling to
     * {@link dev.longctx.engine.sampling.Sampler} on the logits.
     */
    default boolean canSample() { return false; }

    /**
     * One token per logits row i < m, under {@code rows.get(from + i)}, in the Sampler's order (greedy, or
     * temperature, min-p, top-k, top-p and a seeded draw). May overwrite the logits.
     *
     * @param logits fp32 [≥ m, vocab]
     * @throws UnsupportedOperationException where {@link #canSample} is false
     */
    default int[] sample(DeviceBuffer logits, int m, java.util.List<DeviceSampling> rows, int from) {
        throw new UnsupportedOperationException("the " + name() + " backend does not sample; use the Sampler on the logits");
    }

    // ---- measurement (benchmarks); each has a default, so a backend works without them ----

    /**
     * {@code dst = src}, every element, on the device (a GPU: a device-to-device copy). {@code bench decode} times it
     * for the memory-bandwidth ceiling. The default has none.
     *
     * @throws UnsupportedOperationException when this backend has no such copy
     */
    default void copy(DeviceBuffer src, DeviceBuffer dst) {
        throw new UnsupportedOperationException("the " + name() + " backend has no device-to-device copy");
    }

    /**
     * A timer of this backend's work in {@code parts} parts. The default waits for pending ops at every lap and reads
     * the host clock (see {@link DeviceTimer}); a GPU backend can record events instead.
     */
    default DeviceTimer newTimer(int parts) {
        return new SynchronizingTimer(this, parts);
    }

    /**
     * Bytes of device memory in use now (total minus free, as nvidia-smi counts it, from {@link #deviceMemory()});
     * empty when this backend does not know, as the CPU's memory is the JVM's. Benchmarks sample it for the peak.
     */
    default OptionalLong memoryInUse() {
        DeviceMemory m = deviceMemory();
        return m == null ? OptionalLong.empty() : OptionalLong.of(m.total() - m.free());
    }

    @Override
    default void close() {}
}
