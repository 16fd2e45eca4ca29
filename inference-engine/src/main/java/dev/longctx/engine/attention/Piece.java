package dev.longctx.engine.attention;

import dev.longctx.engine.model.DcaConfig;

import java.util.ArrayList;
import java.util.List;

/**
 * Queries [begin, end) that share one set of attention parts. Without DCA a call is one piece with one causal
 * part; under DCA the new tokens are split at DCA chunk boundaries (ALGORITHMS.md §1 prefill loop) so that every
 * query of a piece uses the same intra/succ/inter key ranges. A decode step is a piece of one query.
 */
public record Piece(int begin, int end, List<DcaPart> parts) {

    public int rows() {
        return end - begin;
    }

    /** The pieces for new tokens [start, end) of one sequence. */
    public static List<Piece> split(DcaConfig dca, int start, int end) {
        List<Piece> pieces = new ArrayList<>();
        if (start >= end) return pieces;
        if (dca == null) {
            pieces.add(new Piece(start, end, List.of(new DcaPart(DcaPart.Kind.PLAIN, 0, end))));
            return pieces;
        }
        int L = dca.chunkLen();
        int b = start;
        while (b < end) {
            int prev = (b / L) * L;
            int e = Math.min(prev + L, end);
            List<DcaPart> parts = new ArrayList<>(3);
            parts.add(new DcaPart(DcaPart.Kind.INTRA, prev, e));
            if (prev >= L) parts.add(new DcaPart(DcaPart.Kind.SUCC, prev - L, prev));
            if (prev >= 2 * L) parts.add(new DcaPart(DcaPart.Kind.INTER, 0, prev - L));
            pieces.add(new Piece(b, e, List.copyOf(parts)));
            b = e;
        }
        return pieces;
    }
}
