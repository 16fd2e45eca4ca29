package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;

/**
 * The raw queries of one piece and the RoPE angles of every part's rotation, computed once per piece and shared by
 * all heads. Rotated query rows are produced on demand per (part, head, row block), so a piece never holds
 * H × rows × parts rotated copies.
 */
final class PieceQueries {
    private final Rope rope;
    private final float[] q;
    private final int qDim;
    private final int headDim;
    private final int start;
    private final Piece piece;
    private final DcaConfig dca;
    private final Rope.Angles[][] angles;          // [part][row]
    private Rope.Angles[][] criticalAngles;        // [part][row - criticalFrom], only for sparse estimation
    private int criticalFrom;

    PieceQueries(Rope rope, DcaConfig dca, float[] q, int qDim, int start, Piece piece) {
        this.rope = rope;
        this.dca = dca;
        this.q = q;
        this.qDim = qDim;
        this.headDim = rope.headDim();
        this.start = start;
        this.piece = piece;
        this.angles = new Rope.Angles[piece.parts().size()][];
        for (int a = 0; a < angles.length; a++) {
            angles[a] = anglesFor(piece.parts().get(a), false, 0, piece.rows());
        }
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
        }
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
        }
    }

    private int src(int pieceRow, int head) {
        return (piece.begin() - start + pieceRow) * qDim + head * headDim;
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
