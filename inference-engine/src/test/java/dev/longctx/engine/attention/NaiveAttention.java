package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;

import java.util.function.IntPredicate;

/**
 * Naive references in double precision, written straight from ALGORITHMS.md without the production code's
 * chunk loop, paging, online softmax or Rope class. RoPE is applied as a relative rotation: ⟨R(a)q, R(b)k⟩ =
 * ⟨R(a − b)q, k⟩, so a (query, key) pair needs only its relative position, taken from an explicit matrix.
 */
final class NaiveAttention {
    private NaiveAttention() {}

    /** Relative position of (query p, key j), j ≤ p, from §1's table; plain RoPE when dca is null. */
    static long relativePosition(DcaConfig dca, long p, long j) {
        if (dca == null) return p - j;
        long L = dca.chunkLen();
        long c = dca.chunkSize();
        long i = p % L;
        long keyPos = j % L;
        long queryPos;
        if (j / L == p / L) queryPos = i;                                   // intra
        else if (j / L == p / L - 1) queryPos = Math.min(L + i, c);         // succ
        else queryPos = Math.min(2 * L - 1, c);                             // inter
        return queryPos - keyPos;
    }

    static long[][] relativePositions(DcaConfig dca, int length) {
        long[][] rel = new long[length][];
        for (int p = 0; p < length; p++) {
            rel[p] = new long[p + 1];
            for (int j = 0; j <= p; j++) rel[p][j] = relativePosition(dca, p, j);
        }
        return rel;
    }

    /** A key set per (head, query): which keys the row may use (causal is applied on top). */
    interface KeySets {
        IntPredicate keys(int head, int p);
    }

    /** Output row of query p (all heads) and per-head LSE, attending to the keys of {@code sets} (causal). */
    record Row(double[] out, double[] lse) {}

    static Row row(RandomKv kv, float[] q, int qRow, int p, double scale, long[][] rel, KeySets sets) {
        AttentionGeometry g = kv.geometry();
        int d = g.headDim();
        double[] out = new double[g.qDim()];
        double[] lse = new double[g.numHeads()];
        for (int h = 0; h < g.numHeads(); h++) {
            int kvh = h / g.groupSize();
            IntPredicate allowed = sets == null ? j -> true : sets.keys(h, p);
            double[] logit = new double[p + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j <= p; j++) {
                if (!allowed.test(j)) {
                    logit[j] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double[] rq = rotate(q, qRow * g.qDim() + h * d, d, g.ropeTheta(), rel[p][j]);
                double s = 0;
                for (int i = 0; i < d; i++) s += rq[i] * kv.key(j, kvh, i);
                logit[j] = s * scale;
                max = Math.max(max, logit[j]);
            }
            double sum = 0;
            for (int j = 0; j <= p; j++) if (logit[j] != Double.NEGATIVE_INFINITY) sum += Math.exp(logit[j] - max);
            for (int j = 0; j <= p; j++) {
                if (logit[j] == Double.NEGATIVE_INFINITY) continue;
                double w = Math.exp(logit[j] - max) / sum;
                for (int i = 0; i < d; i++) out[h * d + i] += w * kv.value(j, kvh, i);
            }
            lse[h] = max + Math.log(sum);
        }
        return new Row(out, lse);
    }

    /** x rotated by position pos in the rotate-half layout, computed in double. */
    static double[] rotate(float[] x, int off, int d, double theta, long pos) {
        int half = d / 2;
        double[] cs = ANGLES.computeIfAbsent(new AngleKey(theta, d, pos), NaiveAttention::angles);
        double[] r = new double[d];
        for (int i = 0; i < half; i++) {
            double c = cs[i], s = cs[half + i];
            r[i] = x[off + i] * c - x[off + i + half] * s;
            r[i + half] = x[off + i + half] * c + x[off + i] * s;
        }
        return r;
    }

    /** Memoised cos/sin of one position: the naive loops revisit the same relative positions many times. */
    private record AngleKey(double theta, int d, long pos) {}

    private static final java.util.Map<AngleKey, double[]> ANGLES = new java.util.concurrent.ConcurrentHashMap<>();

    private static double[] angles(AngleKey k) {
        int half = k.d() / 2;
        double[] cs = new double[k.d()];
        for (int i = 0; i < half; i++) {
            double ang = k.pos() * Math.pow(k.theta(), -2.0 * i / k.d());
            cs[i] = Math.cos(ang);
            cs[half + i] = Math.sin(ang);
        }
        return cs;
    }

    /** s_f(T)²/√d from §1, independent of {@link AttentionGeometry#logitScale}. */
    static double scale(DcaConfig dca, int headDim, long t) {
        double s = 1;
        if (dca != null && dca.originalMaxPositionEmbeddings() > 0) {
            s = Math.max(1, 0.1 * Math.log((double) t / dca.originalMaxPositionEmbeddings()) + 1);
        }
        return s * s / Math.sqrt(headDim);
    }
}
