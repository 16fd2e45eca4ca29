package dev.longctx.engine.attention;

import dev.longctx.engine.kv.SequenceKv;

import java.util.Arrays;
import java.util.List;

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
        Piece piece = pq.piece();
        int end = piece.end();
        int nq = Math.min(LAST_Q, piece.rows());
        int r0 = piece.rows() - nq;
        int d = pq.headDim();
        List<DcaPart> parts = piece.parts();
        float[][] qc = new float[parts.size()][nq * d];
        for (int a = 0; a < parts.size(); a++) pq.rotateCritical(a, head, r0, nq, qc[a]);

        float[] vertical = new float[end];
        float[] slash = new float[end];
        float[] logits = new float[end];
        for (int r = 0; r < nq; r++) {
            int limit = end - nq + r; // causal corner: row r sees keys ≤ its own position
            float max = Float.NEGATIVE_INFINITY;
            for (int a = 0; a < parts.size(); a++) {
                DcaPart part = parts.get(a);
                int to = Math.min(part.keyTo(), limit + 1);
                for (int j = part.keyFrom(); j < to; j++) {
                    float x = PartAttention.dot(qc[a], r * d, kv.keys(layer, j), kv.offset(j, kvHead), d) * scale;
                    logits[j] = x;
                    if (x > max) max = x;
                }
            }
            double sum = 0;
            for (int j = 0; j <= limit; j++) sum += Math.exp(logits[j] - max);
            float inv = (float) (1.0 / sum);
            int shift = nq - 1 - r;
            for (int j = 0; j <= limit; j++) {
                float p = (float) Math.exp(logits[j] - max) * inv;
                vertical[j] += p;
                slash[j + shift] += p;
            }
        }
        Arrays.fill(vertical, 0, Math.min(FORCED_VERTICALS, end), Float.POSITIVE_INFINITY);
        Arrays.fill(slash, Math.max(0, end - FORCED_SLASHES), end, Float.POSITIVE_INFINITY);
        return new Scores(vertical, slash);
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
    static int[] blockKeys(Selection sel, long qa, long qz) {
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
