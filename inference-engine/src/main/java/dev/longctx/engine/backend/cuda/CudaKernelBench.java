package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.model.DcaConfig;
import jcuda.driver.CUevent;
import jcuda.driver.CUgraph;
import jcuda.driver.CUgraphExec;
import jcuda.driver.CUstreamCaptureMode;
import jcuda.driver.JCudaDriver;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Kernel-level timings on one GPU for the Qwen2.5-7B-Instruct-1M geometry (28 query heads, 4 KV heads, d = 128,
 * θ = 1e7), random bf16 data, CUDA events around the launches, warm-up excluded, median of several runs:
 * <ul>
 *   <li>prefill attention, one layer, one sequence of N tokens from position 0, causal (dense and DCA config),
 *       TFLOP/s counted as 2·N²·H·d (the causal half of 4·N²·H·d, PyTorch's convention);</li>
 *   <li>decode attention, one layer, batch B at context N: bytes of K and V read over time, against the copy
 *       ceiling (a device-to-device copy measured in the same run);</li>
 *   <li>the prefill GEMMs of one layer through cuBLAS at 32K tokens.</li>
 * </ul>
 * Usage: {@code CudaKernelBench [lengths, default 32768,131072] [decode]} ({@code decode}: the decode rows only).
 * Decode is timed as CUDA-graph replays of 20 steps, as a serving loop would run it: one step's two launches take
 * longer to issue through JCuda than the 4K-context kernels take to run. Prints a table last.
 */
public final class CudaKernelBench {
    private static final int H = 28, HKV = 4, D = 128;
    private static final DcaConfig DCA_1M = new DcaConfig(262144, 8192, 262144);

    private final CudaContext ctx;
    private final CudaKernels k;
    private final List<String> table = new ArrayList<>();
    private final Random rnd = new Random(7);

    private CudaKernelBench(CudaContext ctx) {
        this.ctx = ctx;
        this.k = new CudaKernels(ctx);
    }

    public static void main(String[] args) {
        int[] lengths = args.length > 0 ? Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {32768, 131072};
        boolean decodeOnly = args.length > 1 && args[1].equals("decode");
        try (CudaContext ctx = CudaContext.open(0)) {
            System.out.println("device: " + ctx + "; " + CudaAvailability.probe().reason());
            CudaKernelBench b = new CudaKernelBench(ctx);
            double copy = b.copyBandwidth();
            b.table.add(String.format("%-34s %10s %12s", "measurement", "ms", "rate"));
            b.table.add(String.format("%-34s %10s %9.0f GB/s", "device copy (read+write)", "", copy / 1e9));
            if (!decodeOnly) {
                for (int n : lengths) {
                    b.prefill(n, null, "dense");
                    b.prefill(n, DCA_1M, "dca");
                }
            }
            for (int n : new int[] {4096, 131072}) {
                for (int batch : new int[] {1, 8}) b.decode(n, batch, copy);
            }
            if (!decodeOnly) b.gemms(32768);
            System.out.println();
            System.out.println("== CudaKernelBench summary (" + ctx.deviceName() + ") ==");
            b.table.forEach(System.out::println);
        }
    }

    private void prefill(int n, DcaConfig dca, String label) {
        AttentionGeometry g = new AttentionGeometry(H, HKV, D, 1e7, dca);
        int blockSize = 256;
        int blocks = (n + blockSize - 1) / blockSize;
        long kvBytes = PagedKvLayer.bytes(blocks, blockSize, HKV, D);
        try (var rope = k.ropeTable(g); CudaMemory q = random(2L * n * g.qDim()); CudaMemory kc = random(kvBytes);
             CudaMemory vc = random(kvBytes); CudaMemory out = ctx.allocate(2L * n * g.qDim());
             CudaMemory lse = ctx.allocate(4L * n * H); Meta m = meta(new int[] {n}, new int[] {n}, blocks)) {
            PagedKvLayer kv = new PagedKvLayer(kc, vc, blocks, blockSize, HKV, D);
            AttentionBatch batch = m.batch(n, n);
            double ms = time(n >= 100_000 ? 3 : 10, () -> k.prefillAttention(rope, q, kv, batch, out, lse));
            double tflops = 2.0 * n * (double) n * H * D / (ms / 1e3) / 1e12;
            line(String.format("prefill attention %-6s N=%-7d", label, n), ms, String.format("%9.1f TFLOP/s", tflops));
        }
    }

    private void decode(int n, int batch, double copyBytesPerSecond) {
        AttentionGeometry g = new AttentionGeometry(H, HKV, D, 1e7, null);
        int blockSize = 256;
        int perSeq = (n + blockSize - 1) / blockSize;
        int blocks = perSeq * batch;
        long kvBytes = PagedKvLayer.bytes(blocks, blockSize, HKV, D);
        int[] lens = new int[batch], qlens = new int[batch];
        Arrays.fill(lens, n);
        Arrays.fill(qlens, 1);
        try (var rope = k.ropeTable(g); CudaMemory q = random(2L * batch * g.qDim()); CudaMemory kc = random(kvBytes);
             CudaMemory vc = random(kvBytes); CudaMemory out = ctx.allocate(2L * batch * g.qDim());
             CudaMemory lse = ctx.allocate(4L * batch * H); Meta m = meta(lens, qlens, perSeq);
             CudaMemory ws = ctx.allocate(k.decodeWorkspaceBytes(batch, g, n))) {
            PagedKvLayer kv = new PagedKvLayer(kc, vc, blocks, blockSize, HKV, D);
            AttentionBatch b = m.batch(batch, n);
            double ms = timeGraph(20, () -> k.decodeAttention(rope, q, kv, b, ws, out, lse));
            double bytes = 2.0 * batch * n * HKV * D * 2;
            double bw = bytes / (ms / 1e3);
            line(String.format("decode attention B=%-2d N=%-7d", batch, n), ms,
                    String.format("%9.0f GB/s = %.0f%% of copy", bw / 1e9, 100 * bw / copyBytesPerSecond));
        }
    }

    private void gemms(int n) {
        int hidden = 3584, inter = 18944;
        int[][] shapes = {{hidden, (H + 2 * HKV) * D}, {H * D, hidden}, {hidden, 2 * inter}, {inter, hidden}};
        String[] names = {"qkv", "o", "gate_up", "down"};
        Cublas blas = ctx.cublas();
        for (int i = 0; i < shapes.length; i++) {
            int in = shapes[i][0], outDim = shapes[i][1];
            try (CudaMemory x = random(2L * n * in); CudaMemory w = random(2L * outDim * in);
                 CudaMemory y = ctx.allocate(2L * n * outDim)) {
                double ms = time(10, () -> blas.linear(x, w, y, n, in, outDim, false));
                double tflops = 2.0 * n * in * (double) outDim / (ms / 1e3) / 1e12;
                line(String.format("cuBLAS %-8s %5dx%-5d N=%d", names[i], in, outDim, n), ms, String.format("%9.1f TFLOP/s", tflops));
            }
        }
    }

    /** Device-to-device copy of 4 GiB, bytes read + written per second. */
    private double copyBandwidth() {
        long bytes = 4L << 30;
        try (CudaMemory a = random(bytes); CudaMemory b = ctx.allocate(bytes)) {
            double ms = time(10, () -> JCudaDriver.cuMemcpyDtoDAsync(b.pointer(), a.pointer(), bytes, ctx.stream()));
            return 2.0 * bytes / (ms / 1e3);
        }
    }

    /** Milliseconds per call: `steps` calls captured into one CUDA graph, median of 10 replays, divided by steps. */
    private double timeGraph(int steps, Runnable call) {
        call.run();
        ctx.synchronize();
        CUgraph graph = new CUgraph();
        CUgraphExec exec = new CUgraphExec();
        JCudaDriver.cuStreamBeginCapture(ctx.stream(), CUstreamCaptureMode.CU_STREAM_CAPTURE_MODE_THREAD_LOCAL);
        for (int i = 0; i < steps; i++) call.run();
        JCudaDriver.cuStreamEndCapture(ctx.stream(), graph);
        JCudaDriver.cuGraphInstantiate(exec, graph, 0);
        try {
            return time(10, () -> JCudaDriver.cuGraphLaunch(exec, ctx.stream())) / steps;
        } finally {
            JCudaDriver.cuGraphExecDestroy(exec);
            JCudaDriver.cuGraphDestroy(graph);
        }
    }

    /** Median milliseconds of one call over reps timed runs, after one warm-up. */
    private double time(int reps, Runnable call) {
        call.run();
        ctx.synchronize();
        CUevent start = new CUevent(), end = new CUevent();
        JCudaDriver.cuEventCreate(start, 0);
        JCudaDriver.cuEventCreate(end, 0);
        double[] ms = new double[reps];
        float[] t = new float[1];
        for (int r = 0; r < reps; r++) {
            JCudaDriver.cuEventRecord(start, ctx.stream());
            call.run();
            JCudaDriver.cuEventRecord(end, ctx.stream());
            JCudaDriver.cuEventSynchronize(end);
            JCudaDriver.cuEventElapsedTime(t, start, end);
            ms[r] = t[0];
        }
        JCudaDriver.cuEventDestroy(start);
        JCudaDriver.cuEventDestroy(end);
        Arrays.sort(ms);
        return ms[reps / 2];
    }

    private void line(String what, double ms, String rate) {
        String s = String.format("%-34s %10.3f %s", what, ms, rate);
        System.out.println(s);
        table.add(s);
    }

    /** A buffer of random bf16 values in [−2, 2) (every 16-bit half of the fill is a finite bf16). */
    private CudaMemory random(long bytes) {
        CudaMemory b = ctx.allocate(bytes);
        int chunk = 1 << 24;
        short[] host = new short[chunk];
        for (int i = 0; i < chunk; i++) host[i] = bf16((float) (rnd.nextDouble() * 4 - 2));
        for (long off = 0; off < bytes; off += 2L * chunk) {
            long len = Math.min(2L * chunk, bytes - off);
            CudaMemory v = b.view(off, len);
            if (len == 2L * chunk) v.copyFrom(host);
            else v.copyFrom(Arrays.copyOf(host, (int) (len / 2)));
        }
        return b;
    }

    private static short bf16(float x) {
        int bits = Float.floatToRawIntBits(x);
        return (short) ((bits + 0x7fff + ((bits >>> 16) & 1)) >>> 16);
    }

    /** One step's metadata for sequences with the given lengths and query counts, contiguous block tables. */
    private Meta meta(int[] lens, int[] qlens, int maxBlocks) {
        int s = lens.length;
        int[] cu = new int[s + 1], tables = new int[s * maxBlocks], scale = new int[s];
        for (int i = 0; i < s; i++) {
            cu[i + 1] = cu[i] + qlens[i];
            for (int b = 0; b < maxBlocks; b++) tables[i * maxBlocks + b] = i * maxBlocks + b;
        }
        return new Meta(upload(cu), upload(lens), upload(tables), upload(scale), s, maxBlocks);
    }

    private CudaMemory upload(int[] x) {
        CudaMemory b = ctx.allocate(4L * x.length);
        b.copyFrom(x);
        return b;
    }

    private record Meta(CudaMemory cu, CudaMemory lens, CudaMemory tables, CudaMemory scale, int seqs, int maxBlocks)
            implements AutoCloseable {
        AttentionBatch batch(int tokens, int maxLen) {
            return new AttentionBatch(seqs, tokens, maxLen, cu, lens, tables, maxBlocks, scale);
        }

        @Override
        public void close() {
            cu.close();
            lens.close();
            tables.close();
            scale.close();
        }
    }
}
