package dev.longctx.engine.kv;

import dev.longctx.common.prefix.BlockHash;
import dev.longctx.common.prefix.PrefixFacts;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class BlockManagerTest {
    private static final int BS = 4;

    private static int[] range(int from, int to) { return IntStream.range(from, to).toArray(); }

    /** Allocates, "computes" and registers a whole sequence, as the scheduler does across its steps. */
    private static BlockTable prefill(BlockManager manager, int[] tokens, String salt) {
        BlockTable table = manager.newTable(tokens.length, null, salt);
        TokenIds ids = TokenIds.of(tokens);
        manager.acquireCachedPrefix(table, ids);
        manager.grow(table, tokens.length);
        manager.commit(table, ids, tokens.length);
        return table;
    }

    @Test
    void samePrefixGivesSameChainedNamesAndPartialLastBlockIsUnnamed() {
        BlockManager manager = new BlockManager(new BlockAllocator(16), TestPrefixFacts.of("qwen2-7b", BS));
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
        BlockManager manager = new BlockManager(new BlockAllocator(16), TestPrefixFacts.of("m", BS));
        int[] x = range(0, 8);
        int[] y = range(0, 8);
        y[0] = 42;                                             // first block differs, second is the same ids
        BlockTable tx = prefill(manager, x, null), ty = prefill(manager, y, null);

        assertThat(ty.blockHashesHex().get(1)).isNotEqualTo(tx.blockHashesHex().get(1));
    }

    @Test
    void modelConfigAndRequestSaltChangeTheNames() {
        int[] tokens = range(0, 8);
        String plain = prefill(new BlockManager(new BlockAllocator(8), TestPrefixFacts.of("m", BS)), tokens, null).blockHashesHex().getFirst();
        String otherModel = prefill(new BlockManager(new BlockAllocator(8), TestPrefixFacts.of("m2", BS)), tokens, null).blockHashesHex().getFirst();
        PrefixFacts dca = new PrefixFacts("m", "fp32", PrefixFacts.dcaField(64, 8, 32), PrefixFacts.REQUEST_RULE, 32, BS,
                null, false, 32768, 0);
        String otherConfig = prefill(new BlockManager(new BlockAllocator(8), dca), tokens, null).blockHashesHex().getFirst();
        String salted = prefill(new BlockManager(new BlockAllocator(8), TestPrefixFacts.of("m", BS)), tokens, "tenant-a").blockHashesHex().getFirst();

        assertThat(java.util.Set.of(plain, otherModel, otherConfig, salted)).hasSize(4);
    }

    @Test
    void firstBlockNameFollowsTheDocumentedByteLayout() throws Exception {
        // h_0 = SHA-256(32 zero bytes ‖ ids as 4-byte big-endian ‖ salt): an independent recomputation
        byte[] salt = TestPrefixFacts.of("m", BS).salt(5, null, null).bytes();
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(new byte[32]);
        var ids = java.nio.ByteBuffer.allocate(16);
        for (int t : new int[] {7, 300, 70000, -1}) ids.putInt(t);
        sha.update(ids.array());
        sha.update(salt);
        String expected = java.util.HexFormat.of().formatHex(sha.digest());

        BlockManager manager = new BlockManager(new BlockAllocator(4), TestPrefixFacts.of("m", BS));
        assertThat(prefill(manager, new int[] {7, 300, 70000, -1, 5}, null).blockHashesHex()).containsExactly(expected);
    }

    @Test
    void secondPromptReusesTheCachedPrefixBlocksAndCountsTheHit() {
        BlockAllocator allocator = new BlockAllocator(16);
        BlockManager manager = new BlockManager(allocator, TestPrefixFacts.of("m", BS));
        BlockTable first = prefill(manager, range(0, 10), null);

        int[] second = range(0, 13);                           // shares blocks 0 and 1, then goes on
        BlockTable table = manager.newTable(0, null, null);
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
        BlockManager manager = new BlockManager(new BlockAllocator(16), TestPrefixFacts.of("m", BS));
        prefill(manager, range(0, 8), null);

        BlockTable again = manager.newTable(0, null, null);
        assertThat(manager.acquireCachedPrefix(again, TokenIds.of(range(0, 8)))).isEqualTo(4);
    }

    @Test
    void freedBlocksStayFindableUntilAllocationEvictsThemOldestFirst() {
        BlockAllocator allocator = new BlockAllocator(4);
        BlockManager manager = new BlockManager(allocator, TestPrefixFacts.of("m", BS));
        BlockTable a = prefill(manager, range(0, 8), null);    // blocks a0, a1 both named
        manager.free(a);
        assertThat(allocator.numFree()).isEqualTo(4);
        assertThat(manager.cachedBlockHashesHex()).hasSize(2);

        // a hit on freed blocks takes them back off the free list
        BlockTable again = manager.newTable(0, null, null);
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
        BlockManager manager = new BlockManager(allocator, TestPrefixFacts.of("m", BS));
        BlockTable table = manager.newTable(0, null, null);

        assertThat(manager.canGrow(table, 12)).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> manager.grow(table, 12))
                .isInstanceOf(KvCacheExhaustedException.class).hasMessageContaining("asked for 3");
        assertThat(table.numBlocks()).isZero();
        assertThat(allocator.numFree()).isEqualTo(2);
    }

    /** Records what the cache tells its listener, as an instance's KV index publisher would. */
    private static final class Recorder implements BlockManager.Listener {
        final List<String> events = new ArrayList<>();
        @Override public void stored(List<BlockHash> names) { events.add("stored " + names.size()); }
        @Override public void removed(List<BlockHash> names) { events.add("removed " + names.size()); }
        @Override public void cleared() { events.add("cleared"); }
    }

    @Test
    void listenerHearsStoredEvictedAndClearedNames() {
        BlockManager manager = new BlockManager(new BlockAllocator(3), TestPrefixFacts.of(BS));
        Recorder recorder = new Recorder();
        manager.setListener(recorder);
        manager.free(prefill(manager, range(0, 9), null));        // 2 named blocks + 1 partial
        prefill(manager, range(100, 112), null);                 // needs all 3 blocks: evicts both names
        manager.clearCache();

        assertThat(recorder.events).containsExactly("stored 2", "removed 2", "stored 3", "cleared");
        assertThat(manager.cachedBlockNames()).isEmpty();
    }

    @Test
    void pinnedBlocksSurviveEvictionPressureUntilUnpinned() {
        BlockAllocator allocator = new BlockAllocator(4);
        BlockManager manager = new BlockManager(allocator, TestPrefixFacts.of(BS));
        BlockTable a = prefill(manager, range(0, 8), null);
        List<BlockHash> names = a.blockHashesHex().stream().map(BlockHash::fromHex).toList();
        manager.free(a);

        int[] pinned = manager.pin(List.of(names.get(0), names.get(1), BlockHash.ROOT));
        assertThat(pinned).hasSize(2);
        assertThat(allocator.numFree()).isEqualTo(2);
        manager.unpin(pinned);
        assertThat(allocator.numFree()).isEqualTo(4);
        assertThat(manager.cachedPrefixLength(names)).isEqualTo(2);
    }

    @Test
    void importedBlocksAreFoundByTheNextPromptAndAnnounced() {
        int[] tokens = range(0, 9);
        List<BlockHash> names = BlockHash.chain(java.util.Arrays.stream(tokens).boxed().toList(), BS,
                TestPrefixFacts.of(BS).salt(tokens.length, null, null).bytes());
        BlockManager manager = new BlockManager(new BlockAllocator(4), TestPrefixFacts.of(BS));
        Recorder recorder = new Recorder();
        manager.setListener(recorder);
        for (BlockHash name : names) {
            int id = manager.reserveForImport();
            assertThat(manager.completeImport(id, name)).isTrue();
        }
        int spare = manager.reserveForImport();
        manager.abortImport(spare);

        BlockTable table = manager.newTable(tokens.length, null, null);
        assertThat(manager.acquireCachedPrefix(table, TokenIds.of(tokens))).isEqualTo(8);
        assertThat(recorder.events).containsExactly("stored 1", "stored 1");
    }
}
