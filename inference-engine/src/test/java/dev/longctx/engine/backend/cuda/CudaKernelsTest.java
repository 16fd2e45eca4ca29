package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.Rope;
import dev.longctx.engine.model.DcaConfig;
import dev.longctx.engine.sampling.Sampler;
import dev.longctx.engine.sampling.SamplerReference;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static dev.longctx.engine.backend.cuda.CudaTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every non-attention kernel and the cuBLAS binding against the engine's CPU code (Rope, Sampler) or a float64
 * reference, on fresh random inputs, outputs poisoned before each launch. Skipped without a working GPU.
 */
class CudaKernelsTest {
    /** RMSNorm of ALGORITHMS.md §0 in float64: x / sqrt(mean(x²) + eps) * weight, per row. */
    private static void rmsNorm(float[] x, int n, int dim, float[] weight, float eps, float[] out) {
        for (int r = 0; r < n; r++) {
            double ss = 0;
            for (int j = 0; j < dim; j++) ss += (double) x[r * dim + j] * x[r * dim + j];
            double inv = 1 / Math.sqrt(ss / dim + eps);
            for (int j = 0; j < dim; j++) out[r * dim + j] = (float) (x[r * dim + j] * inv * weight[j]);
        }
    }

    /** gate[i] = silu(gate[i]) · up[i] in float64. */
    private static void siluMul(float[] gate, float[] up, int len) {
        for (int i = 0; i < len; i++) {
            double g = gate[i];
            gate[i] = (float) (g / (1 + Math.exp(-g)) * up[i]);
        }
    }

    private final Random rnd = new Random(System.nanoTime());

