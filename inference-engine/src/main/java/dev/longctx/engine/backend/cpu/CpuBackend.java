package dev.longctx.engine.backend.cpu;

import dev.longctx.engine.attention.Attention;
import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.CpuAttention;
import dev.longctx.engine.attention.SparseAttentionConfig;
import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.backend.Precision;
import dev.longctx.engine.backend.Weight;
import dev.longctx.engine.kv.HostKvCache;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheSpec;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * The CPU backend: Vector API kernels, parallel over output rows on a private ForkJoinPool.
 *
 * <p>Matmul reads weights straight from the memory-mapped checkpoint. bf16 is widened in registers (a 16-bit
 * shift), so decode streams each weight byte once — decode is memory-bound, and this is what makes it fast.
 * For prefill (many tokens) each worker widens a block of weight rows once into a scratch buffer and reuses
 * it for every token, so the conversion cost is amortised.
 *
 * <p>Buffers are float[] ({@link CpuBuffer}), so one buffer holds at most 2³¹ − 9 floats; larger ones are refused
 * with the numbers. The KV cache is fp32 ({@link HostKvCache}); attention is {@link CpuAttention} on the same pool.
 */
public final class CpuBackend implements Backend {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Short> S = VectorSpecies.of(short.class, VectorShape.forBitSize(F.vectorBitSize() / 2));
    private static final VectorSpecies<Integer> I = VectorSpecies.of(int.class, VectorShape.forBitSize(F.vectorBitSize()));
    private static final ValueLayout.OfShort SHORT_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Weight rows a prefill worker widens at once; 16 rows × 4864 floats fits in L2. */
    private static final int ROW_BLOCK = 16;

    private final ForkJoinPool pool;
    private final int threads;
    private final ThreadLocal<float[]> scratch = new ThreadLocal<>();

    public CpuBackend(int threads) {
        this.threads = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        this.pool = new ForkJoinPool(this.threads);
    }

    @Override
    public String name() { return "cpu"; }

    @Override
    public int threads() { return threads; }

    /** The worker pool, shared with attention so the engine never oversubscribes the cores. */
    public ForkJoinPool pool() { return pool; }

    @Override
    public void close() { pool.shutdown(); }

    /** Runs body(chunk) for chunk in [0, chunks) on the pool. */
    public void parallelFor(int chunks, java.util.function.IntConsumer body) {
        ParallelLoop.run(pool, threads, chunks, body);
    }

    // ---- memory ----

    /** Every buffer is fp32: the CPU's matrix products take fp32 activations ({@link Precision#COMPUTE} is fp32 here). */
    @Override
    public DeviceBuffer allocate(long rows, long cols, Precision precision) {
        return new CpuBuffer(new float[CpuBuffer.checkedSize(rows, cols)], rows, cols);
    }

    @Override
    public void copyFromHost(float[] src, DeviceBuffer dst, long firstRow) {
        long at = Math.multiplyExact(firstRow, dst.cols());
        if (src.length % dst.cols() != 0 || at + src.length > dst.numel()) {
            throw new IllegalArgumentException(src.length + " floats from row " + firstRow + " do not fit rows of " + dst.cols() + " in " + dst.rows() + " rows");
        }
        System.arraycopy(src, 0, CpuBuffer.data(dst), (int) at, src.length);
    }

    @Override
    public void copyToHost(DeviceBuffer src, long firstRow, int rows, float[] dst) {
        long from = Math.multiplyExact(firstRow, src.cols()), len = Math.multiplyExact((long) rows, src.cols());
        if (firstRow < 0 || firstRow + rows > src.rows() || dst.length < len) {
            throw new IllegalArgumentException("rows [" + firstRow + ", " + (firstRow + rows) + ") of " + src.rows() + " into " + dst.length + " floats");
        }
        System.arraycopy(CpuBuffer.data(src), (int) from, dst, 0, (int) len);
    }

    @Override
    public Weight upload(Tensor tensor) {
        return CpuWeight.of(tensor.name(), List.of(tensor));
    }

    @Override
    public Weight uploadStacked(String name, List<Tensor> parts) {
        return CpuWeight.of(name, parts);
    }

    /** A parallel copy: one thread does not reach the memory bandwidth the ceiling of {@code bench decode} means. */
    @Override
    public void copy(DeviceBuffer srcBuffer, DeviceBuffer dstBuffer) {
        float[] src = CpuBuffer.data(srcBuffer), dst = CpuBuffer.data(dstBuffer);
        if (src.length != dst.length) throw new IllegalArgumentException("copy of " + src.length + " floats into " + dst.length);
        int piece = 1 << 16;
        parallelFor((src.length + piece - 1) / piece, c -> {
            int from = c * piece;
            System.arraycopy(src, from, dst, from, Math.min(piece, src.length - from));
        });
    }

