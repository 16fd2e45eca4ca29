package dev.longctx.engine.attention;

import dev.longctx.engine.kv.SequenceKv;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * One attention part: a block of already-rotated query rows of one query head against a set of keys of one KV
 * head, returning the normalised output O and the log-sum-exp LSE of every row in fp32. Dense attention, every
 * DCA part and every sparse part are this call with different rotations and key sets; parts are combined by
 * {@link #merge}, which is exact because (O, LSE) carry everything a softmax over the union of keys needs.
 *
 * <p>K/V are read straight from the paged cache of one KV head: GQA never materialises repeated K/V.
 *
 * <p>Softmax is online (running max, rescaled sums) over {@link KeyTile}s of 64 keys, so memory does not grow with
 * the key count; each tile is gathered once and then read from L1 by every row of the block.
 */
public final class PartAttention {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private PartAttention() {}

    /**
     * @param q          rows × headDim rotated queries of one head, row r at {@code qOff + r * headDim}
     * @param firstRow   absolute position of row 0; row r is at {@code firstRow + r} (used by the causal mask)
     * @param causal     row r sees only keys at positions ≤ firstRow + r (bottom-right aligned for the query's
     *                   own chunk); when false every key is seen
     * @param scale      logit multiplier (1/√d, times s_f(T)² under DCA)
     * @param o          rows × headDim output at {@code oOff}; a row that sees no key gets zeros
     * @param lse        per-row log-sum-exp at {@code lseOff}; −∞ for a row that sees no key (weight 0 in a merge)
     */
    public static void attend(float[] q, int qOff, int rows, int headDim, long firstRow,
                              SequenceKv kv, int layer, int kvHead, Keys keys, boolean causal, float scale,
                              float[] o, int oOff, float[] lse, int lseOff) {
        attend(q, qOff, 1, rows, headDim, firstRow, kv, layer, kvHead, keys, causal, scale, o, oOff, lse, lseOff);
    }

    /**
     * The same for several query heads of one GQA group at once: {@code heads} blocks of {@code rows} rows, head
     * g's row r at {@code qOff + (g * rows + r) * headDim} and at position firstRow + r. Every K/V tile is read
     * once for the whole group instead of once per query head.
     */
    public static void attend(float[] q, int qOff, int heads, int rows, int headDim, long firstRow,
                              SequenceKv kv, int layer, int kvHead, Keys keys, boolean causal, float scale,
                              float[] o, int oOff, float[] lse, int lseOff) {
        int nKeys = keys.size();
        int allRows = heads * rows;
        float[] max = new float[allRows];
        float[] sum = new float[allRows];
        java.util.Arrays.fill(max, Float.NEGATIVE_INFINITY);
        java.util.Arrays.fill(o, oOff, oOff + allRows * headDim, 0f);
        KeyTile tile = new KeyTile(headDim);
        float[] logits = new float[KeyTile.SIZE];
        float[] p = new float[KeyTile.SIZE];

        for (int t0 = 0; t0 < nKeys; t0 += KeyTile.SIZE) {
            int tileLen = Math.min(KeyTile.SIZE, nKeys - t0);
            int firstKey = keys.get(t0);
            int lastKey = keys.get(t0 + tileLen - 1);
            // Rows before the tile's first key see nothing of it under the causal mask.
            if (causal && firstKey > firstRow + rows - 1) break;
            tile.gather(kv, layer, kvHead, keys, t0, tileLen, true);
            for (int r = 0; r < allRows; r++) {
                int visible = tileLen;
                if (causal) {
                    long limit = firstRow + r % rows;
                    if (firstKey > limit) continue;
                    if (lastKey > limit) visible = keys.countUpTo(limit) - t0;
                }
                float tileMax = tile.logits(q, qOff + r * headDim, scale, visible, logits);
                float newMax = Math.max(max[r], tileMax);
                int or = oOff + r * headDim;
                if (newMax > max[r] && max[r] != Float.NEGATIVE_INFINITY) {
                    float c = (float) Math.exp(max[r] - newMax);
                    sum[r] *= c;
                    scaleInPlace(o, or, headDim, c);
                }
                max[r] = newMax;
                sum[r] += KeyTile.exp(logits, 0, visible, newMax, p, 0);
                tile.accumulate(p, visible, o, or);
            }
        }
        for (int r = 0; r < allRows; r++) {
            int or = oOff + r * headDim;
            if (sum[r] > 0f) {
                scaleInPlace(o, or, headDim, 1f / sum[r]);
                lse[lseOff + r] = max[r] + (float) Math.log(sum[r]);
            } else {
                lse[lseOff + r] = Float.NEGATIVE_INFINITY;
            }
        }
    }

    /**
     * Combines parts: w_a = softmax_a(LSE_a), O = Σ w_a·O_a, LSE = log Σ exp(LSE_a), all per row in fp32. Equals
     * one softmax over the union of the parts' keys. Rows whose every part is empty get O = 0 and LSE = −∞.
     *
     * @param parts   part outputs, rows × headDim starting at row {@code from}
     * @param lses    part LSEs, starting at row {@code from}
     * @param out     merged output, row r at {@code outOff + r * outStride}
     * @param lseOut  merged LSE (may be null), row r at {@code lseOutOff + r}
     */
    public static void merge(float[][] parts, float[][] lses, int count, int rows, int headDim,
                             float[] out, int outOff, int outStride, float[] lseOut, int lseOutOff) {
        merge(parts, lses, count, 0, rows, headDim, out, outOff, outStride, lseOut, lseOutOff);
    }

    public static void merge(float[][] parts, float[][] lses, int count, int from, int rows, int headDim,
                             float[] out, int outOff, int outStride, float[] lseOut, int lseOutOff) {
        for (int i = 0; i < rows; i++) {
            int r = from + i;
            float m = Float.NEGATIVE_INFINITY;
            for (int a = 0; a < count; a++) m = Math.max(m, lses[a][r]);
            int dst = outOff + i * outStride;
            java.util.Arrays.fill(out, dst, dst + headDim, 0f);
            if (m == Float.NEGATIVE_INFINITY) {
                if (lseOut != null) lseOut[lseOutOff + i] = Float.NEGATIVE_INFINITY;
                continue;
            }
            float total = 0f;
            for (int a = 0; a < count; a++) total += (float) Math.exp(lses[a][r] - m);
            for (int a = 0; a < count; a++) {
                if (lses[a][r] == Float.NEGATIVE_INFINITY) continue;
                float w = (float) Math.exp(lses[a][r] - m) / total;
                axpy(w, parts[a], r * headDim, out, dst, headDim);
            }
            if (lseOut != null) lseOut[lseOutOff + i] = m + (float) Math.log(total);
        }
    }

    /** y[yOff, +n) += a · x[xOff, +n). */
    static void axpy(float a, float[] x, int xOff, float[] y, int yOff, int n) {
        int i = 0;
        int bound = S.loopBound(n);
        if (bound > 0) {
            FloatVector av = FloatVector.broadcast(S, a);
            for (; i < bound; i += S.length()) {
                FloatVector.fromArray(S, x, xOff + i).fma(av, FloatVector.fromArray(S, y, yOff + i))
                        .intoArray(y, yOff + i);
            }
        }
        for (; i < n; i++) y[yOff + i] += a * x[xOff + i];
    }

    private static void scaleInPlace(float[] y, int off, int n, float c) {
        for (int i = 0; i < n; i++) y[off + i] *= c;
    }
}
