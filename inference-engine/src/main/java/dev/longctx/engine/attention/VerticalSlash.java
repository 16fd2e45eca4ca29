package dev.longctx.engine.attention;

import dev.longctx.engine.kv.SequenceKv;

import java.util.Arrays;
import java.util.List;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * MInference "vertical-slash" index selection and its kernel semantics (ALGORITHMS.md §2), per prefill piece and
 * query head. Everything is in absolute key positions: a vertical is a key position, a slash is named by the
 * column t where its diagonal meets the piece's last query row, i.e. the keys at distance end − 1 − t from every
 * query.
 */
public final class VerticalSlash {
    /** Queries used to estimate the pattern: the last ones of the piece. */
    public static final int LAST_Q = 64;
    /** The first keys (attention sinks) are always kept as verticals. */
    public static final int FORCED_VERTICALS = 30;
    /** The nearest diagonals (a local band) are always kept as slashes. */
    public static final int FORCED_SLASHES = 100;
    /** Query rows and key columns per kernel block. */
    public static final int BLOCK = 64;
    /** Keys given to a part that no selected index reaches. */
    public static final int FALLBACK_KEYS = 5;

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    /** Bound on the estimation's logit buffer (~8 MB): all 64 rows at once up to 32K keys, fewer rows beyond. */
    static final int ESTIMATE_BUFFER_FLOATS = 64 * (32768 + 64);
    /** Reused per thread: estimation runs for every head of every piece, and zeroing 8 MB each time would show. */
    private static final ThreadLocal<float[]> ESTIMATE_BUFFER = new ThreadLocal<>();

    private VerticalSlash() {}

    /**
     * The selected indices of one head for one piece.
     *
     * @param verticals kept key positions, ascending
     * @param slashes   kept slash columns t (distance end − 1 − t), ascending
     * @param end       the piece's end (keys [0, end) were scored)
     */
    public record Selection(int[] verticals, int[] slashes, int end) {}

    /** The estimation scores before top-k, exposed for tests: v_j and S_t, length end, forced entries +∞. */
    record Scores(float[] vertical, float[] slash) {}

    /**
     * Steps 1–3: scores the last n_q queries of the piece against every key [0, end) with the critical rotations,
     * then keeps the top budgets.
     */
    static Selection estimate(PieceQueries pq, SequenceKv kv, int layer, int head, int kvHead, float scale,
                              int verticalSize, int slashSize) {
        Scores s = scores(pq, kv, layer, head, kvHead, scale);
        int end = pq.piece().end();
        return new Selection(topK(s.vertical(), verticalSize, false), topK(s.slash(), slashSize, true), end);
    }

    /** Needs {@link PieceQueries#prepareCritical} for row rows − n_q to have been called. */
    static Scores scores(PieceQueries pq, SequenceKv kv, int layer, int head, int kvHead, float scale) {
        return scores(pq, kv, layer, head, kvHead, scale, ESTIMATE_BUFFER_FLOATS);
    }