    @Override
    public DType kvDtype() { return DType.F32; }

    @Override
    public KvCache newKvCache(KvCacheSpec spec) {
        return new HostKvCache(spec);
    }

    @Override
    public Attention newAttention(AttentionGeometry geometry, SparseAttentionConfig sparse, int sparseThreshold) {
        return new CpuAttention(geometry, sparse, sparseThreshold, pool);
    }

    // ---- ops ----

    @Override
    public void matmul(Weight weight, DeviceBuffer xBuffer, int n, DeviceBuffer outBuffer) {
        CpuWeight w = CpuWeight.cast(weight);
        float[] x = CpuBuffer.data(xBuffer), out = CpuBuffer.data(outBuffer);
        int cols = Math.toIntExact(w.cols()), rows = Math.toIntExact(w.rows());
        if (w.vector() != null || xBuffer.cols() != cols || outBuffer.cols() != rows || xBuffer.rows() < n || outBuffer.rows() < n) {
            throw new IllegalArgumentException("matmul " + w.name() + " [" + rows + ", " + cols + "]: x has " + xBuffer.cols()
                    + " columns, out " + outBuffer.cols() + ", for n=" + n);
        }
        matmul(w.parts(), w.firstRow(), rows, x, n, out);
    }

    /**
     * out[t, firstRow[p] + r] = Σ_c x[t, c] · parts[p][r, c]: the parts of a stacked weight in one parallel loop, so a
     * fused q/k/v costs one synchronisation, not three.
     */
    private void matmul(Tensor[] parts, int[] firstRow, int outStride, float[] x, int n, float[] out) {
        int cols = parts[0].cols();
        int[] tasksBefore = new int[parts.length + 1];
        int[] perTask = new int[parts.length];
        for (int p = 0; p < parts.length; p++) {
            int blocks = (parts[p].rows() + ROW_BLOCK - 1) / ROW_BLOCK;
            // Decode streams weights once, widening in registers, in a few blocks per task; prefill widens block by block.
            perTask[p] = n <= 2 ? Math.max(1, blocks / (threads * 4)) : 1;
            tasksBefore[p + 1] = tasksBefore[p] + (blocks + perTask[p] - 1) / perTask[p];
        }
        float[][] split = new float[n][];
        boolean anyPairs = false;
        for (Tensor w : parts) anyPairs |= pairs(w, n);
        if (anyPairs) for (int t = 0; t < n; t++) split[t] = evenOdd(x, t * cols, cols);
        int tasks = tasksBefore[parts.length];
        // Two loops rather than one with a branch, so that each stays small enough for the JIT to inline its kernel.
        if (n <= 2) {
            parallelFor(tasks, task -> {
                int p = partOf(task, tasksBefore);
                Tensor w = parts[p];
                int r0 = (task - tasksBefore[p]) * perTask[p] * ROW_BLOCK;
                int r1 = Math.min(w.rows(), r0 + perTask[p] * ROW_BLOCK);
                if (pairs(w, n)) matvecBf16Pairs(w, split, cols, r0, r1, out, outStride, firstRow[p]);
                else for (int t = 0; t < n; t++) matvecRows(w, x, t * cols, cols, r0, r1, out, t * outStride + firstRow[p]);
            });
        } else {
            parallelFor(tasks, task -> {
                int p = partOf(task, tasksBefore);
                Tensor w = parts[p];
                int r0 = (task - tasksBefore[p]) * ROW_BLOCK;
                int r1 = Math.min(w.rows(), r0 + ROW_BLOCK);
                float[] tmp = scratch(ROW_BLOCK * cols);
                for (int r = r0; r < r1; r++) widenRow(w, r, cols, tmp, (r - r0) * cols);
                for (int t = 0; t < n; t++) dotBlock(tmp, r1 - r0, x, t * cols, cols, out, t * outStride + firstRow[p] + r0);
            });
        }
    }

    /** The stacked part a flat task index falls in. */
    private static int partOf(int task, int[] tasksBefore) {
        int p = 0;
        while (task >= tasksBefore[p + 1]) p++;
        return p;
    }

    private static boolean pairs(Tensor w, int n) {
        return n <= 2 && w.dtype() == DType.BF16 && w.cols() % (2 * F.length()) == 0;
    }

