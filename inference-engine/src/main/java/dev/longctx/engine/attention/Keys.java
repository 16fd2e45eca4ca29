package dev.longctx.engine.attention;

import java.util.Arrays;

/**
 * The keys one attention part reads, as absolute token positions in ascending order: either a contiguous range
 * (dense parts) or an explicit sorted index list (sparse parts). Ascending order lets the causal mask stop at the
 * first key past a row's position.
 */
public record Keys(int from, int to, int[] indices) {

    public Keys {
        if (indices == null && (from < 0 || to < from)) {
            throw new IllegalArgumentException("bad key range [" + from + ", " + to + ")");
        }
    }

    public static Keys range(int from, int to) {
        return new Keys(from, to, null);
    }

    /** {@code indices} must be strictly ascending; it is used as given, not copied. */
    public static Keys of(int[] indices) {
        return new Keys(0, 0, indices);
    }

    public int size() {
        return indices == null ? to - from : indices.length;
    }

    public int get(int i) {
        return indices == null ? from + i : indices[i];
    }

    public boolean isEmpty() {
        return size() == 0;
    }

    /** How many of these keys are at or before {@code position} (what a causal row there may see). */
    public int countUpTo(long position) {
        if (indices == null) return (int) Math.max(0, Math.min(to, position + 1) - from);
        int ins = Arrays.binarySearch(indices, (int) Math.min(Integer.MAX_VALUE, position));
        return ins >= 0 ? ins + 1 : -ins - 1;
    }

    @Override
    public String toString() {
        return indices == null ? "Keys[" + from + ", " + to + ")" : "Keys" + Arrays.toString(indices);
    }
}