    /** With the logit buffer bounded to {@code bufferFloats} (tests use a small one to exercise row groups). */
    static Scores scores(PieceQueries pq, SequenceKv kv, int layer, int head, int kvHead, float scale, int bufferFloats) {
        Piece piece = pq.piece();
        int end = piece.end();
        int nq = Math.min(LAST_Q, piece.rows());
        int r0 = piece.rows() - nq;
        int d = pq.headDim();
        List<DcaPart> parts = piece.parts();
        float[][] qc = new float[parts.size()][nq * d];
        for (int a = 0; a < parts.size(); a++) pq.rotateCritical(a, head, r0, nq, qc[a]);

        // Rows go in groups whose logits fit a bounded buffer: each key tile is gathered once per group, and each
        // (row, key) logit is computed and exponentiated once. Up to 32K keys that is one group of all n_q rows.
        int group = Math.max(1, Math.min(nq, bufferFloats / (end + KeyTile.SIZE)));
        int stride = end + KeyTile.SIZE; // room for the −∞ lanes a tile writes past its last visible key
        float[] buf = ESTIMATE_BUFFER.get();
        if (buf == null || buf.length < group * stride) {
            buf = new float[group * stride];
            ESTIMATE_BUFFER.set(buf);
        }
        float[] rowMax = new float[group];
        // Padded by a tile so that whole vectors can be added past the last key.
        float[] vertical = new float[end + KeyTile.SIZE];
        float[] slash = new float[end + KeyTile.SIZE];
        KeyTile tile = new KeyTile(d);
        for (int g0 = 0; g0 < nq; g0 += group) {
            int rows = Math.min(group, nq - g0);
            Arrays.fill(rowMax, Float.NEGATIVE_INFINITY);
            for (int a = 0; a < parts.size(); a++) {
                DcaPart part = parts.get(a);
                int to = Math.min(part.keyTo(), end);
                for (int j0 = part.keyFrom(); j0 < to; j0 += KeyTile.SIZE) {
                    int len = Math.min(KeyTile.SIZE, to - j0);
                    tile.gather(kv, layer, kvHead, Keys.range(j0, j0 + len), 0, len, false);
                    for (int i = 0; i < rows; i++) {
                        int r = g0 + i;
                        int limit = end - nq + r; // causal corner: row r sees keys ≤ its own position
                        int visible = Math.min(len, limit + 1 - j0);
                        if (visible <= 0) continue;
                        float m = tile.logits(qc[a], r * d, scale, visible, buf, i * stride + j0);
                        rowMax[i] = Math.max(rowMax[i], m);
                    }
                }
            }
            for (int i = 0; i < rows; i++) {
                int r = g0 + i;
                int seen = end - nq + r + 1;
                int off = i * stride;
                // Keys past the row's own position were written as −∞ or never written: mask them to 0 weight.
                float sum = KeyTile.exp(buf, off, seen, rowMax[i], buf, off);
                float inv = 1f / sum;
                addScaled(buf, off, seen, inv, vertical, slash, nq - 1 - r);
            }
        }
        vertical = Arrays.copyOf(vertical, end);
        slash = Arrays.copyOf(slash, end);
        Arrays.fill(vertical, 0, Math.min(FORCED_VERTICALS, end), Float.POSITIVE_INFINITY);
        Arrays.fill(slash, Math.max(0, end - FORCED_SLASHES), end, Float.POSITIVE_INFINITY);
        return new Scores(vertical, slash);
    }

    /**
     * vertical[j] += c · p[pOff + j] and slash[j + shift] += c · p[pOff + j] for j in [0, n rounded up to the
     * vector length), in one read of p; p's lanes past n are 0.
     */
    private static void addScaled(float[] p, int pOff, int n, float c, float[] vertical, float[] slash, int shift) {
        FloatVector cv = FloatVector.broadcast(F, c);
        for (int j = 0; j < n; j += F.length()) {
            FloatVector x = FloatVector.fromArray(F, p, pOff + j).mul(cv);
            x.add(FloatVector.fromArray(F, vertical, j)).intoArray(vertical, j);
            x.add(FloatVector.fromArray(F, slash, shift + j)).intoArray(slash, shift + j);
        }
    }

    /**
     * Indices of the k largest scores, ascending. Ties (in practice only among the forced +∞ entries, when a budget
     * is below the forced count) go to the lower index, or to the higher one when {@code preferHigh}: for slashes
     * that keeps the nearest diagonals, the query's own key first.
     */
    public static int[] topK(float[] score, int k, boolean preferHigh) {
        int n = score.length;
        if (k >= n) {
            int[] all = new int[n];
            for (int i = 0; i < n; i++) all[i] = i;
            return all;
        }
        if (k <= 0) return new int[0];
        float[] sorted = score.clone();
        Arrays.sort(sorted);
        float threshold = sorted[n - k];
        int above = 0;
        for (float s : score) if (s > threshold) above++;
        int ties = k - above;
        boolean[] take = new boolean[n];
        for (int m = 0; m < n; m++) {
            int i = preferHigh ? n - 1 - m : m;
            if (score[i] > threshold) take[i] = true;
            else if (score[i] == threshold && ties > 0) {
                take[i] = true;
                ties--;
            }
        }
        int[] out = new int[k];
        int m = 0;
        for (int i = 0; i < n; i++) if (take[i]) out[m++] = i;
        return out;
    }

