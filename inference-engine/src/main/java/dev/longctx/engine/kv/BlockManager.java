package dev.longctx.engine.kv;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * KV blocks for sequences, with a prefix cache: a full, computed block is registered under its chained name
 * ({@link BlockHash}) and stays findable after its sequence frees it, until the allocator hands it out again
 * (least recently freed first). A new prompt retains the longest run of cached blocks that starts its token
 * ids and skips computing them.
 *
 * <p>Not thread-safe: the engine's step loop owns it.
 */
public final class BlockManager {
    private final BlockAllocator allocator;
    private final int blockSize;
    private final Map<BlockHash, Integer> cached = new HashMap<>();
    private final BlockHash[] nameOf;
    private long prefixQueryTokens;
    private long prefixHitTokens;
    private long evictions;

    public BlockManager(BlockAllocator allocator, int blockSize) {
        if (blockSize <= 0) throw new IllegalArgumentException("blockSize must be > 0, got " + blockSize);
        this.allocator = allocator;
        this.blockSize = blockSize;
        this.nameOf = new BlockHash[allocator.numBlocks()];
    }

    /**
     * An empty table whose block names carry {@code salt}: everything that makes this request's K/V differ from
     * another's for the same tokens (model, KV dtype, DCA and its temperature rule, sparse prefill, cache salt).
     */
    public BlockTable newTable(PrefixSalt salt) {
        return new BlockTable(salt.bytes());
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
        for (int i = 0; i < needed; i++) {
            int id = allocator.allocate();
            BlockHash stale = nameOf[id];
            if (stale != null) {   // it held a cached prefix nobody was using: evict it
                cached.remove(stale, id);
                nameOf[id] = null;
                evictions++;
            }
            table.add(id);
        }
    }

    /**
     * Registers every block that is now full and computed ({@code numComputedTokens} of {@code tokens} have
     * K/V) in the prefix cache. If another block already holds the same name, that one stays the cached copy.
     */
    public void commit(BlockTable table, TokenIds tokens, int numComputedTokens) {
        int full = Math.min(numComputedTokens / blockSize, table.numBlocks());
        for (int i = table.numCommitted; i < full; i++) {
            BlockHash name = table.hash(i, tokens, blockSize);
            int id = table.blockId(i);
            if (nameOf[id] == null && cached.putIfAbsent(name, id) == null) nameOf[id] = name;
        }
        table.numCommitted = Math.max(table.numCommitted, full);
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
