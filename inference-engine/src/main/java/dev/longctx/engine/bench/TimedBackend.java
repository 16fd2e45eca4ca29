package dev.longctx.engine.bench;

import dev.longctx.engine.attention.Attention;
import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.AttentionStep;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.backend.DeviceMemory;
import dev.longctx.engine.backend.DeviceTimer;
import dev.longctx.engine.backend.Precision;
import dev.longctx.engine.backend.Weight;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheSpec;
import dev.longctx.engine.sampling.DeviceSampling;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.Tensor;
import java.util.List;
import java.util.OptionalLong;

/**
 * A backend that charges the device time of every op to a {@link Part}: {@code matmul} to GEMM, the attention's
 * per-layer call to ATTENTION, everything else (embedding, norms, bias, SwiGLU, residual adds, copies, the
 * attention's per-step setup) to OTHER. It wraps the real backend, so the forward pass runs unchanged and splits its
 * own time; the laps come from the wrapped backend's {@link DeviceTimer}.
 *
 * <p>Every method of {@link Backend} is delegated here, defaults included (a test checks this), so a backend's own
 * implementation is never replaced by an interface default.
 */
final class TimedBackend implements Backend {

    /** Where a lap's time goes. */
    enum Part { ATTENTION, GEMM, OTHER }

    private final Backend inner;
    private final DeviceTimer timer;

    TimedBackend(Backend inner) {
        this.inner = inner;
        this.timer = inner.newTimer(Part.values().length);
        timer.start();  // ops before the first timed run (loading, warm-up) lap too; start() forgets them
    }

    /** The backend this one times. */
    Backend inner() { return inner; }

    /** Waits for the device, zeroes the parts and starts timing. */
    void start() { timer.start(); }

    /** Seconds charged to each part since {@link #start()}, indexed by {@link Part#ordinal()} (waits for the device). */
    double[] seconds() { return timer.seconds(); }

    private void lap(Part part) { timer.lap(part.ordinal()); }

    @Override public String name() { return inner.name(); }

    @Override public int threads() { return inner.threads(); }

    @Override public DeviceBuffer allocate(long rows, long cols) { return inner.allocate(rows, cols); }

    @Override
    public DeviceBuffer allocate(long rows, long cols, Precision precision) { return inner.allocate(rows, cols, precision); }

    @Override public DeviceMemory deviceMemory() { return inner.deviceMemory(); }

    @Override
    public void copyFromHost(float[] src, DeviceBuffer dst, long firstRow) {
        inner.copyFromHost(src, dst, firstRow);
        lap(Part.OTHER);
    }

    @Override
    public void copyToHost(DeviceBuffer src, long firstRow, int rows, float[] dst) {
        inner.copyToHost(src, firstRow, rows, dst);
        lap(Part.OTHER);
    }

    @Override public Weight upload(Tensor tensor) { return inner.upload(tensor); }

    @Override public Weight uploadStacked(String name, List<Tensor> parts) { return inner.uploadStacked(name, parts); }

    @Override public DType kvDtype() { return inner.kvDtype(); }

    @Override public KvCache newKvCache(KvCacheSpec spec) { return inner.newKvCache(spec); }

    @Override public boolean sparsePrefill() { return inner.sparsePrefill(); }

    @Override
    public Attention newAttention(AttentionGeometry geometry, SparseAttentionConfig sparse, int sparseThreshold) {
        Attention attention = inner.newAttention(geometry, sparse, sparseThreshold);
        return new Attention() {
            @Override public AttentionGeometry geometry() { return attention.geometry(); }

            @Override public void reserve(int maxTokens) { attention.reserve(maxTokens); }

            @Override
            public AttentionStep begin(StepMetadata step, KvCache cache) {
                AttentionStep s = attention.begin(step, cache);
                lap(Part.OTHER);
                return new AttentionStep() {
                    @Override
                    public void forward(int layer, DeviceBuffer qkv, Weight qkvBias, DeviceBuffer out) {
                        s.forward(layer, qkv, qkvBias, out);
                        lap(Part.ATTENTION);
                    }

                    @Override
                    public void close() {
                        s.close();
                        lap(Part.OTHER);
                    }
                };
            }
        };
    }

    @Override
    public void embed(Weight table, int[] ids, int n, DeviceBuffer out) {
        inner.embed(table, ids, n, out);
        lap(Part.OTHER);
    }

    @Override
    public void rmsNorm(DeviceBuffer x, int n, Weight weight, double eps, DeviceBuffer out) {
        inner.rmsNorm(x, n, weight, eps, out);
        lap(Part.OTHER);
    }

    @Override
    public void addRmsNorm(DeviceBuffer x, DeviceBuffer delta, int n, Weight weight, double eps, DeviceBuffer out) {
        inner.addRmsNorm(x, delta, n, weight, eps, out);
        lap(Part.OTHER);
    }

    @Override
    public void matmul(Weight w, DeviceBuffer x, int n, DeviceBuffer out) {
        inner.matmul(w, x, n, out);
        lap(Part.GEMM);
    }

    @Override
    public void addBias(DeviceBuffer x, int n, Weight bias) {
        inner.addBias(x, n, bias);
        lap(Part.OTHER);
    }

    @Override
    public void siluMul(DeviceBuffer gateUp, int n, DeviceBuffer out) {
        inner.siluMul(gateUp, n, out);
        lap(Part.OTHER);
    }

    @Override
    public void add(DeviceBuffer acc, DeviceBuffer delta, int n) {
        inner.add(acc, delta, n);
        lap(Part.OTHER);
    }

    @Override
    public void gatherRows(DeviceBuffer x, int[] rows, int from, int count, DeviceBuffer out) {
        inner.gatherRows(x, rows, from, count, out);
        lap(Part.OTHER);
    }

    /** Never recorded: each op must lap on its own (the inner backend would replay them as one launch). */
    @Override
    public void replay(Object shape, Runnable ops) { ops.run(); }

    @Override public boolean canSample() { return inner.canSample(); }

    @Override
    public int[] sample(DeviceBuffer logits, int m, List<DeviceSampling> rows, int from) {
        int[] ids = inner.sample(logits, m, rows, from);
        lap(Part.OTHER);
        return ids;
    }

    @Override
    public void copy(DeviceBuffer src, DeviceBuffer dst) {
        inner.copy(src, dst);
        lap(Part.OTHER);
    }

    @Override public DeviceTimer newTimer(int parts) { return inner.newTimer(parts); }

    @Override public OptionalLong memoryInUse() { return inner.memoryInUse(); }

    @Override public void close() { inner.close(); }
}
