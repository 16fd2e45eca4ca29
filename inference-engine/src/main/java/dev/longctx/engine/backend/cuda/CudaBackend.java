package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.Attention;
import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.ComputeDtype;
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
import dev.longctx.engine.weights.WeightReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The CUDA backend: a thin adapter from {@link Backend} to the kernels of {@link CudaKernels} and cuBLAS, on one
 * GPU and one stream.
 *
 * <ul>
 *   <li>Weights are uploaded once: matrices as bf16 (f32/f16 checkpoints converted on the way), norms and biases as
 *       fp32; stacked q/k/v and gate/up are one matrix each, so one GEMM.</li>
 *   <li>Activations are fp32 or bf16 as allocated ({@link Precision#COMPUTE} is bf16): the forward pass hands every
 *       kernel the type it takes. Ops given the other type convert through scratch memory, so the contract holds
 *       for any buffer, at a cost the forward pass never pays.</li>
 *   <li>The residual add and the next norm are one kernel ({@link #addRmsNorm}); the q/k/v bias is added by the
 *       attention's K/V-write kernel; logits can be sampled here ({@link #sample}), so a step sends token ids in
 *       and gets token ids out.</li>
 *   <li>The KV cache is bf16 in device memory ({@link CudaKvCache}); attention is {@link CudaAttention}.</li>
 *   <li>{@link #replay}: a decode step's layers are recorded as a CUDA graph the second time their shape comes, and
 *       replayed as one launch from then on (vLLM's CUDA graphs; {@code enforceEager} turns them off).</li>
 *   <li>Under {@link ComputeDtype#FLOAT32} matrices, {@link Precision#COMPUTE} buffers and the KV cache are fp32,
 *       GEMMs are fp32 (no tensor cores) and attention takes the generic kernel's fp32 instance: the reference
 *       precision that matches the CPU backend to rounding, at a fraction of the speed.</li>
 * </ul>
 *
 * <p>Threads: the model is loaded on one thread and stepped on another, and KV blocks are read and written from a
 * third; each makes the context current on first use ({@link #enter}). Kernel launches come from the stepping
 * thread only (the forward pass is serialised by the model).
 */
public final class CudaBackend implements Backend {
    /** Scratch slots for conversions; an op uses distinct slots for what it needs at the same time. */
    private static final int SCRATCH_SLOTS = 4;

    private final CudaContext ctx;
    private final CudaKernels kernels;
    private final ThreadLocal<Boolean> current = ThreadLocal.withInitial(() -> false);
    private final CudaMemory[] scratch = new CudaMemory[SCRATCH_SLOTS];
    private final List<AutoCloseable> owned = new ArrayList<>();
    /** False: attention always takes the generic kernel (tests hold it to the same contract as the tensor-core ones). */
    private final boolean tensorCoreAttention;
    /** The float32 dtype: fp32 matrices, compute buffers and KV. */
    private final boolean float32;
    /** vLLM's enforce_eager: never record CUDA graphs. */
    private final boolean eager;
    private final StepGraphs graphs;
    private final java.util.concurrent.atomic.LongAdder graphLaunches = new java.util.concurrent.atomic.LongAdder();
    /** Held while a graph is captured, and by other threads' copies on the stream, which would spoil a capture. */
    final Object streamCapture = new Object();
    private boolean closed;

    /** Opens device {@code ordinal} in bf16: its context, stream, kernel modules and cuBLAS. */
    public CudaBackend(int ordinal) {
        this(ordinal, ComputeDtype.BFLOAT16);
    }

    /** Opens device {@code ordinal} computing in {@code dtype} (auto is bf16), with CUDA graphs. */
    public CudaBackend(int ordinal, ComputeDtype dtype) {
        this(ordinal, dtype, false);
    }

    /** @param enforceEager launch every op itself, never from a recorded CUDA graph */
    public CudaBackend(int ordinal, ComputeDtype dtype, boolean enforceEager) {
        this(ordinal, true, dtype == ComputeDtype.FLOAT32, enforceEager);
    }

    CudaBackend(int ordinal, boolean tensorCoreAttention, boolean float32) {
        this(ordinal, tensorCoreAttention, float32, false);
    }

    private CudaBackend(int ordinal, boolean tensorCoreAttention, boolean float32, boolean enforceEager) {
        this.tensorCoreAttention = tensorCoreAttention && !float32;
        this.float32 = float32;
        this.eager = enforceEager;
        this.ctx = CudaContext.open(ordinal);
        current.set(true);
        this.graphs = new StepGraphs(ctx);
        try {
            this.kernels = new CudaKernels(ctx);
            ctx.cublas();
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
    }

    @Override
    public String name() { return "cuda"; }

    @Override
    public int threads() { return 1; }

    public CudaContext context() { return ctx; }

    CudaKernels kernels() { return kernels; }

    /** Makes the context current on the calling thread, once per thread. */
    void enter() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        if (!current.get()) {
            ctx.makeCurrent();
            current.set(true);
        }
    }

    @Override
    public String toString() { return "cuda " + ctx + (float32 ? " float32" : " bfloat16") + (eager ? ", eager" : ""); }

    /** Whether this backend computes in fp32 ({@code --dtype float32}). */
    boolean float32() { return float32; }

    // ---- memory ----

    @Override
    public DeviceBuffer allocate(long rows, long cols, Precision precision) {
        enter();
        if (rows < 0 || cols < 0) throw new IllegalArgumentException("negative buffer shape " + rows + " × " + cols);
        boolean bf16 = precision == Precision.COMPUTE && !float32;
        long bytes = Math.multiplyExact(Math.multiplyExact(rows, cols), bf16 ? 2L : 4L);
        CudaMemory m = own(ctx.allocate(Math.max(bytes, 4)));
        m.fill(0);
        return new CudaBuffer(m, rows, cols, bf16);
    }

    @Override
    public void copyFromHost(float[] src, DeviceBuffer dstBuffer, long firstRow) {
        enter();
        CudaBuffer dst = CudaBuffer.cast(dstBuffer);
        long at = Math.multiplyExact(firstRow, dst.cols());
        if (firstRow < 0 || src.length % dst.cols() != 0 || at + src.length > Math.multiplyExact(dst.rows(), dst.cols())) {
            throw new IllegalArgumentException(src.length + " floats from row " + firstRow + " do not fit rows of "
                    + dst.cols() + " in " + dst.rows() + " rows");
        }
        if (src.length == 0) return;
        CudaMemory view = dst.memory().view(at * dst.elementBytes(), (long) src.length * dst.elementBytes());
        if (dst.bf16()) view.copyFrom(toBf16(src));
        else view.copyFrom(src);
    }

    @Override
    public void copyToHost(DeviceBuffer srcBuffer, long firstRow, int rows, float[] dst) {
        enter();
        CudaBuffer src = CudaBuffer.cast(srcBuffer);
        long from = Math.multiplyExact(firstRow, src.cols()), len = Math.multiplyExact((long) rows, src.cols());
        if (firstRow < 0 || rows < 0 || firstRow + rows > src.rows() || dst.length < len) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + rows) + ") of " + src.rows()
                    + " into " + dst.length + " floats");
        }
        if (len == 0) return;
        CudaMemory view = src.memory().view(from * src.elementBytes(), len * src.elementBytes());
        if (!src.bf16()) {
            view.copyTo(dst, (int) len);
            return;
        }
        short[] bits = new short[(int) len];
        view.copyTo(bits);
        for (int i = 0; i < bits.length; i++) dst[i] = WeightReader.bf16ToFloat(bits[i]);
    }

    @Override
    public DeviceMemory deviceMemory() {
        enter();
        return new DeviceMemory(ctx.totalMemory(), ctx.freeMemory());
    }

    @Override
    public void copy(DeviceBuffer srcBuffer, DeviceBuffer dstBuffer) {
        enter();
        CudaBuffer src = CudaBuffer.cast(srcBuffer), dst = CudaBuffer.cast(dstBuffer);
        if (src.rows() != dst.rows() || src.cols() != dst.cols() || src.bf16() != dst.bf16()) {
            throw new IllegalArgumentException("copy between buffers of other shapes or precisions: " + src.rows() + " × "
                    + src.cols() + (src.bf16() ? " bf16" : " fp32") + " to " + dst.rows() + " × " + dst.cols()
                    + (dst.bf16() ? " bf16" : " fp32"));
        }
        dst.memory().copyFrom(src.memory());   // same shape and precision: allocations of the same size
    }

    /** Events on the stream: laps cost no round trip to the device (see {@link CudaEventTimer}). */
    @Override
    public DeviceTimer newTimer(int parts) {
        enter();
        return new CudaEventTimer(ctx, parts);
    }

    @Override
    public Weight upload(Tensor tensor) {
        return uploadStacked(tensor.name(), List.of(tensor));
    }

    @Override
    public Weight uploadStacked(String name, List<Tensor> parts) {
        enter();
        if (parts.isEmpty()) throw new IllegalArgumentException(name + ": nothing to upload");
        boolean vector = parts.getFirst().shape().length == 1;
        long cols = vector ? 1 : parts.getFirst().cols(), rows = 0;
        for (Tensor t : parts) {
            if ((t.shape().length == 1) != vector || t.shape().length > 2 || (!vector && t.cols() != cols)) {
                throw new IllegalArgumentException(name + ": cannot stack " + t + " with " + parts.getFirst());
            }
            rows += vector ? t.numel() : t.rows();
        }
        if (vector) {
            // One row of fp32, as the element-wise kernels read norms and biases.
            float[] values = new float[Math.toIntExact(rows)];
            int at = 0;
            for (Tensor t : parts) {
                float[] v = WeightReader.toFloatArray(t);
                System.arraycopy(v, 0, values, at, v.length);
                at += v.length;
            }
            CudaMemory m = own(ctx.allocate(4L * Math.max(1, values.length)));
            m.copyFrom(values);
            return new CudaWeight(name, 1, values.length, m, true, false);
        }
        long elementBytes = float32 ? 4 : 2;
        CudaMemory m = own(ctx.allocate(Math.max(4, elementBytes * rows * cols)));
        long offset = 0;
        for (Tensor t : parts) {
            if (float32) writeF32(t, m, offset);
            else writeBf16(t, m, offset);
            offset += elementBytes * t.numel();
        }
        return new CudaWeight(name, rows, cols, m, false, !float32);
    }

    /** A matrix as fp32 at {@code offset}, converted in blocks of rows (bf16 and f16 widen exactly). */
    private void writeF32(Tensor t, CudaMemory m, long offset) {
        if (t.numel() == 0) return;
        int cols = t.cols();
        int rowsPerBlock = Math.max(1, (16 << 20) / Math.max(1, cols));
        for (int r0 = 0; r0 < t.rows(); r0 += rowsPerBlock) {
            int rows = Math.min(rowsPerBlock, t.rows() - r0);
            float[] block = new float[rows * cols];
            for (int r = 0; r < rows; r++) WeightReader.readRow(t, r0 + r, block, r * cols);
            m.view(offset + 4L * r0 * cols, 4L * block.length).copyFrom(block);
        }
    }

    /** A matrix as bf16 at {@code offset}: bf16 checkpoints byte for byte, others converted in blocks of rows. */
    private void writeBf16(Tensor t, CudaMemory m, long offset) {
        if (t.numel() == 0) return;
        if (t.dtype() == DType.BF16) {
            m.copyFrom(t.data(), offset);
            return;
        }
        int cols = t.cols();
        int rowsPerBlock = Math.max(1, (16 << 20) / Math.max(1, cols));
        float[] row = new float[cols];
        for (int r0 = 0; r0 < t.rows(); r0 += rowsPerBlock) {
            int rows = Math.min(rowsPerBlock, t.rows() - r0);
            short[] block = new short[rows * cols];
            for (int r = 0; r < rows; r++) {
                WeightReader.readRow(t, r0 + r, row, 0);
                for (int c = 0; c < cols; c++) block[r * cols + c] = WeightReader.floatToBf16(row[c]);
            }
            m.view(offset + 2L * r0 * cols, 2L * block.length).copyFrom(block);
        }
    }

    @Override
    public DType kvDtype() { return float32 ? DType.F32 : DType.BF16; }

    @Override
    public KvCache newKvCache(KvCacheSpec spec) {
        enter();
        if (spec.dtype() != kvDtype()) {
            throw new IllegalArgumentException("this CUDA backend's KV cache is " + kvDtype() + ", not " + spec.dtype());
        }
        return new CudaKvCache(this, spec);
    }

    @Override
    public Attention newAttention(AttentionGeometry geometry, SparseAttentionConfig sparse, int sparseThreshold) {
        enter();
        return new CudaAttention(this, geometry, tensorCoreAttention);
    }

    /** Sparse prefill has no GPU kernel yet: every prompt prefills densely here. */
    @Override
    public boolean sparsePrefill() { return false; }

    // ---- ops ----

    @Override
    public void embed(Weight weight, int[] ids, int n, DeviceBuffer outBuffer) {
        enter();
        CudaWeight table = CudaWeight.cast(weight).requireMatrix();
        CudaBuffer out = CudaBuffer.cast(outBuffer);
        if (out.cols() != table.cols() || out.rows() < n || ids.length < n) {
            throw new IllegalArgumentException("embed: " + n + " ids into [" + out.rows() + ", " + out.cols()
                    + "], table width " + table.cols());
        }
        for (int t = 0; t < n; t++) {
            // The kernel would write NaN for such an id: refuse it here, as the CPU backend does.
            if (ids[t] < 0 || ids[t] >= table.rows()) {
                throw new IllegalArgumentException("token id " + ids[t] + " is outside the vocabulary [0, " + table.rows() + ")");
            }
        }
        if (n == 0) return;
        CudaMemory dev = ints(0, ids, n);
        int dim = Math.toIntExact(table.cols());
        CudaMemory target = out.bf16() ? scratch(1, 4L * n * dim) : out.memory();
        kernels.embed(dev, n, table.data(), table.bf16(), Math.toIntExact(table.rows()), dim, target);
        if (out.bf16()) kernels.toBf16(target, out.memory(), (long) n * dim);
    }

    @Override
    public void rmsNorm(DeviceBuffer x, int n, Weight weight, double eps, DeviceBuffer out) {
        addRmsNorm(x, null, n, weight, eps, out);
    }

    /**
     * One kernel when x is fp32 and delta (if any) has out's type, as the forward pass has them (bf16, or fp32 under
     * the float32 dtype); other combinations add first, then norm.
     */
    @Override
    public void addRmsNorm(DeviceBuffer xBuffer, DeviceBuffer deltaBuffer, int n, Weight weight, double eps,
                           DeviceBuffer outBuffer) {
        enter();
        CudaBuffer x = CudaBuffer.cast(xBuffer), out = CudaBuffer.cast(outBuffer);
        CudaBuffer delta = deltaBuffer == null ? null : CudaBuffer.cast(deltaBuffer);
        CudaWeight w = CudaWeight.cast(weight).requireVector();
        int dim = Math.toIntExact(w.cols());
        if (x.cols() != dim || out.cols() != dim || x.rows() < n || out.rows() < n
                || (delta != null && (delta.cols() != dim || delta.rows() < n))) {
            throw new IllegalArgumentException("rmsNorm: weight of " + dim + " for rows of " + x.cols() + " and " + out.cols());
        }
        if (n == 0) return;
        if (delta != null && (x.bf16() || delta.bf16() != out.bf16())) {
            add(x, delta, n);
            delta = null;
        }
        CudaMemory x32 = asF32(x, (long) n * dim, 0);   // x itself unless bf16 (then not written: delta is null)
        kernels.addRmsNorm(x32, delta == null ? null : delta.memory(), w.data(), (float) eps, n, dim, out.memory(), out.bf16());
    }

    @Override
    public void matmul(Weight weight, DeviceBuffer xBuffer, int n, DeviceBuffer outBuffer) {
        enter();
        CudaWeight w = CudaWeight.cast(weight).requireMatrix();
        CudaBuffer x = CudaBuffer.cast(xBuffer), out = CudaBuffer.cast(outBuffer);
        if (x.cols() != w.cols() || out.cols() != w.rows() || x.rows() < n || out.rows() < n) {
            throw new IllegalArgumentException("matmul " + w.name() + " [" + w.rows() + ", " + w.cols() + "]: x has "
                    + x.cols() + " columns, out " + out.cols() + ", for n=" + n);
        }
        if (n == 0) return;
        int in = Math.toIntExact(w.cols()), outDim = Math.toIntExact(w.rows());
        if (w.bf16()) {
            CudaMemory x16 = asBf16(x, n * x.cols(), 0);
            ctx.cublas().linear(x16, w.data(), out.memory(), n, in, outDim, !out.bf16());
            return;
        }
        // fp32 weights (the float32 dtype): an fp32 GEMM, whose output is fp32 only.
        CudaMemory x32 = asF32(x, n * x.cols(), 0);
        CudaMemory target = out.bf16() ? scratch(1, 4L * n * outDim) : out.memory();
        ctx.cublas().linearF32(x32, w.data(), target, n, in, outDim);
        if (out.bf16()) kernels.toBf16(target, out.memory(), (long) n * outDim);
    }

    @Override
    public void addBias(DeviceBuffer xBuffer, int n, Weight biasWeight) {
        enter();
        CudaBuffer x = CudaBuffer.cast(xBuffer);
        CudaWeight bias = CudaWeight.cast(biasWeight).requireVector();
        if (x.cols() != bias.cols() || x.rows() < n) {
            throw new IllegalArgumentException("addBias: a bias of " + bias.cols() + " for rows of " + x.cols());
        }
        if (n > 0) kernels.addBias(x.memory(), x.bf16(), bias.data(), n, Math.toIntExact(x.cols()));
    }

    @Override
    public void siluMul(DeviceBuffer gateUpBuffer, int n, DeviceBuffer outBuffer) {
        enter();
        CudaBuffer gu = CudaBuffer.cast(gateUpBuffer), out = CudaBuffer.cast(outBuffer);
        int inter = Math.toIntExact(out.cols());
        if (gu.cols() != 2L * inter || gu.rows() < n || out.rows() < n) {
            throw new IllegalArgumentException("siluMul: gate/up rows of " + gu.cols() + " for an output of " + inter);
        }
        if (n == 0) return;
        if (!gu.bf16() && !out.bf16()) {
            kernels.swigluF32(gu.memory(), n, inter, out.memory());
            return;
        }
        CudaMemory gu16 = asBf16(gu, 2L * n * inter, 0);
        CudaMemory target = bf16Target(out, (long) n * inter, 1);
        kernels.swiglu(gu16, n, inter, target);
        finishBf16(out, target, (long) n * inter);
    }

    @Override
    public void add(DeviceBuffer accBuffer, DeviceBuffer deltaBuffer, int n) {
        enter();
        CudaBuffer acc = CudaBuffer.cast(accBuffer), delta = CudaBuffer.cast(deltaBuffer);
        if (acc.cols() != delta.cols() || acc.rows() < n || delta.rows() < n) {
            throw new IllegalArgumentException("add: rows of " + acc.cols() + " and " + delta.cols());
        }
        long len = n * acc.cols();
        if (len == 0) return;
        if (!acc.bf16()) {
            kernels.addResidual(acc.memory(), delta.memory(), delta.bf16(), len);
            return;
        }
        CudaMemory acc32 = asF32(acc, len, 0);
        kernels.addResidual(acc32, delta.memory(), delta.bf16(), len);
        kernels.toBf16(acc32, acc.memory(), len);
    }

    @Override
    public void gatherRows(DeviceBuffer xBuffer, int[] rows, int from, int count, DeviceBuffer outBuffer) {
        enter();
        CudaBuffer x = CudaBuffer.cast(xBuffer), out = CudaBuffer.cast(outBuffer);
        if (out.cols() != x.cols() || out.rows() < count) {
            throw new IllegalArgumentException("gatherRows: " + count + " rows of " + x.cols() + " into [" + out.rows()
                    + ", " + out.cols() + "]");
        }
        int[] picked = new int[count];
        for (int i = 0; i < count; i++) {
            int r = rows[from + i];
            if (r < 0 || r >= x.rows()) throw new IndexOutOfBoundsException("row " + r + " of " + x.rows());
            picked[i] = r;
        }
        if (count == 0) return;
        CudaMemory dev = ints(0, picked, count);
        if (x.bf16() == out.bf16()) {
            kernels.gatherRows(x.memory(), dev, count, x.rowBytes(), out.memory());
            return;
        }
        long len = count * x.cols();
        CudaMemory tmp = scratch(1, len * x.elementBytes());
        kernels.gatherRows(x.memory(), dev, count, x.rowBytes(), tmp);
        if (out.bf16()) kernels.toBf16(tmp, out.memory(), len);
        else kernels.toF32(tmp, out.memory(), len);
    }

    @Override
    public boolean canSample() { return true; }

    @Override
    public int[] sample(DeviceBuffer logitsBuffer, int m, List<DeviceSampling> rows, int from) {
        enter();
        CudaBuffer logits = CudaBuffer.cast(logitsBuffer);
        if (logits.rows() < m || rows.size() < from + m) {
            throw new IllegalArgumentException("sample: " + m + " rows of " + logits.rows() + " with " + rows.size()
                    + " samplers from " + from);
        }
        if (m == 0) return new int[0];
        int vocab = Math.toIntExact(logits.cols());
        CudaMemory x = asF32(logits, (long) m * vocab, 0);   // overwritten by the kernel
        // One upload for the five per-row arrays: seeds (8-byte aligned) first.
        ByteBuffer params = ByteBuffer.allocate(m * 24).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < m; i++) params.putLong(8 * i, rows.get(from + i).seed());
        for (int i = 0; i < m; i++) {
            DeviceSampling d = rows.get(from + i);
            params.putFloat(8 * m + 4 * i, d.temperature());
            params.putInt(12 * m + 4 * i, d.topK());
            params.putFloat(16 * m + 4 * i, d.topP());
            params.putFloat(20 * m + 4 * i, d.minP());
        }
        CudaMemory dev = scratch(2, 24L * m + 4L * m);
        dev.view(0, 24L * m).copyFrom(params.array());
        SamplingInputs inputs = new SamplingInputs(dev.view(8L * m, 4L * m), dev.view(12L * m, 4L * m),
                dev.view(16L * m, 4L * m), dev.view(20L * m, 4L * m), dev.view(0, 8L * m));
        CudaMemory ids = dev.view(24L * m, 4L * m);
        kernels.sample(x, m, vocab, inputs, ids);
        int[] out = new int[m];
        ids.copyTo(out);
        return out;
    }

    /**
     * Runs ops from a CUDA graph recorded for {@code shape} when there is one; records one the second time a shape
     * comes (a shape seen once may never come again, and recording costs an instantiation); runs ops eagerly
     * otherwise, when shape is null, and under enforceEager. A recording that fails (ops waited for the device, e.g.
     * to grow a buffer) is dropped and ops run eagerly, so a caller never sees the difference.
     */
    @Override
    public void replay(Object shape, Runnable ops) {
        enter();
        if (shape == null || eager) {
            ops.run();
            return;
        }
        CudaGraph g = graphs.find(shape);
        if (g == null && graphs.shouldRecord(shape)) {
            synchronized (streamCapture) {
                try {
                    g = graphs.add(shape, CudaGraph.capture(ctx, ops));
                } catch (RuntimeException e) {
                    g = null;   // ops queued nothing while capturing: run them for real below
                    graphs.recordingFailed(shape);
                }
            }
        }
        if (g != null) {
            g.launch();
            graphLaunches.increment();
        } else {
            ops.run();
        }
    }

    /** Runs of ops replayed from a recorded graph so far (tests and benchmarks: graphs are in use). */
    public long graphLaunches() { return graphLaunches.sum(); }

    /**
     * Device buffers the recorded graphs point at were replaced (scratch or attention buffers grew), or a KV cache
     * they write was closed: every recording is dropped.
     */
    void dropGraphs() {
        graphs.clear();
    }

    // ---- conversions through scratch ----

    /** b's memory as bf16: itself, or converted into scratch {@code slot}. */
    private CudaMemory asBf16(CudaBuffer b, long elements, int slot) {
        if (b.bf16()) return b.memory();
        CudaMemory s = scratch(slot, 2 * elements);
        kernels.toBf16(b.memory(), s, elements);
        return s;
    }

    /** b's memory as fp32: itself, or converted into scratch {@code slot}. */
    private CudaMemory asF32(CudaBuffer b, long elements, int slot) {
        if (!b.bf16()) return b.memory();
        CudaMemory s = scratch(slot, 4 * elements);
        kernels.toF32(b.memory(), s, elements);
        return s;
    }

    /** Where a kernel that writes bf16 writes for {@code out}: out itself, or scratch that {@link #finishBf16} converts. */
    private CudaMemory bf16Target(CudaBuffer out, long elements, int slot) {
        return out.bf16() ? out.memory() : scratch(slot, 2 * elements);
    }

    private void finishBf16(CudaBuffer out, CudaMemory target, long elements) {
        if (!out.bf16()) kernels.toF32(target, out.memory(), elements);
    }

    /** The first n of {@code values} in device scratch {@code slot}. */
    private CudaMemory ints(int slot, int[] values, int n) {
        CudaMemory s = scratch(slot, 4L * n);
        s.view(0, 4L * n).copyFrom(n == values.length ? values : java.util.Arrays.copyOf(values, n));
        return s;
    }

    /** Scratch slot {@code slot} of at least {@code bytes}, grown (never shrunk) as needed. */
    CudaMemory scratch(int slot, long bytes) {
        CudaMemory m = scratch[slot];
        if (m == null || m.bytes() < bytes) {
            if (m != null) {
                ctx.synchronize();   // kernels queued earlier may still read the old block
                m.close();
                dropGraphs();        // recordings may name the old block
            }
            m = scratch[slot] = ctx.allocate(Math.max(bytes, 1 << 16));
        }
        return m;
    }

    /** Memory freed when the backend closes (activations, weights). */
    CudaMemory own(CudaMemory m) {
        synchronized (owned) {
            owned.add(m);
        }
        return m;
    }

    static short[] toBf16(float[] src) {
        short[] out = new short[src.length];
        for (int i = 0; i < src.length; i++) out[i] = WeightReader.floatToBf16(src[i]);
        return out;
    }

    @Override
    public void close() {
        if (closed) return;
        enter();
        closed = true;
        try {
            ctx.synchronize();
        } finally {
            graphs.clear();
            for (CudaMemory m : scratch) if (m != null) m.close();
            synchronized (owned) {
                for (AutoCloseable c : owned) {
                    try {
                        c.close();
                    } catch (Exception e) {
                        // freeing is best effort at shutdown; the context's release frees the rest
                    }
                }
                owned.clear();
            }
            ctx.close();
        }
    }
}
