package dev.longctx.engine.backend.cpu;

import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.weights.DType;
import dev.longctx.engine.weights.Tensor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
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
    public int threads() { return threads; }

    /** The worker pool, shared with attention so the engine never oversubscribes the cores. */
    public ForkJoinPool pool() { return pool; }

    @Override
    public void close() { pool.shutdown(); }

    /** Runs body(chunk) for chunk in [0, chunks) on the pool. */
    public void parallelFor(int chunks, java.util.function.IntConsumer body) {
        ParallelLoop.run(pool, threads, chunks, body);
    }

    @Override
    public void matmul(Tensor w, float[] x, int n, float[] out) {
        int rows = w.rows();
        int cols = w.cols();
        if (x.length < (long) n * cols || out.length < (long) n * rows) {
            throw new IllegalArgumentException("matmul " + w + ": x has " + x.length + " floats for n=" + n
                    + ", out has " + out.length);
        }
        int blocks = (rows + ROW_BLOCK - 1) / ROW_BLOCK;
        if (n <= 2) {
            // Decode: stream weights once, widening in registers.
            int perTask = Math.max(1, blocks / (threads * 4));
            int tasks = (blocks + perTask - 1) / perTask;
            boolean pairs = w.dtype() == DType.BF16 && cols % (2 * F.length()) == 0;
            float[][] split = new float[n][];
            if (pairs) for (int t = 0; t < n; t++) split[t] = evenOdd(x, t * cols, cols);
            parallelFor(tasks, task -> {
                int r0 = task * perTask * ROW_BLOCK;
                int r1 = Math.min(rows, r0 + perTask * ROW_BLOCK);
                if (pairs) matvecBf16Pairs(w, split, cols, r0, r1, out, rows);
                else for (int t = 0; t < n; t++) matvecRows(w, x, t * cols, cols, r0, r1, out, t * rows);
            });
        } else {
            parallelFor(blocks, b -> {
                int r0 = b * ROW_BLOCK;
                int r1 = Math.min(rows, r0 + ROW_BLOCK);
                float[] tmp = scratch(ROW_BLOCK * cols);
                for (int r = r0; r < r1; r++) widenRow(w, r, cols, tmp, (r - r0) * cols);
                for (int t = 0; t < n; t++) dotBlock(tmp, r1 - r0, x, t * cols, cols, out, t * rows + r0);
            });
        }
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
    private static void matvecBf16Pairs(Tensor w, float[][] xs, int cols, int r0, int r1, float[] out, int outStride) {
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
                out[t * outStride + r] = a0.add(c0).add(a1.add(c1)).reduceLanes(VectorOperators.ADD);
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
    public void embed(Tensor table, int[] ids, float[] out) {
        int dim = table.cols();
        for (int t = 0; t < ids.length; t++) {
            if (ids[t] < 0 || ids[t] >= table.rows()) {
                throw new IllegalArgumentException("token id " + ids[t] + " is outside the vocabulary [0, " + table.rows() + ")");
            }
            widenRow(table, ids[t], dim, out, t * dim);
        }
    }

    @Override
    public void rmsNorm(float[] x, int n, int dim, float[] weight, double eps, float[] out) {
        for (int t = 0; t < n; t++) {
            int off = t * dim;
            double ss = 0;
            for (int i = 0; i < dim; i++) ss += (double) x[off + i] * x[off + i];
            float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
            for (int i = 0; i < dim; i++) out[off + i] = x[off + i] * inv * weight[i];
        }
    }

    @Override
    public void siluMul(float[] gate, float[] up, int len) {
        for (int i = 0; i < len; i++) {
            float g = gate[i];
            gate[i] = (float) (g / (1.0 + Math.exp(-g))) * up[i];
        }
    }

    @Override
    public void addBias(float[] x, int n, float[] bias) {
        int dim = bias.length;
        for (int t = 0; t < n; t++) {
            for (int i = 0; i < dim; i++) x[t * dim + i] += bias[i];
        }
    }

    @Override
    public void add(float[] acc, float[] delta, int len) {
        int i = 0;
        for (int upper = F.loopBound(len); i < upper; i += F.length()) {
            FloatVector.fromArray(F, acc, i).add(FloatVector.fromArray(F, delta, i)).intoArray(acc, i);
        }
        for (; i < len; i++) acc[i] += delta[i];
    }
}
