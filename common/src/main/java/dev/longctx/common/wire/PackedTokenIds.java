package dev.longctx.common.wire;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.AbstractList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.RandomAccess;

/**
 * Token ids between the services, written as one JSON string: base64 of the ids as little-endian int32.
 *
 * <p>Why this form: a prompt may hold a million ids. As a JSON array that is ~7 MB of digits and commas, and
 * every reader boxes a million Integers; as base64 int32 it is 5.3 MB (4 bytes per id, +1/3), decodes with one
 * {@link Base64} call into an {@code int[]}, has a length known from the string alone, and stays inside the
 * JSON envelope beside the request's other fields (no second framing). A varint would be ~30 % smaller for
 * Qwen's 152K vocabulary, but costs a byte-by-byte decode and gives up the fixed width that lets a reader check
 * the size before decoding. Any language reads it in one line (Python: {@code numpy.frombuffer(base64.b64decode(s), "<i4")}).
 * A plain JSON array of ids is still accepted on input, for hand-written requests.
 */
public final class PackedTokenIds {
    private static final PackedTokenIds EMPTY = new PackedTokenIds(new int[0]);
    private final int[] ids;

    private PackedTokenIds(int[] ids) {
        this.ids = ids;
    }

    public static PackedTokenIds of(int... ids) {
        return ids.length == 0 ? EMPTY : new PackedTokenIds(ids.clone());
    }

    public static PackedTokenIds of(List<Integer> ids) {
        if (ids instanceof ListView view) {
            return view.owner();
        }
        int[] array = new int[ids.size()];
        for (int i = 0; i < array.length; i++) {
            Integer id = ids.get(i);
            if (id == null) {
                throw new IllegalArgumentException("token id " + i + " is null");
            }
            array[i] = id;
        }
        return new PackedTokenIds(array);
    }

    /** Reads the wire form: a base64 string, or (for people typing requests) a JSON array of integers. */
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    public static PackedTokenIds fromJson(Object value) {
        if (value instanceof String base64) {
            return fromBase64(base64);
        }
        if (value instanceof List<?> list) {
            int[] array = new int[list.size()];
            for (int i = 0; i < array.length; i++) {
                if (!(list.get(i) instanceof Integer id)) {
                    throw new IllegalArgumentException("token id " + i + " is not a 32-bit integer: " + list.get(i));
                }
                array[i] = id;
            }
            return new PackedTokenIds(array);
        }
        throw new IllegalArgumentException("token ids must be a base64 string of little-endian int32 or a list of integers");
    }

    public static PackedTokenIds fromBase64(String base64) {
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(base64);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("token ids are not valid base64: " + e.getMessage());
        }
        if (bytes.length % Integer.BYTES != 0) {
            throw new IllegalArgumentException("token ids decode to " + bytes.length + " bytes, not a whole number of int32");
        }
        int[] array = new int[bytes.length / Integer.BYTES];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer().get(array);
        return new PackedTokenIds(array);
    }

    @JsonValue
    public String toBase64() {
        ByteBuffer bytes = ByteBuffer.allocate(ids.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asIntBuffer().put(ids);
        return Base64.getEncoder().encodeToString(bytes.array());
    }

    public int size() {
        return ids.length;
    }

    public boolean isEmpty() {
        return ids.length == 0;
    }

    public int get(int index) {
        return ids[index];
    }

    /** A copy: the ids never change once packed. */
    public int[] toArray() {
        return ids.clone();
    }

    /** The largest id, or -1 when empty (for vocabulary checks). */
    public int max() {
        int max = -1;
        for (int id : ids) {
            max = Math.max(max, id);
        }
        return max;
    }

    /** The smallest id, or 0 when empty. */
    public int min() {
        int min = Integer.MAX_VALUE;
        for (int id : ids) {
            min = Math.min(min, id);
        }
        return ids.length == 0 ? 0 : min;
    }

    /** A read-only List view for code that works with boxed ids; no copy is made. */
    public List<Integer> asList() {
        return new ListView(this);
    }

    private static final class ListView extends AbstractList<Integer> implements RandomAccess {
        private final PackedTokenIds owner;

        ListView(PackedTokenIds owner) {
            this.owner = owner;
        }

        PackedTokenIds owner() {
            return owner;
        }

        @Override
        public Integer get(int index) {
            return owner.ids[index];
        }

        @Override
        public int size() {
            return owner.ids.length;
        }
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PackedTokenIds that && Arrays.equals(ids, that.ids);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(ids);
    }

    @Override
    public String toString() {
        return ids.length <= 16 ? Arrays.toString(ids) : ids.length + " token ids";
    }
}
