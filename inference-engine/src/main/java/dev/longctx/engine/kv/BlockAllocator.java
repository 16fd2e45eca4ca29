package dev.longctx.engine.kv;

import java.util.LinkedHashSet;

/**
 * A fixed pool of KV block ids with reference counts. A block is free when its count is 0.
 *
 * <p>The free list is ordered: {@link #allocate()} hands out its head. {@link #release} puts a freed block at
 * the tail, so blocks that may still hold a reusable cached prefix are reused as late as possible (least
 * recently freed goes first, i.e. LRU eviction); {@link #releaseCold} puts it at the head, for blocks whose
 * contents nobody can look up. {@link #reuse} takes a particular free block back (a prefix-cache hit on a block
 * that was freed but not yet handed out again).
 *
 * <p>Not thread-safe: the engine's step loop owns it.
 */
public final class BlockAllocator {
    private final int numBlocks;
    private final int[] refCounts;
    private final LinkedHashSet<Integer> free = new LinkedHashSet<>();

    public BlockAllocator(int numBlocks) {
        if (numBlocks <= 0) throw new IllegalArgumentException("a KV block budget needs at least one block, got " + numBlocks);
        this.numBlocks = numBlocks;
        this.refCounts = new int[numBlocks];
        for (int i = 0; i < numBlocks; i++) free.addLast(i);
    }

    /**
     * How many blocks a byte budget buys (rounded down).
     *
     * @throws IllegalArgumentException if the budget does not cover a single block
     */
    public static int blocksForBudget(long bytes, long bytesPerBlock) {
        if (bytesPerBlock <= 0) throw new IllegalArgumentException("bytesPerBlock must be > 0, got " + bytesPerBlock);
        long blocks = bytes / bytesPerBlock;
        if (blocks < 1) {
            throw new IllegalArgumentException("a KV budget of " + bytes + " bytes holds no block of "
                    + bytesPerBlock + " bytes");
        }
        return (int) Math.min(blocks, Integer.MAX_VALUE);
    }

    /** Takes the head of the free list, with reference count 1. */
    public int allocate() {
        if (free.isEmpty()) throw new KvCacheExhaustedException(1, 0, numBlocks);
        int id = free.removeFirst();
        refCounts[id] = 1;
        return id;
    }

    /** All-or-nothing: either {@code n} blocks or an exception and nothing taken. */
    public int[] allocate(int n) {
        if (n > free.size()) throw new KvCacheExhaustedException(n, free.size(), numBlocks);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = allocate();
        return ids;
    }

    /** One more holder of an allocated block (a sequence sharing a cached prefix). */
    public void retain(int id) {
        checkId(id);
        if (refCounts[id] == 0) throw new IllegalStateException("retain of free KV block " + id + " (use reuse)");
        refCounts[id]++;
    }

    /** Takes a specific free block off the free list, with reference count 1. */
    public void reuse(int id) {
        checkId(id);
        if (refCounts[id] != 0) throw new IllegalStateException("reuse of KV block " + id + " which is in use");
        free.remove(id);
        refCounts[id] = 1;
    }

    /**
     * Drops one holder; the block becomes free (at the tail of the free list) when none remain.
     *
     * @return whether the block became free
     * @throws IllegalStateException on a double free
     */
    public boolean release(int id) {
        if (!drop(id)) return false;
        free.addLast(id);
        return true;
    }

    /** Like {@link #release}, but a block freed here is the next one handed out. */
    public boolean releaseCold(int id) {
        if (!drop(id)) return false;
        free.addFirst(id);
        return true;
    }

    private boolean drop(int id) {
        checkId(id);
        if (refCounts[id] == 0) throw new IllegalStateException("double free of KV block " + id);
        return --refCounts[id] == 0;
    }

    public int refCount(int id) {
        checkId(id);
        return refCounts[id];
    }

    public boolean isFree(int id) { return refCount(id) == 0; }

    public int numFree() { return free.size(); }

    public int numBlocks() { return numBlocks; }

    /** Fraction of blocks in use, 0..1 (vLLM's kv_cache_usage_perc). */
    public double usage() { return (double) (numBlocks - free.size()) / numBlocks; }

    private void checkId(int id) {
        if (id < 0 || id >= numBlocks) throw new IllegalArgumentException("no KV block " + id + " (budget " + numBlocks + ")");
    }
}
