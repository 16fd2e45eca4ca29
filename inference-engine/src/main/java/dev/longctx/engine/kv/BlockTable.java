package dev.longctx.engine.kv;

import dev.longctx.common.prefix.BlockHash;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One sequence's KV blocks (token t is in {@code blockId(t / blockSize)}) plus the chain of its full blocks'
 * names. Made by {@link BlockManager#newTable}; mutated only through it.
 *
 * <p>The names depend only on the tokens and the salt, and a sequence's tokens only grow, so they survive
 * {@link BlockManager#free}: a preempted sequence does not hash its prompt again when it comes back.
 */
public final class BlockTable {
    private final byte[] salt;
    private int[] ids = new int[8];
    private int size;
    private final List<BlockHash> hashes = new ArrayList<>();
    /** Leading blocks already offered to the prefix cache (named, or found under their name). */
    int numCommitted;

    BlockTable(byte[] salt) {
        this.salt = salt;
    }

    public int numBlocks() { return size; }

    public int blockId(int index) {
        if (index >= size) throw new IndexOutOfBoundsException("block " + index + " of a table of " + size);
        return ids[index];
    }

    /** A copy of the block ids, for a model runner's batch. */
    public int[] toArray() { return Arrays.copyOf(ids, size); }

    /** Names of the full blocks hashed so far, as hex. */
    public List<String> blockHashesHex() {
        return hashes.stream().map(BlockHash::hex).toList();
    }

    List<BlockHash> hashes() { return hashes; }

    byte[] salt() { return salt; }

    /** Hashes full blocks of {@code tokens} until {@code numBlocks} names exist (or the tokens run out). */
    BlockHash hash(int index, TokenIds tokens, int blockSize) {
        while (hashes.size() <= index) {
            int i = hashes.size();
            if ((i + 1) * blockSize > tokens.numTokens()) {
                throw new IllegalStateException("block " + i + " is not full, so it has no name");
            }
            BlockHash parent = i == 0 ? BlockHash.ROOT : hashes.get(i - 1);
            hashes.add(BlockHash.of(parent, tokens::tokenAt, i * blockSize, blockSize, salt));
        }
        return hashes.get(index);
    }

    void add(int id) {
        if (size == ids.length) ids = Arrays.copyOf(ids, size * 2);
        ids[size++] = id;
    }

    int removeLast() { return ids[--size]; }

    void clearBlocks() {
        size = 0;
        numCommitted = 0;
    }
}
