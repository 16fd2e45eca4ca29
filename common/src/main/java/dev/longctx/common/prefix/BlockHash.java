package dev.longctx.common.prefix;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.function.IntUnaryOperator;

/**
 * The name of a full KV block (ALGORITHMS.md §5): {@code h_i = SHA-256(h_{i-1} ‖ token ids of block i ‖ salt)}.
 *
 * <p>Byte layout, the same in the engine, the gateway and kv-cache-service: {@code h_{-1}} is 32 zero bytes
 * ({@link #ROOT}); each token id is 4 bytes big-endian; the salt is {@link PrefixSalt#bytes()}. Chaining makes a
 * block's name stand for the whole prefix up to and including it.
 */
public final class BlockHash {
    /** h_{-1}: the parent of a prompt's first block. */
    public static final BlockHash ROOT = new BlockHash(new byte[32]);

    private static final HexFormat HEX = HexFormat.of();

    private final byte[] bytes;
    private final int hashCode;

    private BlockHash(byte[] bytes) {
        this.bytes = bytes;
        this.hashCode = Arrays.hashCode(bytes);
    }

    /** The name of the block holding {@code tokens[from, from + count)} whose predecessor is {@code parent}. */
    public static BlockHash of(BlockHash parent, IntUnaryOperator tokens, int from, int count, byte[] salt) {
        MessageDigest sha = sha256();
        sha.update(parent.bytes);
        byte[] ids = new byte[count * 4];
        for (int i = 0; i < count; i++) {
            int t = tokens.applyAsInt(from + i);
            ids[4 * i] = (byte) (t >>> 24);
            ids[4 * i + 1] = (byte) (t >>> 16);
            ids[4 * i + 2] = (byte) (t >>> 8);
            ids[4 * i + 3] = (byte) t;
        }
        sha.update(ids);
        sha.update(salt);
        return new BlockHash(sha.digest());
    }

    /** The names of every full block of a token list, in order (a partial last block has none). */
    public static List<BlockHash> chain(List<Integer> tokens, int blockSize, byte[] salt) {
        int full = tokens.size() / blockSize;
        List<BlockHash> names = new ArrayList<>(full);
        BlockHash parent = ROOT;
        for (int i = 0; i < full; i++) {
            parent = of(parent, tokens::get, i * blockSize, blockSize, salt);
            names.add(parent);
        }
        return names;
    }

    public static BlockHash fromHex(String hex) {
        byte[] b = HEX.parseHex(hex);
        if (b.length != 32) throw new IllegalArgumentException("a block hash is 32 bytes, got " + b.length);
        return new BlockHash(b);
    }

    public String hex() { return HEX.formatHex(bytes); }

    public byte[] bytes() { return bytes.clone(); }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockHash other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() { return hashCode; }

    @Override
    public String toString() { return hex(); }

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