    @Test
    void embeddingCopiesRowsAndMarksBadIds() {
        CudaKernels k = kernels();
        CudaContext c = k.context();
        int vocab = 1000, dim = 896, n = 37;
        short[] table = randomBf16(rnd, vocab * dim, 1.0);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rnd.nextInt(vocab);
        ids[5] = vocab;  // out of range → NaN row
        try (CudaMemory t = upload(c, table); CudaMemory id = upload(c, ids); CudaMemory out = c.allocate(4L * n * dim)) {
            out.poison();
            k.embed(id, n, t, vocab, dim, out);
            float[] got = downloadF32(out, n * dim);
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < dim; j++) {
                    if (r == 5) assertThat(got[r * dim + j]).isNaN();
                    else assertThat(got[r * dim + j]).isEqualTo(f32(table[ids[r] * dim + j]));
                }
            }
        }
    }

    @Test
    void residualAddRmsNormMatchesTheCpuBackend() {
        CudaKernels k = kernels();
        CudaContext c = k.context();
        int n = 19, dim = 3584;
        float[] residual = new float[n * dim];
        for (int i = 0; i < residual.length; i++) residual[i] = (float) (rnd.nextGaussian() * 3);
        short[] delta = randomBf16(rnd, n * dim, 1.0);
        float[] weight = new float[dim];
        for (int i = 0; i < dim; i++) weight[i] = (float) (1 + 0.3 * rnd.nextGaussian());
        float eps = 1e-6f;

        float[] sum = residual.clone();
        float[] d = toFloat(delta);
        for (int i = 0; i < sum.length; i++) sum[i] += d[i];
        float[] expected = new float[n * dim];
        rmsNorm(sum, n, dim, weight, eps, expected);

        try (CudaMemory r = upload(c, residual); CudaMemory dl = upload(c, delta); CudaMemory w = upload(c, weight);
             CudaMemory out = c.allocate(2L * n * dim)) {
            out.poison();
            k.addRmsNorm(r, dl, w, eps, n, dim, out);
            assertThat(relErr(downloadBf16(out, n * dim), expected)).isLessThan(1e-2);
            assertThat(downloadF32(r, n * dim)).containsExactly(sum);  // the residual stream, updated in place

            // Only some rows, residual read-only: the logits path.
            int[] rows = {n - 1, 3, 0};
            float[] sub = new float[rows.length * dim];
            float[] subExpected = new float[rows.length * dim];
            for (int i = 0; i < rows.length; i++) System.arraycopy(sum, rows[i] * dim, sub, i * dim, dim);
            rmsNorm(sub, rows.length, dim, weight, eps, subExpected);
            try (CudaMemory rw = upload(c, rows); CudaMemory o2 = c.allocate(2L * rows.length * dim)) {
                o2.poison();
                k.gatherRmsNorm(r, null, rw, rows.length, w, eps, dim, o2);
                assertThat(relErr(downloadBf16(o2, rows.length * dim), subExpected)).isLessThan(1e-2);
                assertThat(downloadF32(r, n * dim)).containsExactly(sum);
            }
        }
    }

    @Test
    void swigluMatchesTheCpuBackendIncludingOddWidths() {
        CudaKernels k = kernels();
        CudaContext c = k.context();
        for (int inter : new int[] {4864, 37}) {
            int n = 23;
            short[] gu = randomBf16(rnd, n * 2 * inter, 2.0);
            float[] gate = new float[n * inter], up = new float[n * inter];
            for (int r = 0; r < n; r++) {
                for (int j = 0; j < inter; j++) {
                    gate[r * inter + j] = f32(gu[r * 2 * inter + j]);
                    up[r * inter + j] = f32(gu[r * 2 * inter + inter + j]);
                }
            }
            siluMul(gate, up, n * inter);
            try (CudaMemory g = upload(c, gu); CudaMemory out = c.allocate(2L * n * inter)) {
                out.poison();
                k.swiglu(g, n, inter, out);
                assertThat(relErr(downloadBf16(out, n * inter), gate)).as("inter " + inter).isLessThan(1e-2);
            }
        }
    }

    @Test
    void qkvBiasRopeAndKvWriteMatchTheCpuRope() {
        CudaKernels k = kernels();
        CudaContext c = k.context();
        // GQA 7:1, head_dim 128, DCA with L = 96 and positions far past L, so keys are rotated at p mod L.
        AttentionGeometry g = new AttentionGeometry(14, 2, 128, 1e7, new DcaConfig(128, 32, 64));
        int n = 9, blockSize = 16, numBlocks = 8;
        int width = (g.numHeads() + 2 * g.numKvHeads()) * g.headDim();
        int stride = width + 8;  // padded rows
        short[] qkv = randomBf16(rnd, n * stride, 1.0);
        float[] bias = new float[width];
        for (int i = 0; i < width; i++) bias[i] = (float) rnd.nextGaussian();
        int[] positions = new int[n];
        int[] slots = new int[n];
        for (int t = 0; t < n; t++) {
            positions[t] = 1_000_000 - 37 * t;
            slots[t] = t == 4 ? -1 : (numBlocks - 1 - t / blockSize) * blockSize + (t * 3) % blockSize;
        }
        long cacheBytes = PagedKvLayer.bytes(numBlocks, blockSize, g.numKvHeads(), g.headDim());
        try (var rope = k.ropeTable(g); CudaMemory in = upload(c, qkv); CudaMemory b = upload(c, bias);
             CudaMemory q = c.allocate(2L * n * g.qDim()); CudaMemory kc = c.allocate(cacheBytes);
             CudaMemory vc = c.allocate(cacheBytes); CudaMemory pos = upload(c, positions); CudaMemory sl = upload(c, slots)) {
            q.poison();
            kc.poison();
            vc.poison();
            PagedKvLayer kv = new PagedKvLayer(kc, vc, numBlocks, blockSize, g.numKvHeads(), g.headDim());
            k.qkvRopeKvWrite(rope, in, n, stride, b, q, kv, pos, sl);
            float[] qGot = downloadBf16(q, n * g.qDim());
            float[] kGot = downloadBf16(kc, (int) (cacheBytes / 2));
            float[] vGot = downloadBf16(vc, (int) (cacheBytes / 2));
            Rope cpuRope = new Rope(g.headDim(), g.ropeTheta());
            float[] qRef = new float[n * g.qDim()];
            int kvDim = g.kvDim();
            for (int t = 0; t < n; t++) {
                for (int e = 0; e < g.qDim(); e++) qRef[t * g.qDim() + e] = f32(qkv[t * stride + e]) + bias[e];
                if (slots[t] < 0) continue;
                float[] kRow = new float[kvDim], vRow = new float[kvDim], kRef = new float[kvDim];
                for (int e = 0; e < kvDim; e++) {
                    kRow[e] = f32(qkv[t * stride + g.qDim() + e]) + bias[g.qDim() + e];
                    vRow[e] = f32(qkv[t * stride + g.qDim() + kvDim + e]) + bias[g.qDim() + kvDim + e];
                }
                Rope.Angles a = cpuRope.angles(g.keyPosition(positions[t]));
                for (int h = 0; h < g.numKvHeads(); h++) cpuRope.rotate(kRow, h * g.headDim(), kRef, h * g.headDim(), a);
                float[] kSlot = new float[kvDim], vSlot = new float[kvDim];
                System.arraycopy(kGot, slots[t] * kvDim, kSlot, 0, kvDim);
                System.arraycopy(vGot, slots[t] * kvDim, vSlot, 0, kvDim);
                assertThat(relErr(kSlot, kRef)).as("K of token " + t).isLessThan(1e-2);
                assertThat(relErr(vSlot, vRow)).as("V of token " + t).isLessThan(1e-2);
            }
            assertThat(relErr(qGot, qRef)).isLessThan(1e-2);
        }
    }

    @Test
    void cublasLinearMatchesAFloat64Product() {
        CudaKernels k = kernels();
        CudaContext c = k.context();
        int n = 67, in = 896, out = 1000;
        short[] x = randomBf16(rnd, n * in, 1.0);
        short[] w = randomBf16(rnd, out * in, 0.05);
        double[] ref = new double[n * out];
        for (int t = 0; t < n; t++) {
            for (int r = 0; r < out; r++) {
                double s = 0;
                for (int j = 0; j < in; j++) s += (double) f32(x[t * in + j]) * f32(w[r * in + j]);
                ref[t * out + r] = s;
            }
        }
        try (CudaMemory xb = upload(c, x); CudaMemory wb = upload(c, w); CudaMemory o16 = c.allocate(2L * n * out);
             CudaMemory o32 = c.allocate(4L * n * out)) {
            o16.poison();
            o32.poison();
            c.cublas().linear(xb, wb, o16, n, in, out, false);
            c.cublas().linear(xb, wb, o32, n, in, out, true);
            assertThat(relErr(downloadBf16(o16, n * out), ref)).isLessThan(1e-2);
            assertThat(relErr(downloadF32(o32, n * out), ref)).isLessThan(1e-4);
        }
    }

    @Test
    void greedySamplingIsTheCpuArgmax() {
        CudaKernels k = kernels();
        int m = 5, vocab = 152064;
        float[] logits = new float[m * vocab];
        for (int i = 0; i < logits.length; i++) logits[i] = (float) rnd.nextGaussian();
        logits[2 * vocab + 7] = 50f;
        logits[2 * vocab + 9] = 50f;  // a tie: the lower index wins
        logits[3 * vocab + 11] = Float.NaN;  // NaN never wins
        int[] ids = sample(k, logits, m, vocab, 0f, 0, 1f, 0f, new long[m]);
        for (int r = 0; r < m; r++) {
            float[] row = java.util.Arrays.copyOfRange(logits, r * vocab, (r + 1) * vocab);
            assertThat(ids[r]).as("row " + r).isEqualTo(Sampler.argmax(row));
        }
    }

    @Test
    void topKTopPSamplingDrawsFromTheCpuSamplersKeptSetWithItsProbabilities() {
        CudaKernels k = kernels();
        int vocab = 5003, rows = 16384;
        float[] one = new float[vocab];
        for (int i = 0; i < vocab; i++) one[i] = (float) (rnd.nextGaussian() * 2.5);
        float temperature = 0.8f, topP = 0.9f, minP = 0.001f;
        int topK = 40;
        double[] w = SamplerReference.filteredWeights(one, temperature, topK, topP, minP);
        double total = 0;
        for (double v : w) total += v;
        float[] logits = new float[rows * vocab];
        long[] seeds = new long[rows];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(one, 0, logits, r * vocab, vocab);
            seeds[r] = rnd.nextLong();
        }
        int[] ids = sample(k, logits.clone(), rows, vocab, temperature, topK, topP, minP, seeds);
        double[] freq = new double[vocab];
        for (int id : ids) {
            assertThat(id).isBetween(0, vocab - 1);
            assertThat(w[id]).as("token %d was filtered out on the CPU", id).isGreaterThan(0);
            freq[id] += 1.0 / rows;
        }
        double tv = 0;
        for (int i = 0; i < vocab; i++) tv += Math.abs(freq[i] - w[i] / total) / 2;
        assertThat(tv).as("total variation from the CPU sampler's distribution").isLessThan(0.05);
        // Same seeds, same draws.
        assertThat(sample(k, logits, rows, vocab, temperature, topK, topP, minP, seeds)).containsExactly(ids);
    }

    @Test
    void topKKeepsTheLowestIndicesAmongTies() {
        CudaKernels k = kernels();
        int vocab = 1000, rows = 2000;
        float[] logits = new float[rows * vocab];  // all equal
        long[] seeds = new long[rows];
        for (int r = 0; r < rows; r++) seeds[r] = rnd.nextLong();
        int[] ids = sample(k, logits, rows, vocab, 1f, 5, 1f, 0f, seeds);
        int[] counts = new int[vocab];
        for (int id : ids) counts[id]++;
        for (int i = 0; i < vocab; i++) {
            if (i < 5) assertThat(counts[i]).as("token " + i).isGreaterThan(rows / 10);
            else assertThat(counts[i]).as("token " + i).isZero();
        }
        // top-p over ties: 0.3 of five equal weights needs two tokens, the lowest indices.
        int[] ids2 = sample(k, new float[rows * vocab], rows, vocab, 1f, 5, 0.3f, 0f, seeds);
        for (int id : ids2) assertThat(id).isBetween(0, 1);
    }

    private static int[] sample(CudaKernels k, float[] logits, int m, int vocab, float temperature, int topK, float topP,
                                float minP, long[] seeds) {
        CudaContext c = k.context();
        float[] t = new float[m], p = new float[m], mp = new float[m];
        int[] kk = new int[m];
        java.util.Arrays.fill(t, temperature);
        java.util.Arrays.fill(p, topP);
        java.util.Arrays.fill(mp, minP);
        java.util.Arrays.fill(kk, topK);
        try (CudaMemory lg = upload(c, logits); CudaMemory tb = upload(c, t); CudaMemory kb = upload(c, kk);
             CudaMemory pb = upload(c, p); CudaMemory mb = upload(c, mp); CudaMemory sb = upload(c, seeds);
             CudaMemory out = c.allocate(4L * m)) {
            out.poison();
            k.sample(lg, m, vocab, new SamplingInputs(tb, kb, pb, mb, sb), out);
            int[] ids = new int[m];
            out.copyTo(ids);
            return ids;
        }
    }
}