    /**
     * Step 4: the keys one query block [qa, qz] computes. A kept diagonal at distance d crosses the key span
     * [qa − d, qz − d] (64 wide for a full block); overlapping or touching spans are merged and computed whole for
     * every row of the block, with the causal mask applied by the caller. Kept verticals outside the spans are
     * added. Keys after qz are seen by no row of the block and are left out.
     *
     * @return ascending, distinct key positions
     */
    public static int[] blockKeys(Selection sel, long qa, long qz) {
        int[] slashes = sel.slashes();
        int[] verticals = sel.verticals();
        int end = sel.end();
        // Spans come out with ascending ends because t ascending means distance descending.
        int[] lo = new int[slashes.length];
        int[] hi = new int[slashes.length];
        int spans = 0;
        for (int t : slashes) {
            long dist = end - 1L - t;
            long h = qz - dist;
            if (h < 0) continue;
            long l = Math.max(0, qa - dist);
            if (spans > 0 && l <= hi[spans - 1] + 1L) {
                hi[spans - 1] = (int) Math.max(hi[spans - 1], h);
            } else {
                lo[spans] = (int) l;
                hi[spans] = (int) h;
                spans++;
            }
        }
        long covered = 0;
        for (int s = 0; s < spans; s++) covered += hi[s] - lo[s] + 1;
        int[] out = new int[(int) covered + verticals.length];
        int m = 0;
        int v = 0;
        for (int s = 0; s <= spans; s++) {
            int spanLo = s < spans ? lo[s] : Integer.MAX_VALUE;
            while (v < verticals.length && verticals[v] < spanLo) {
                if (verticals[v] > qz) break;
                out[m++] = verticals[v++];
            }
            if (s == spans) break;
            for (int j = lo[s]; j <= hi[s]; j++) out[m++] = j;
            while (v < verticals.length && verticals[v] <= hi[s]) v++;
        }
        return m == out.length ? out : Arrays.copyOf(out, m);
    }

    /**
     * Whether any selected index reaches keys [from, to) for some query of the piece [begin, end): a kept vertical
     * inside, or a kept diagonal at distance d whose keys [begin − d, end − 1 − d] (the union of its spans over the
     * piece's blocks) intersect it. A part that none reaches gets {@link #fallbackKeys} instead.
     */
    static boolean reaches(Selection sel, int begin, int from, int to) {
        int v = Arrays.binarySearch(sel.verticals(), from);
        int ins = v >= 0 ? v : -v - 1;
        if (ins < sel.verticals().length && sel.verticals()[ins] < to) return true;
        int end = sel.end();
        for (int t : sel.slashes()) {
            long dist = end - 1L - t;
            long spanLo = Math.max(0, begin - dist);
            long spanHi = end - 1L - dist;
            if (spanHi >= from && spanLo < to && spanHi >= 0) return true;
        }
        return false;
    }

    /**
     * ~5 evenly spaced keys of [from, to): from + ⌊k·size/5⌋ for k = 0..4, in integer arithmetic so that every
     * implementation picks the same keys; all keys when the range has fewer than 5.
     */
    static int[] fallbackKeys(int from, int to) {
        int size = to - from;
        if (size <= 0) return new int[0];
        int count = Math.min(size, FALLBACK_KEYS);
        int[] out = new int[count];
        for (int k = 0; k < count; k++) out[k] = from + (int) ((long) k * size / count);
        return out;
    }
}
