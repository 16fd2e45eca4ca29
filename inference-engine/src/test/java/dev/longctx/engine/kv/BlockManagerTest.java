package dev.longctx.engine.kv;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class BlockManagerTest {
    private static final int BS = 4;

    private static int[] range(int from, int to) { return IntStream.range(from, to).toArray(); }

    /** Allocates, "computes" and registers a whole sequence, as the scheduler does across its steps. */
    private static BlockTable prefill(BlockManager manager, int[] tokens, String salt) {
        BlockTable table = manager.newTable(salt);
        TokenIds ids = TokenIds.of(tokens);
        manager.acquireCachedPrefix(table, ids);
        manager.grow(table, tokens.length);
        manager.commit(table, ids, tokens.length);
        return table;
    }

    @Test
    void samePrefixGivesSameChainedNamesAndPartialLastBlockIsUnnamed() {
        BlockManager manager = new BlockManager(new BlockAllocator(16), BS, "qwen2-7b", "fp32");
        BlockTable a = prefill(manager, range(0, 10), null);   // 2 full blocks + 2 tokens
        int[] b = range(0, 10);
        b[9] = 99;                                             // differs only inside the partial block
        BlockTable tb = prefill(manager, b, null);

        assertThat(a.blockHashesHex()).hasSize(2);
        assertThat(tb.blockHashesHex()).isEqualTo(a.blockHashesHex());
        assertThat(a.blockHashesHex().getFirst()).hasSize(64);
    }

    @Test
    void nameDependsOnEveryEarlierBlock() {
        BlockManager manager = new BlockManager(new BlockAllocator(16), BS, "m", "c");
        int[] x = range(0, 8);
        int[] y = range(0, 8);
        y[0] = 42;                                             // first block differs, second is the same ids
        BlockTable tx = prefill(manager, x, null), ty = prefill(manager, y, null);

        assertThat(ty.blockHashesHex().get(1)).isNotEqualTo(tx.blockHashesHex().get(1));
    }

    @Test
    void modelConfigAndRequestSaltChangeTheNames() {
        int[] tokens = range(0, 8);
        String plain = prefill(new BlockManager(new BlockAllocator(8), BS, "m", "c"), tokens, null).blockHashesHex().getFirst();
        String otherModel = prefill(new BlockManager(new BlockAllocator(8), BS, "m2", "c"), tokens, null).blockHashesHex().getFirst();
        String otherConfig = prefill(new BlockManager(new BlockAllocator(8), BS, "m", "c;dca=off"), tokens, null).blockHashesHex().getFirst();
        String salted = prefill(new BlockManager(new BlockAllocator(8), BS, "m", "c"), tokens, "tenant-a").blockHashesHex().getFirst();

        assertThat(java.util.Set.of(plain, otherModel, otherConfig, salted)).hasSize(4);
    }

    @Test
    void firstBlockNameFollowsTheDocumentedByteLayout() throws Exception {
        // h_0 = SHA-256(32 zero bytes ‖ ids as 4-byte big-endian ‖ salt): an independent recomputation
        byte[] salt = BlockHash.salt("m", "c", null);
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(new byte[32]);
        var ids = java.nio.ByteBuffer.allocate(16);
        for (int t : new int[] {7, 300, 70000, -1}) ids.putInt(t);
        sha.update(ids.array());
        sha.update(salt);
        String expected = java.util.HexFormat.of().formatHex(sha.digest());

        BlockManager manager = new BlockManager(new BlockAllocator(4), BS, "m", "c");
        assertThat(prefill(manager, new int[] {7, 300, 70000, -1, 5}, null).blockHashesHex()).containsExactly(expected);
    }

    @Test
    void secondPromptReusesTheCachedPrefixBlocksAndCountsTheHit() {
        BlockAllocator allocator = new BlockAllocator(16);
        BlockManager manager = new BlockManager(allocator, BS, "m", "c");
        BlockTable first = prefill(manager, range(0, 10), null);

        int[] second = range(0, 13);                           // shares blocks 0 and 1, then goes on
        BlockTable table = manager.newTable(null);
        int cached = manager.acquireCachedPrefix(table, TokenIds.of(second));
        manager.recordPrefixQuery(second.length, cached);

        assertThat(cached).isEqualTo(8);
        assertThat(table.toArray()).containsExactly(first.blockId(0), first.blockId(1));
        assertThat(allocator.refCount(first.blockId(0))).isEqualTo(2);
        assertThat(manager.prefixQueryTokens()).isEqualTo(13);
        assertThat(manager.prefixHitTokens()).isEqualTo(8);
    }

    @Test
    void fullyCachedPromptStillLeavesItsLastTokenToCompute() {
        BlockManager manager = new BlockManager(new BlockAllocator(16), BS, "m", "c");
        prefill(manager, range(0, 8), null);

        BlockTable again = manager.newTable(null);
        assertThat(manager.acquireCachedPrefix(again, TokenIds.of(range(0, 8)))).isEqualTo(4);
    }

    @Test
    void freedBlocksStayFindableUntilAllocationEvictsThemOldestFirst() {
        BlockAllocator allocator = new BlockAllocator(4);
        BlockManager manager = new BlockManager(allocator, BS, "m", "c");
        BlockTable a = prefill(manager, range(0, 8), null);    // blocks a0, a1 both named
        manager.free(a);
        assertThat(allocator.numFree()).isEqualTo(4);
        assertThat(manager.cachedBlockHashesHex()).hasSize(2);

        // a hit on freed blocks takes them back off the free list
        BlockTable again = manager.newTable(null);
        assertThat(manager.acquireCachedPrefix(again, TokenIds.of(range(0, 9)))).isEqualTo(8);
        assertThat(allocator.numFree()).isEqualTo(2);
        manager.free(again);

        // 3 fresh blocks: the 2 never-named ones first, then the least recently freed named block, which is
        // a1 (freed before a0, because tables free their tail first)
        BlockTable other = prefill(manager, range(100, 112), null);
        assertThat(manager.evictions()).isEqualTo(1);
        assertThat(manager.isCached(again.blockHashesHex().get(0))).isTrue();
        assertThat(manager.isCached(again.blockHashesHex().get(1))).isFalse();
        assertThat(other.numBlocks()).isEqualTo(3);
    }

    @Test
    void growIsAllOrNothing() {
        BlockAllocator allocator = new BlockAllocator(2);
        BlockManager manager = new BlockManager(allocator, BS, "m", "c");
        BlockTable table = manager.newTable(null);

        assertThat(manager.canGrow(table, 12)).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> manager.grow(table, 12))
                .isInstanceOf(KvCacheExhaustedException.class).hasMessageContaining("asked for 3");
        assertThat(table.numBlocks()).isZero();
        assertThat(allocator.numFree()).isEqualTo(2);
    }
}
