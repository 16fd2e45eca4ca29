package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.DcaPart;
import dev.longctx.engine.model.DcaConfig;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

import static dev.longctx.engine.backend.cuda.CudaTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Paged prefill and decode attention against a float64 reference written from ALGORITHMS.md §1 (per key: the DCA
 * part it falls in, the query rotated at that part's position by the engine's {@link DcaPart}, s_f from the
 * engine's {@link DcaConfig}), on batches of several sequences with cached prefixes, GQA 7:1 and 5:1, head_dim 64
 * and 128, lengths that are not multiples of 64, sequences over several DCA chunks, both temperature rules.
 * Block tables are shuffled so that paging bugs show. Skipped without a working GPU.
 */
class CudaAttentionTest {
    private static final double O_TOL = 1e-2, LSE_TOL = 1e-3;
    private final Random rnd = new Random(System.nanoTime());

    @Test
    void densePrefillWithCachedPrefixGqa7Head128() {
        AttentionGeometry g = new AttentionGeometry(28, 4, 128, 1e6, null);
        check(g, 16, new int[] {0, 200}, new int[] {333, 77}, false, false);
    }

    @Test
    void dcaPrefillOverSeveralChunksPositionRuleGqa5Head64() {
        // L = 192: 700 tokens span chunks 0..3, so inter, succ and intra parts all occur; P = 100 makes s_f > 1.
        AttentionGeometry g = new AttentionGeometry(10, 2, 64, 1e7, new DcaConfig(256, 64, 100));
        check(g, 16, new int[] {0, 450, 0}, new int[] {700, 150, 5}, false, false);
    }

    @Test
    void dcaChunkedPrefillRequestRuleGqa7Head128() {
        AttentionGeometry g = new AttentionGeometry(14, 2, 128, 1e7, new DcaConfig(256, 64, 100));
        check(g, 32, new int[] {0, 380}, new int[] {500, 200}, true, false);
    }

    @Test
    void dcaDecodeSplitKGqa7Head128() {
        AttentionGeometry g = new AttentionGeometry(28, 4, 128, 1e7, new DcaConfig(256, 64, 100));
        int[] lens = {1, 65, 193, 800, 1500};
        check(g, 16, startsOf(lens), ones(lens.length), false, true);
        check(g, 16, startsOf(lens), ones(lens.length), true, true);
    }

    @Test
    void decodeOfOneLongSequenceMergesMoreSplitsThanTheMergeHasRows() {
        // Alone, a sequence gets ~16 CTAs per SM of splits (128-key minimum): 37 splits here, over decode_merge's
        // 16 rows of threads, so rows wrap around and some get one split more than others.
        int[] lens = {4700};
        check(new AttentionGeometry(28, 4, 128, 1e7, new DcaConfig(1024, 256, 400)), 16, startsOf(lens), ones(1), false, true);
        check(new AttentionGeometry(10, 2, 64, 1e6, null), 16, startsOf(lens), ones(1), false, true);
    }

    @Test
    void denseDecodeGqa5Head64MatchesThePrefillKernelToo() {
        AttentionGeometry g = new AttentionGeometry(10, 2, 64, 1e6, null);
        int[] lens = {3, 64, 1000};
        check(g, 16, startsOf(lens), ones(lens.length), false, true);
        check(g, 16, startsOf(lens), ones(lens.length), false, false);
    }

    private static int[] startsOf(int[] lens) {
        int[] s = new int[lens.length];
        for (int i = 0; i < lens.length; i++) s[i] = lens[i] - 1;
        return s;
    }

    private static int[] ones(int n) {
        int[] o = new int[n];
        java.util.Arrays.fill(o, 1);
        return o;
    }

    /**
     * Sequence s has {@code starts[s]} cached tokens and {@code qlens[s]} new ones. Under the request rule its T is
     * longer than what is processed (a prompt still being prefilled in pieces), so T must come from scaleLens.
     */
    private void check(AttentionGeometry g, int blockSize, int[] starts, int[] qlens, boolean requestRule, boolean decode) {
        CudaKernels k = kernels();
        CudaContext c = k.context();
        int numSeqs = starts.length, H = g.numHeads(), D = g.headDim(), kvDim = g.kvDim();
        int[] lens = new int[numSeqs], cuQ = new int[numSeqs + 1], scaleLens = new int[numSeqs];
        int maxBlocks = 0, maxLen = 0;
        for (int s = 0; s < numSeqs; s++) {
            lens[s] = starts[s] + qlens[s];
            cuQ[s + 1] = cuQ[s] + qlens[s];
            scaleLens[s] = requestRule ? lens[s] + 1000 : 0;
            maxBlocks = Math.max(maxBlocks, (lens[s] + blockSize - 1) / blockSize);
            maxLen = Math.max(maxLen, lens[s]);
        }
        int numTokens = cuQ[numSeqs];
        // Physical blocks shuffled across sequences, with unused ones in between.
        List<Integer> free = new ArrayList<>();
        int numBlocks = numSeqs * maxBlocks + 3;
        for (int b = 0; b < numBlocks; b++) free.add(b);
        Collections.shuffle(free, rnd);
        int[] tables = new int[numSeqs * maxBlocks];
        for (int s = 0, next = 0; s < numSeqs; s++) {
            for (int b = 0; b < maxBlocks; b++) tables[s * maxBlocks + b] = free.get(next++);
        }
        short[] kCache = randomBf16(rnd, numBlocks * blockSize * kvDim, 1.0);
        short[] vCache = randomBf16(rnd, numBlocks * blockSize * kvDim, 1.0);
        short[] q = randomBf16(rnd, numTokens * g.qDim(), 1.0);

        double[][] ref = reference(g, blockSize, starts, qlens, lens, scaleLens, maxBlocks, tables, kCache, vCache, q);
        try (var rope = k.ropeTable(g); CudaMemory qb = upload(c, q); CudaMemory kb = upload(c, kCache);
             CudaMemory vb = upload(c, vCache); CudaMemory cu = upload(c, cuQ); CudaMemory sl = upload(c, lens);
             CudaMemory bt = upload(c, tables); CudaMemory sc = upload(c, scaleLens);
             CudaMemory out = c.allocate(2L * numTokens * g.qDim()); CudaMemory lse = c.allocate(4L * numTokens * H)) {
            PagedKvLayer kv = new PagedKvLayer(kb, vb, numBlocks, blockSize, g.numKvHeads(), D);
            AttentionBatch batch = new AttentionBatch(numSeqs, numTokens, maxLen, cu, sl, bt, maxBlocks, sc);
            out.poison();
            lse.poison();
            if (decode) {
                try (CudaMemory ws = c.allocate(k.decodeWorkspaceBytes(numSeqs, g, maxLen))) {
                    ws.poison();
                    k.decodeAttention(rope, qb, kv, batch, ws, out, lse);
                    c.synchronize();
                }
            } else {
                k.prefillAttention(rope, qb, kv, batch, out, lse);
            }
            String what = (decode ? "decode" : "prefill") + " " + g + " block " + blockSize + (requestRule ? " request rule" : " position rule");
            assertThat(relErr(downloadBf16(out, numTokens * g.qDim()), ref[0])).as("O of " + what).isLessThan(O_TOL);
            assertThat(relErr(downloadF32(lse, numTokens * H), ref[1])).as("LSE of " + what).isLessThan(LSE_TOL);
        }
    }

    /** {O [numTokens, H, D], LSE [numTokens, H]} in float64, straight from ALGORITHMS.md §1. */
    private static double[][] reference(AttentionGeometry g, int blockSize, int[] starts, int[] qlens, int[] lens,
                                        int[] scaleLens, int maxBlocks, int[] tables, short[] kCache, short[] vCache, short[] q) {
        int H = g.numHeads(), D = g.headDim(), kvDim = g.kvDim(), group = g.groupSize();
        int numTokens = 0;
        for (int n : qlens) numTokens += n;
        double[] o = new double[numTokens * g.qDim()];
        double[] lse = new double[numTokens * H];
        DcaConfig dca = g.dca();
        DcaPart[] parts = {new DcaPart(DcaPart.Kind.INTRA, 0, 0), new DcaPart(DcaPart.Kind.SUCC, 0, 0),
                new DcaPart(DcaPart.Kind.INTER, 0, 0), new DcaPart(DcaPart.Kind.PLAIN, 0, 0)};
        int tok = 0;
        for (int s = 0; s < starts.length; s++) {
            // This sequence's keys and values, position-major, out of the paged cache.
            float[] keys = new float[lens[s] * kvDim], values = new float[lens[s] * kvDim];
            for (int j = 0; j < lens[s]; j++) {
                int slot = tables[s * maxBlocks + j / blockSize] * blockSize + j % blockSize;
                for (int e = 0; e < kvDim; e++) {
                    keys[j * kvDim + e] = f32(kCache[slot * kvDim + e]);
                    values[j * kvDim + e] = f32(vCache[slot * kvDim + e]);
                }
            }
            for (int r = 0; r < qlens[s]; r++, tok++) {
                long p = starts[s] + r;
                double sf = dca == null ? 1 : dca.scale(scaleLens[s] > 0 ? scaleLens[s] : p + 1);
                double scale = sf * sf / Math.sqrt(D);
                for (int h = 0; h < H; h++) {
                    int kvh = h / group;
                    double[][] rq = new double[4][];
                    double[] logit = new double[(int) p + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j <= p; j++) {
                        int part = partOf(dca, p, j);
                        if (rq[part] == null) rq[part] = rotate(q, (tok * H + h) * D, D, g.ropeTheta(),
                                parts[part].queryPosition(p, dca));
                        double dot = 0;
                        for (int i = 0; i < D; i++) dot += rq[part][i] * keys[j * kvDim + kvh * D + i];
                        logit[j] = dot * scale;
                        max = Math.max(max, logit[j]);
                    }
                    double sum = 0;
                    for (int j = 0; j <= p; j++) sum += Math.exp(logit[j] - max);
                    for (int j = 0; j <= p; j++) {
                        double w = Math.exp(logit[j] - max) / sum;
                        for (int i = 0; i < D; i++) o[(tok * H + h) * D + i] += w * values[j * kvDim + kvh * D + i];
                    }
                    lse[tok * H + h] = max + Math.log(sum);
                }
            }
        }
        return new double[][] {o, lse};
    }

    /** 0 intra, 1 succ, 2 inter (by the key's DCA chunk relative to the query's), 3 plain RoPE. */
    private static int partOf(DcaConfig dca, long p, long j) {
        if (dca == null) return 3;
        long L = dca.chunkLen();
        if (j / L == p / L) return 0;
        return j / L == p / L - 1 ? 1 : 2;
    }

    private static double[] rotate(short[] x, int off, int d, double theta, long pos) {
        int half = d / 2;
        double[] r = new double[d];
        for (int i = 0; i < half; i++) {
            double a = pos * (1.0 / Math.pow(theta, (2.0 * i) / d));
            double cs = Math.cos(a), sn = Math.sin(a);
            double x1 = f32(x[off + i]), x2 = f32(x[off + i + half]);
            r[i] = x1 * cs - x2 * sn;
            r[i + half] = x2 * cs + x1 * sn;
        }
        return r;
    }
}
