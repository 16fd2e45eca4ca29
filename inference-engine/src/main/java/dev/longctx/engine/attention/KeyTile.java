package dev.longctx.engine.attention;

import dev.longctx.engine.kv.SequenceKv;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Up to {@link #SIZE} keys of one KV head gathered from the paged cache into contiguous scratch: K transposed, so
 * that one query's logits against the whole tile are {@code headDim} broadcast FMAs over SIZE lanes with no
 * horizontal sums, and V row-major for the weighted sum. Gathering once per tile also turns the scattered reads
 * of sparse key sets into one pass, after which every query row of the block reads the tile from L1.
 *
 * <p>Not thread-safe: one per task.
 */
final class KeyTile {
    static final int SIZE = 64;
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private final int headDim;
    /** kt[c * SIZE + t] = K[key t][c]. Lanes past the gathered count hold stale but finite values. */
    private final float[] kt;
    /** v[t * headDim + c] = V[key t][c]. */
    private final float[] v;

    KeyTile(int headDim) {
        this.headDim = headDim;
        this.kt = new float[headDim * SIZE];
        this.v = new float[SIZE * headDim];
    }

    /** Loads keys[from, from + count) (count ≤ SIZE); V only when {@code withValues}. */
    void gather(SequenceKv kv, int layer, int kvHead, Keys keys, int from, int count, boolean withValues) {
        for (int t = 0; t < count; t++) {
            int k = keys.get(from + t);
            int off = kv.offset(k, kvHead);
            float[] kb = kv.keys(layer, k);
            for (int c = 0; c < headDim; c++) kt[c * SIZE + t] = kb[off + c];
            if (withValues) System.arraycopy(kv.values(layer, k), off, v, t * headDim, headDim);
        }
    }

    /** Lanes needed to cover n keys: n rounded up to the vector length. */
    static int lanes(int n) {
        return (n + S.length() - 1) / S.length() * S.length();
    }

    /**
     * logits[t] = scale · q·k_t for t in [0, n), n ≤ the gathered count; lanes [n, lanes(n)) are set to −∞ so that whole
     * vectors can be reduced and exponentiated. Returns the largest logit (−∞ when n = 0).
     */
    float logits(float[] q, int qOff, float scale, int n, float[] logits) {
        return logits(q, qOff, scale, n, logits, 0);
    }

    /** The same, written to out[outOff, outOff + lanes(n)). */
    float logits(float[] q, int qOff, float scale, int n, float[] out, int outOff) {
        int end = lanes(n);
        int l = S.length();
        int j = 0;
        // Four lane groups at once: four independent FMA chains, and each q[c] broadcast is used four times.
        // (No vector is passed to or returned from a helper: if C2 did not inline it, the vector would be boxed.)
        for (; j + 4 * l <= end; j += 4 * l) {
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int c = 0; c < headDim; c++) {
                FloatVector qc = FloatVector.broadcast(S, q[qOff + c]);
                int row = c * SIZE + j;
                a0 = FloatVector.fromArray(S, kt, row).fma(qc, a0);
                a1 = FloatVector.fromArray(S, kt, row + l).fma(qc, a1);
                a2 = FloatVector.fromArray(S, kt, row + 2 * l).fma(qc, a2);
                a3 = FloatVector.fromArray(S, kt, row + 3 * l).fma(qc, a3);
            }
            a0.mul(scale).intoArray(out, outOff + j);
            a1.mul(scale).intoArray(out, outOff + j + l);
            a2.mul(scale).intoArray(out, outOff + j + 2 * l);
            a3.mul(scale).intoArray(out, outOff + j + 3 * l);
        }
        for (; j < end; j += l) {
            FloatVector a0 = FloatVector.zero(S);
            for (int c = 0; c < headDim; c++) {
                a0 = FloatVector.fromArray(S, kt, c * SIZE + j).fma(FloatVector.broadcast(S, q[qOff + c]), a0);
            }
            a0.mul(scale).intoArray(out, outOff + j);
        }
        // Lanes past n are dot products with stale tile columns.
        java.util.Arrays.fill(out, outOff + n, outOff + end, Float.NEGATIVE_INFINITY);
        FloatVector max = FloatVector.broadcast(S, Float.NEGATIVE_INFINITY);
        for (j = 0; j < end; j += l) max = max.max(FloatVector.fromArray(S, out, outOff + j));
        return max.reduceLanes(VectorOperators.MAX);
    }

    /**
     * p[pOff + t] = exp(x[xOff + t] − m) for t < n, and 0 for t in [n, lanes(n)) whatever x holds there; returns
     * Σ p over [0, n). p may be x (in place).
     */
    static float exp(float[] x, int xOff, int n, float m, float[] p, int pOff) {
        FloatVector sum = FloatVector.zero(S);
        for (int j = 0; j < n; j += S.length()) {
            FloatVector e = FloatVector.fromArray(S, x, xOff + j).sub(m).lanewise(VectorOperators.EXP);
            if (j + S.length() > n) e = e.blend(0f, S.indexInRange(j, n).not());
            e.intoArray(p, pOff + j);
            sum = sum.add(e);
        }
        return sum.reduceLanes(VectorOperators.ADD);
    }

    /** o[oOff, +headDim) += Σ_{t < n} p[t] · v_t. */
    void accumulate(float[] p, int n, float[] o, int oOff) {
        int l = S.length();
        int c = 0;
        // Two lane groups of o at once, two keys per step: four independent FMA chains.
        for (; c + 2 * l <= headDim; c += 2 * l) {
            FloatVector a0 = FloatVector.fromArray(S, o, oOff + c), b0 = FloatVector.fromArray(S, o, oOff + c + l);
            FloatVector a1 = FloatVector.zero(S), b1 = FloatVector.zero(S);
            int t = 0;
            for (; t + 1 < n; t += 2) {
                FloatVector p0 = FloatVector.broadcast(S, p[t]), p1 = FloatVector.broadcast(S, p[t + 1]);
                int v0 = t * headDim + c, v1 = v0 + headDim;
                a0 = FloatVector.fromArray(S, v, v0).fma(p0, a0);
                b0 = FloatVector.fromArray(S, v, v0 + l).fma(p0, b0);
                a1 = FloatVector.fromArray(S, v, v1).fma(p1, a1);
                b1 = FloatVector.fromArray(S, v, v1 + l).fma(p1, b1);
            }
            if (t < n) {
                FloatVector p0 = FloatVector.broadcast(S, p[t]);
                a0 = FloatVector.fromArray(S, v, t * headDim + c).fma(p0, a0);
                b0 = FloatVector.fromArray(S, v, t * headDim + c + l).fma(p0, b0);
            }
            a0.add(a1).intoArray(o, oOff + c);
            b0.add(b1).intoArray(o, oOff + c + l);
        }
        for (; c + l <= headDim; c += l) {
            FloatVector a0 = FloatVector.fromArray(S, o, oOff + c);
            for (int t = 0; t < n; t++) a0 = FloatVector.fromArray(S, v, t * headDim + c).fma(FloatVector.broadcast(S, p[t]), a0);
            a0.intoArray(o, oOff + c);
        }
        for (; c < headDim; c++) {
            float acc = o[oOff + c];
            for (int t = 0; t < n; t++) acc += p[t] * v[t * headDim + c];
            o[oOff + c] = acc;
        }
    }
}
