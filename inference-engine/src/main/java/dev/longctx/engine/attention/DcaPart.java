package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;

/**
 * One attention part of a prefill piece or decode step (ALGORITHMS.md §1): which keys it reads, whether it is
 * causal, and where its queries are rotated. Plain RoPE attention is the single part {@link Kind#PLAIN}.
 *
 * @param keyFrom first key position (inclusive)
 * @param keyTo   last key position (exclusive)
 */
public record DcaPart(Kind kind, int keyFrom, int keyTo) {

    public enum Kind {
        /** No DCA: queries at p, keys [0, end), causal. */
        PLAIN,
        /** Keys of the query's own DCA chunk, causal; queries at i = p mod L. */
        INTRA,
        /** Keys of the previous chunk; queries at min(L + i, c). */
        SUCC,
        /** Keys of all older chunks; queries at the constant min(2L − 1, c). */
        INTER
    }

    /** Only keys of the query's own chunk (or all keys without DCA) can lie after a query. */
    public boolean causal() {
        return kind == Kind.PLAIN || kind == Kind.INTRA;
    }

    public Keys keys() {
        return Keys.range(keyFrom, keyTo);
    }

    /** Where the query at absolute position p is rotated for this part. */
    public long queryPosition(long p, DcaConfig dca) {
        if (kind == Kind.PLAIN) return p;
        long L = dca.chunkLen();
        long c = dca.chunkSize();
        long i = p % L;
        return switch (kind) {
            case INTRA -> i;
            case SUCC -> Math.min(L + i, c);
            case INTER -> Math.min(2 * L - 1, c);
            case PLAIN -> p;
        };
    }

    /**
     * Where the query at p is rotated for sparse index estimation (§2): the uncapped "critical" positions, so that
     * relative positions stay continuous across parts and the slash diagonals remain visible.
     */
    public long criticalQueryPosition(long p, DcaConfig dca) {
        if (kind == Kind.PLAIN) return p;
        long L = dca.chunkLen();
        long i = p % L;
        return switch (kind) {
            case INTRA -> i;
            case SUCC -> L + i;
            case INTER -> dca.chunkSize() + i;
            case PLAIN -> p;
        };
    }
}
