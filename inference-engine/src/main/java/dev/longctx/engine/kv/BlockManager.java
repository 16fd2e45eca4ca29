package dev.longctx.engine.kv;

import dev.longctx.common.prefix.BlockHash;
import dev.longctx.common.prefix.PrefixFacts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * KV blocks for sequences, with a prefix cache: a full, computed block is registered under its chained name
 * ({@link BlockHash}) and stays findable after its sequence frees it, until the allocator hands it out again
 * (least recently freed first). A new prompt retains the longest run of cached blocks that starts its token
 * ids and skips computing them.
 *
 * <p>A {@link Listener} hears every name that enters or leaves the cache (an instance publishes them to the
 * cluster's KV index). Blocks can also be pinned for reading out and filled from outside (a KV pull).
 *
 * <p>Not thread-safe: the engine's step loop owns it (others call it under the engine's lock).
 */
public final class BlockManager {
    /** Hears the prefix cache change; called on the thread that changes it, so it must only hand off. */
    public interface Listener {
        void stored(List<BlockHash> names);

        void removed(List<BlockHash> names);

        void cleared();
    }

    private static final Listener SILENT = new Listener() {
        @Override public void stored(List<BlockHash> names) {}
        @Override public void removed(List<BlockHash> names) {}
        @Override public void cleared() {}
    };

    private final BlockAllocator allocator;
    private final PrefixFacts facts;
    private final int blockSize;
    private final Map<BlockHash, Integer> cached = new HashMap<>();
    private final BlockHash[] nameOf;
    private Listener listener = SILENT;
    private long prefixQueryTokens;
    private long prefixHitTokens;
    private long evictions;

    /** @param facts what names a block here: model identity, KV dtype, DCA, scale rule, sparse identity, block size */
    public BlockManager(BlockAllocator allocator, PrefixFacts facts) {
        if (facts.blockSize() <= 0) throw new IllegalArgumentException("blockSize must be > 0, got " + facts.blockSize());
        this.allocator = allocator;
        this.facts = facts;
        this.blockSize = facts.blockSize();
        this.nameOf = new BlockHash[allocator.numBlocks()];
    }

    public void setListener(Listener listener) { this.listener = listener == null ? SILENT : listener; }

    public PrefixFacts facts() { return facts; }

    /**
     * An empty table whose block names carry the salt of a request of {@code promptTokens} tokens (which fixes
     * s_f(T) under the request rule and whether the prompt is prefilled sparse) and its cache salt (null = none).
     */
    public BlockTable newTable(int promptTokens, Boolean sparse, String cacheSalt) {
        return new BlockTable(facts.salt(promptTokens, sparse, cacheSalt).bytes());
    }

    public int blocksFor(int numTokens) { return (numTokens + blockSize - 1) / blockSize; }

    /**
     * Fills an empty table with the longest cached prefix of {@code tokens} and retains those blocks. At least
     * the last token is left uncached, because computing it is what yields the next token's logits.
     *
     * @return how many leading tokens are cached (a multiple of the block size)
     */
    public int acquireCachedPrefix(BlockTable table, TokenIds tokens) {
        if (table.numBlocks() != 0) throw new IllegalStateException("prefix lookup needs an empty block table");
        int candidates = (tokens.numTokens() - 1) / blockSize;
        int hits = 0;
        while (hits < candidates) {
            Integer id = cached.get(table.hash(hits, tokens, blockSize));
            if (id == null) break;
            if (allocator.isFree(id)) allocator.reuse(id); else allocator.retain(id);
            table.add(id);
            hits++;
        }
        table.numCommitted = hits;
        return hits * blockSize;
    }

    /**
     * Counts one prefix-cache lookup that was acted on. Kept apart from {@link #acquireCachedPrefix} because a
     * scheduler may undo a lookup (no room for the rest of the prompt) and retry it next step.
     */
    public void recordPrefixQuery(int queriedTokens, int hitTokens) {
        prefixQueryTokens += queriedTokens;
        prefixHitTokens += hitTokens;
    }

    /** Blocks {@link #grow} would have to allocate for the table to hold {@code numTokens} tokens. */
    public int blocksNeeded(BlockTable table, int numTokens) {
        return Math.max(0, blocksFor(numTokens) - table.numBlocks());
    }

    public boolean canGrow(BlockTable table, int numTokens) {
        return blocksNeeded(table, numTokens) <= allocator.numFree();
    }

    /**
     * Allocates blocks (evicting cached ones if need be) so the table holds {@code numTokens} tokens.
     * All or nothing.
     *
     * @throws KvCacheExhaustedException if too few blocks are free
     */
    public void grow(BlockTable table, int numTokens) {
        int needed = blocksNeeded(table, numTokens);
        if (needed > allocator.numFree()) {
            throw new KvCacheExhaustedException(needed, allocator.numFree(), allocator.numBlocks());
        }
        List<BlockHash> evicted = new ArrayList<>();
        for (int i = 0; i < needed; i++) table.add(allocateEvicting(evicted));
        if (!evicted.isEmpty()) listener.removed(evicted);
    }