    private float[] scratch(int size) {
        float[] s = scratch.get();
        if (s == null || s.length < size) {
            s = new float[size];
            scratch.set(s);
        }
        return s;
    }

    /** x[off, off + cols) de-interleaved: even elements in the first half, odd ones in the second. */
    private static float[] evenOdd(float[] x, int off, int cols) {
        float[] s = new float[cols];
        int half = cols / 2;
        for (int i = 0; i < half; i++) {
            s[i] = x[off + 2 * i];
            s[half + i] = x[off + 2 * i + 1];
        }
        return s;
    }

    /**
     * bf16 matvec reading weights as 32-bit pairs: in little-endian memory an int holds element 2i in its low half
     * and 2i+1 in its high half, so a shift and a mask turn one load into the even and the odd fp32 lanes, with no
     * widening conversion. x comes de-interleaved ({@link #evenOdd}) to match.
     *
     * <p>One weight row at a time, so that each thread reads one sequential stream: decode is bound by DRAM, and
     * interleaving four rows (four streams 1.8 KB apart, to share the x loads) read markedly slower on the dev VM
     * (BENCHMARKS.md §1, runs A/B against C/D); x stays in L1 either way. Every token of xs uses the row while it is
     * in registers and L1, so the weights are read once however many tokens there are.
     */
    private static void matvecBf16Pairs(Tensor w, float[][] xs, int cols, int r0, int r1, float[] out, int outStride,
                                        int outOff) {
        MemorySegment seg = w.data();
        int half = cols / 2;
        long rowBytes = cols * 2L;
        int step = F.length();
        for (int r = r0; r < r1; r++) {
            long b = r * rowBytes;
            for (int t = 0; t < xs.length; t++) {
                float[] x = xs[t];
                // Two independent accumulator pairs hide the FMA latency; half is a multiple of step (caller checks).
                FloatVector a0 = FloatVector.zero(F), c0 = a0, a1 = a0, c1 = a0;
                int i = 0;
                for (; i + 2 * step <= half; i += 2 * step) {
                    IntVector p0 = IntVector.fromMemorySegment(I, seg, b + i * 4L, ByteOrder.LITTLE_ENDIAN);
                    IntVector p1 = IntVector.fromMemorySegment(I, seg, b + (i + step) * 4L, ByteOrder.LITTLE_ENDIAN);
                    a0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, i), a0);
                    c0 = p0.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, half + i), c0);
                    a1 = p1.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, i + step), a1);
                    c1 = p1.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, half + i + step), c1);
                }
                if (i < half) {
                    IntVector p0 = IntVector.fromMemorySegment(I, seg, b + i * 4L, ByteOrder.LITTLE_ENDIAN);
                    a0 = p0.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, i), a0);
                    c0 = p0.lanewise(VectorOperators.AND, 0xFFFF0000).reinterpretAsFloats().fma(FloatVector.fromArray(F, x, half + i), c0);
                }
                out[t * outStride + outOff + r] = a0.add(c0).add(a1.add(c1)).reduceLanes(VectorOperators.ADD);
            }
        }
    }

    /** out[outOff + r] = w[r] · x[xOff ..] for r in [r0, r1), one row (one sequential stream) at a time. */
    private static void matvecRows(Tensor w, float[] x, int xOff, int cols, int r0, int r1, float[] out, int outOff) {
        MemorySegment seg = w.data();
        DType dt = w.dtype();
        int r = r0;
        if (dt == DType.BF16 && cols % F.length() == 0) {
            for (; r < r1; r++) {
                long b = (long) r * cols * 2;
                FloatVector a = FloatVector.zero(F);
                for (int c = 0; c < cols; c += F.length()) {
                    a = bf16(seg, b + c * 2L).fma(FloatVector.fromArray(F, x, xOff + c), a);
                }
                out[outOff + r] = a.reduceLanes(VectorOperators.ADD);
            }
        } else if (dt == DType.F32 && cols % F.length() == 0) {
            for (; r < r1; r++) {
                long b = (long) r * cols * 4;
                FloatVector a = FloatVector.zero(F);
                for (int c = 0; c < cols; c += F.length()) {
                    FloatVector wv = FloatVector.fromMemorySegment(F, seg, b + c * 4L, ByteOrder.LITTLE_ENDIAN);
                    a = wv.fma(FloatVector.fromArray(F, x, xOff + c), a);
                }
                out[outOff + r] = a.reduceLanes(VectorOperators.ADD);
            }
        } else {
            float[] tmp = new float[cols];
            for (; r < r1; r++) {
                widenRow(w, r, cols, tmp, 0);
                out[outOff + r] = dot(tmp, 0, x, xOff, cols);
            }
        }
    }

    private static FloatVector bf16(MemorySegment seg, long byteOffset) {
        ShortVector s = ShortVector.fromMemorySegment(S, seg, byteOffset, ByteOrder.LITTLE_ENDIAN);
        IntVector i = (IntVector) s.convertShape(VectorOperators.S2I, I, 0);
        return i.lanewise(VectorOperators.LSHL, 16).reinterpretAsFloats();
    }

    /** Widens one weight row to fp32 into dst[dstOff, dstOff + cols). */
    static void widenRow(Tensor w, int row, int cols, float[] dst, int dstOff) {
        MemorySegment seg = w.data();
        long base = (long) row * cols * w.dtype().bytes;
        switch (w.dtype()) {
            case F32 -> MemorySegment.copy(seg, FLOAT_LE, base, dst, dstOff, cols);
            case BF16 -> {
                int c = 0;
                for (; c + F.length() <= cols; c += F.length()) {
                    bf16(seg, base + c * 2L).intoArray(dst, dstOff + c);
                }
                for (; c < cols; c++) dst[dstOff + c] = Float.intBitsToFloat(seg.get(SHORT_LE, base + c * 2L) << 16);
            }
            case F16 -> {
                for (int c = 0; c < cols; c++) dst[dstOff + c] = Float.float16ToFloat(seg.get(SHORT_LE, base + c * 2L));
            }
        }
    }

    /** out[outOff + i] = tmp[i] · x[xOff..] for i < nRows, four weight rows per pass over x. */
    private static void dotBlock(float[] tmp, int nRows, float[] x, int xOff, int cols, float[] out, int outOff) {
        int i = 0;
        int upper = F.loopBound(cols);
        for (; i + 4 <= nRows; i += 4) {
            int o0 = i * cols, o1 = o0 + cols, o2 = o1 + cols, o3 = o2 + cols;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            int c = 0;
            for (; c < upper; c += F.length()) {
                FloatVector xv = FloatVector.fromArray(F, x, xOff + c);
                a0 = FloatVector.fromArray(F, tmp, o0 + c).fma(xv, a0);
                a1 = FloatVector.fromArray(F, tmp, o1 + c).fma(xv, a1);
                a2 = FloatVector.fromArray(F, tmp, o2 + c).fma(xv, a2);
                a3 = FloatVector.fromArray(F, tmp, o3 + c).fma(xv, a3);
            }
            float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
            float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
            for (; c < cols; c++) {
                float xc = x[xOff + c];
                s0 += tmp[o0 + c] * xc;
                s1 += tmp[o1 + c] * xc;
                s2 += tmp[o2 + c] * xc;
                s3 += tmp[o3 + c] * xc;
            }
            out[outOff + i] = s0;
            out[outOff + i + 1] = s1;
            out[outOff + i + 2] = s2;
            out[outOff + i + 3] = s3;
        }
        for (; i < nRows; i++) out[outOff + i] = dot(tmp, i * cols, x, xOff, cols);
    }

    /** Vectorised fp32 dot product. */
    public static float dot(float[] a, int aOff, float[] b, int bOff, int len) {
        FloatVector acc = FloatVector.zero(F);
        int c = 0;
        for (int upper = F.loopBound(len); c < upper; c += F.length()) {
            acc = FloatVector.fromArray(F, a, aOff + c).fma(FloatVector.fromArray(F, b, bOff + c), acc);
        }
        float s = acc.reduceLanes(VectorOperators.ADD);
        for (; c < len; c++) s += a[aOff + c] * b[bOff + c];
        return s;
    }

    @Override
    public void embed(Weight weight, int[] ids, int n, DeviceBuffer outBuffer) {
        Tensor table = CpuWeight.cast(weight).single();
        float[] out = CpuBuffer.data(outBuffer);
        int dim = table.cols();
        if (outBuffer.cols() != dim || outBuffer.rows() < n || ids.length < n) {
            throw new IllegalArgumentException("embed: " + n + " ids into [" + outBuffer.rows() + ", " + outBuffer.cols() + "], table width " + dim);
        }
        for (int t = 0; t < n; t++) {
            if (ids[t] < 0 || ids[t] >= table.rows()) {
                throw new IllegalArgumentException("token id " + ids[t] + " is outside the vocabulary [0, " + table.rows() + ")");
            }
            widenRow(table, ids[t], dim, out, t * dim);
        }
    }

    @Override
    public void rmsNorm(DeviceBuffer xBuffer, int n, Weight weightHandle, double eps, DeviceBuffer outBuffer) {
        float[] x = CpuBuffer.data(xBuffer), out = CpuBuffer.data(outBuffer), weight = CpuWeight.cast(weightHandle).requireVector();
        int dim = weight.length;
        if (xBuffer.cols() != dim || outBuffer.cols() != dim || xBuffer.rows() < n || outBuffer.rows() < n) {
            throw new IllegalArgumentException("rmsNorm: weight of " + dim + " for rows of " + xBuffer.cols() + " and " + outBuffer.cols());
        }
        for (int t = 0; t < n; t++) {
            int off = t * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[off + i] * x[off + i];
            float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) out[off + i] = x[off + i] * inv * weight[i];
        }
    }

    @Override
    public void siluMul(DeviceBuffer gateUpBuffer, int n, DeviceBuffer outBuffer) {
        float[] gu = CpuBuffer.data(gateUpBuffer), out = CpuBuffer.data(outBuffer);
        int inter = Math.toIntExact(outBuffer.cols());
        if (gateUpBuffer.cols() != 2L * inter || gateUpBuffer.rows() < n || outBuffer.rows() < n) {
            throw new IllegalArgumentException("siluMul: gate/up rows of " + gateUpBuffer.cols() + " for an output of " + inter);
        }
        // Decode rows are a few microseconds of work: not worth waking the pool.
        if (n <= 2) for (int t = 0; t < n; t++) siluMulRow(gu, out, t, inter);
        else parallelFor(n, t -> siluMulRow(gu, out, t, inter));
    }

    private static void siluMulRow(float[] gu, float[] out, int t, int inter) {
        int g = t * 2 * inter, o = t * inter;
        for (int i = 0; i < inter; i++) {
            float x = gu[g + i];
            out[o + i] = (float) (x / (1.0 + Math.exp(-x))) * gu[g + inter + i];
        }
    }

    @Override
    public void addBias(DeviceBuffer xBuffer, int n, Weight biasHandle) {
        if (xBuffer.rows() < n || xBuffer.cols() != biasHandle.cols()) {
            throw new IllegalArgumentException("addBias: a bias of " + biasHandle.cols() + " for rows of " + xBuffer.cols());
        }
        addBias(CpuBuffer.data(xBuffer), n, biasHandle);
    }

    /** {@code x[t, :] += bias} for t < n, x holding rows of the bias's length (CPU attention adds the q/k/v bias). */
    public static void addBias(float[] x, int n, Weight biasHandle) {
        float[] bias = CpuWeight.cast(biasHandle).requireVector();
        int dim = bias.length;
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < dim; i++) x[t * dim + i] += bias[i];
        }
    }

    @Override
    public void add(DeviceBuffer accBuffer, DeviceBuffer deltaBuffer, int n) {
        float[] acc = CpuBuffer.data(accBuffer), delta = CpuBuffer.data(deltaBuffer);
        if (accBuffer.cols() != deltaBuffer.cols() || accBuffer.rows() < n || deltaBuffer.rows() < n) {
            throw new IllegalArgumentException("add: rows of " + accBuffer.cols() + " and " + deltaBuffer.cols());
        }
        int len = Math.toIntExact(n * accBuffer.cols());
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            FloatVector.fromArray(F, acc, i).add(FloatVector.fromArray(F, delta, i)).intoArray(acc, i);
        }
        for (; i < len; i++) acc[i] += delta[i];
    }

    @Override
    public void gatherRows(DeviceBuffer xBuffer, int[] rows, int from, int count, DeviceBuffer outBuffer) {
        float[] x = CpuBuffer.data(xBuffer), out = CpuBuffer.data(outBuffer);
        int dim = Math.toIntExact(xBuffer.cols());
        if (outBuffer.cols() != dim || outBuffer.rows() < count) {
            throw new IllegalArgumentException("gatherRows: " + count + " rows of " + dim + " into [" + outBuffer.rows() + ", " + outBuffer.cols() + "]");
        }
        for (int i = 0; i < count; i++) {
            int r = rows[from + i];
            if (r < 0 || r >= xBuffer.rows()) throw new IndexOutOfBoundsException("row " + r + " of " + xBuffer.rows());
            System.arraycopy(x, r * dim, out, i * dim, dim);
        }
    }
}
