package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;

/**
 * The raw queries of one piece and the RoPE angles of every part's rotation, computed once per piece and shared by
 * all heads (and, in a batched step, by all layers: the queries are read from the step's buffer at use). Rotated
 * query rows are produced on demand per (part, head, row block), so a piece never holds H × rows × parts rotated
 * copies. Under the position temperature rule each rotated row is also multiplied by its own s_f(p + 1)², which
 * scales its logits exactly as a per-row logit scale would.
 */
final class PieceQueries {
    private final Rope rope;
    private final float[] q;
    private final int qStride;
    /** Row of q (and of the output) that holds position {@code start}. */
    private final int row0;
    private final int headDim;
    private final int start;
    private final Piece piece;
    private final DcaConfig dca;
    private final Rope.Angles[][] angles;          // [part][row]
    /** s_f(p + 1)² per piece row under the position rule when some row has one above 1; else null. */
    private final float[] rowFactor;
    private Rope.Angles[][] criticalAngles;        // [part][row - criticalFrom], only for sparse estimation
    private int criticalFrom;

    /** Queries q[(p − start) × qDim] of one sequence, every row at the same scale (the request rule). */
    PieceQueries(Rope rope, DcaConfig dca, float[] q, int qDim, int start, Piece piece) {
        this(rope, dca, q, qDim, 0, start, piece, DcaScaleRule.REQUEST);
    }

    /**
     * @param qStride floats per row of q (the query of head h of row r is at r × qStride + h × headDim)
     * @param row0    the row of q that holds position start
     */
    PieceQueries(Rope rope, DcaConfig dca, float[] q, int qStride, int row0, int start, Piece piece, DcaScaleRule rule) {
        this.rope = rope;
        this.dca = dca;
        this.q = q;
        this.qStride = qStride;
        this.row0 = row0;
        this.headDim = rope.headDim();
        this.start = start;
        this.piece = piece;
        this.angles = new Rope.Angles[piece.parts().size()][];
        for (int a = 0; a < angles.length; a++) {
            angles[a] = anglesFor(piece.parts().get(a), false, 0, piece.rows());
        }
        this.rowFactor = rule == DcaScaleRule.POSITION ? positionFactors(dca, piece) : null;
    }

    private static float[] positionFactors(DcaConfig dca, Piece piece) {
        if (dca == null || dca.scale(piece.end()) == 1.0) return null;   // s_f is non-decreasing: all rows are 1
        float[] f = new float[piece.rows()];
        for (int r = 0; r < f.length; r++) {
            double s = dca.scale(piece.begin() + r + 1L);
            f[r] = (float) (s * s);
        }
        return f;
    }

    /** Output row (in the step's [n, qDim] buffer) of piece row r. */
    int outRow(int pieceRow) {
        return row0 + piece.begin() - start + pieceRow;
    }

    Piece piece() { return piece; }

    int headDim() { return headDim; }

    /** Rotates rows [r0, r0 + rows) of the piece, head h, for part a into dst (rows × headDim). */
    void rotate(int a, int head, int r0, int rows, float[] dst) {
        rotate(a, head, r0, rows, dst, 0);
    }

    void rotate(int a, int head, int r0, int rows, float[] dst, int dstOff) {
        Rope.Angles[] an = angles[a];
        for (int r = 0; r < rows; r++) {
            rope.rotate(q, src(r0 + r, head), dst, dstOff + r * headDim, an[r0 + r]);
            if (rowFactor != null) scale(dst, dstOff + r * headDim, rowFactor[r0 + r]);
        }
    }

    private void scale(float[] x, int off, float c) {
        for (int i = 0; i < headDim; i++) x[off + i] *= c;
    }

    /**
     * Computes the critical-position angles (sparse index estimation, §2) of rows [r0, rows). Call once per piece
     * before {@link #rotateCritical}; estimation only needs the piece's last rows.
     */
    void prepareCritical(int r0) {
        Rope.Angles[][] an = new Rope.Angles[angles.length][];
        for (int a = 0; a < angles.length; a++) {
            an[a] = anglesFor(piece.parts().get(a), true, r0, piece.rows() - r0);
        }
        criticalFrom = r0;
        criticalAngles = an;
    }

    /** Like {@link #rotate}, at the critical positions; rows must lie at or after the prepared first row. */
    void rotateCritical(int a, int head, int r0, int rows, float[] dst) {
        if (criticalAngles == null || r0 < criticalFrom) {
            throw new IllegalStateException("critical rotations not prepared for row " + r0);
        }
        Rope.Angles[] an = criticalAngles[a];
        for (int r = 0; r < rows; r++) {
            rope.rotate(q, src(r0 + r, head), dst, r * headDim, an[r0 + r - criticalFrom]);
            // §2 step 1 applies the DCA scale: per row under the position rule.
            if (rowFactor != null) scale(dst, r * headDim, rowFactor[r0 + r]);
        }
    }

    private int src(int pieceRow, int head) {
        return outRow(pieceRow) * qStride + head * headDim;
    }

    private Rope.Angles[] anglesFor(DcaPart part, boolean critical, int r0, int rows) {
        Rope.Angles[] an = new Rope.Angles[rows];
        long lastPos = Long.MIN_VALUE;
        Rope.Angles last = null;
        for (int r = 0; r < rows; r++) {
            long p = piece.begin() + r0 + r;
            long pos = critical ? part.criticalQueryPosition(p, dca) : part.queryPosition(p, dca);
            // q_inter is one constant position for every row: compute its angles once.
            if (pos != lastPos) {
                last = rope.angles(pos);
                lastPos = pos;
            }
            an[r] = last;
        }
        return an;
    }
}