    /** Takes the head of the free list; if it still held a cached prefix nobody was using, that name goes. */
    private int allocateEvicting(List<BlockHash> evicted) {
        int id = allocator.allocate();
        BlockHash stale = nameOf[id];
        if (stale != null) {
            cached.remove(stale, id);
            nameOf[id] = null;
            evictions++;
            evicted.add(stale);
        }
        return id;
    }

    /**
     * Registers every block that is now full and computed ({@code numComputedTokens} of {@code tokens} have
     * K/V) in the prefix cache. If another block already holds the same name, that one stays the cached copy.
     */
    public void commit(BlockTable table, TokenIds tokens, int numComputedTokens) {
        int full = Math.min(numComputedTokens / blockSize, table.numBlocks());
        List<BlockHash> stored = new ArrayList<>();
        for (int i = table.numCommitted; i < full; i++) {
            BlockHash name = table.hash(i, tokens, blockSize);
            if (register(table.blockId(i), name)) stored.add(name);
        }
        table.numCommitted = Math.max(table.numCommitted, full);
        if (!stored.isEmpty()) listener.stored(stored);
    }

    private boolean register(int id, BlockHash name) {
        if (nameOf[id] == null && cached.putIfAbsent(name, id) == null) {
            nameOf[id] = name;
            return true;
        }
        return false;
    }

    /**
     * Releases the table's blocks, last block first, so that when eviction comes the tail of a prefix goes
     * before its head (heads are what other prompts share). Unnamed blocks are handed out first.
     */
    public void free(BlockTable table) {
        while (table.numBlocks() > 0) {
            int id = table.removeLast();
            if (nameOf[id] != null) allocator.release(id); else allocator.releaseCold(id);
        }
        table.clearBlocks();
    }

    /** Forgets every cached name (vLLM's reset_prefix_cache); blocks in use stay with their sequences. */
    public void clearCache() {
        cached.clear();
        java.util.Arrays.fill(nameOf, null);
        listener.cleared();
    }

    // ---- KV transfer between instances ----

    /** How many leading names of a chain are cached here (nothing is retained). */
    public int cachedPrefixLength(List<BlockHash> names) {
        int n = 0;
        while (n < names.size() && cached.containsKey(names.get(n))) n++;
        return n;
    }

    /**
     * Retains the cached blocks of the leading names, stopping at the first name not cached, so that their K/V
     * can be read without the lock: a named, full block is never written again while it is held.
     *
     * @return their block ids; give them back with {@link #unpin}
     */
    public int[] pin(List<BlockHash> names) {
        int n = cachedPrefixLength(names);
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            int id = cached.get(names.get(i));
            if (allocator.isFree(id)) allocator.reuse(id); else allocator.retain(id);
            ids[i] = id;
        }
        return ids;
    }

    public void unpin(int[] ids) {
        for (int i = ids.length - 1; i >= 0; i--) allocator.release(ids[i]);
    }

    /**
     * A block to receive pulled K/V (held, unnamed), evicting the least recently freed cached block if need be;
     * -1 when every block is in use.
     */
    public int reserveForImport() {
        if (allocator.numFree() == 0) return -1;
        List<BlockHash> evicted = new ArrayList<>(1);
        int id = allocateEvicting(evicted);
        if (!evicted.isEmpty()) listener.removed(evicted);
        return id;
    }

    /**
     * Names a reserved block whose K/V a pull has written, then releases it into the cache (like a finished
     * sequence's block). If the name got cached meanwhile, the block goes back unnamed.
     *
     * @return whether the block now serves the name
     */
    public boolean completeImport(int id, BlockHash name) {
        boolean stored = register(id, name);
        if (stored) {
            allocator.release(id);
            listener.stored(List.of(name));
        } else {
            allocator.releaseCold(id);
        }
        return stored;
    }

    /** Gives back a reserved block whose pull failed. */
    public void abortImport(int id) { allocator.releaseCold(id); }

    /** Names of every block the prefix cache can currently serve, in use or free. */
    public List<BlockHash> cachedBlockNames() { return List.copyOf(cached.keySet()); }

    /** Names (hex) of every block the prefix cache can currently serve, in use or free. */
    public List<String> cachedBlockHashesHex() {
        return cached.keySet().stream().map(BlockHash::hex).toList();
    }

    public boolean isCached(String blockHashHex) { return cached.containsKey(BlockHash.fromHex(blockHashHex)); }

    public int blockSize() { return blockSize; }
    public int numBlocks() { return allocator.numBlocks(); }
    public int numFreeBlocks() { return allocator.numFree(); }
    public double usage() { return allocator.usage(); }
    /** Prompt tokens looked up in the prefix cache (vLLM's prefix_cache_queries). */
    public long prefixQueryTokens() { return prefixQueryTokens; }
    /** Of those, tokens found cached (vLLM's prefix_cache_hits). */
    public long prefixHitTokens() { return prefixHitTokens; }
    public long evictions() { return evictions; }
}
