package dev.longctx.engine.kv;

import org.junit.jupiter.api.Test;

import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

class BlockManagerTest {
    private static final int BS = 4;

    private static final PrefixSalt SALT = salt("m", "none", null);

    private static PrefixSalt salt(String model, String dca, String cacheSalt) {
        return new PrefixSalt(model, "fp32", dca, "position", "", "", cacheSalt);
    }

    private static int[] range(int from, int to) { return IntStream.range(from, to).toArray(); }

    /** Allocates, "computes" and registers a whole sequence, as the scheduler does across its steps. */
    private static BlockTable prefill(BlockManager manager, int[] tokens, PrefixSalt salt) {
        BlockTable table = manager.newTable(salt);
        TokenIds ids = TokenIds.of(tokens);
        manager.acquireCachedPrefix(table, ids);
        manager.grow(table, tokens.length);
        manager.commit(table, ids, tokens.length);
        return table;
    }

    @Test
    void samePrefixGivesSameChainedNamesAndPartialLastBlockIsUnnamed() {
        BlockManager manager = new BlockManager(new BlockAllocator(16), BS);
        BlockTable a = prefill(manager, range(0, 10), SALT);   // 2 full blocks + 2 tokens
        int[] b = range(0, 10);
        b[9] = 99;                                             // differs only inside the partial block
        BlockTable tb = prefill(manager, b, SALT);

        assertThat(a.blockHashesHex()).hasSize(2);
        assertThat(tb.blockHashesHex()).isEqualTo(a.blockHashesHex());
        assertThat(a.blockHashesHex().getFirst()).hasSize(64);
    }

    @Test
    void nameDependsOnEveryEarlierBlock() {
        BlockManager manager = new BlockManager(new BlockAllocator(16), BS);
        int[] x = range(0, 8);
        int[] y = range(0, 8);
        y[0] = 42;                                             // first block differs, second is the same ids
        BlockTable tx = prefill(manager, x, SALT), ty = prefill(manager, y, SALT);

        assertThat(ty.blockHashesHex().get(1)).isNotEqualTo(tx.blockHashesHex().get(1));
    }

    @Test
    void modelConfigAndRequestSaltChangeTheNames() {
        int[] tokens = range(0, 8);
        java.util.List<PrefixSalt> salts = java.util.List.of(SALT, salt("m2", "none", null),
                salt("m", "chunk_size=64,local_size=16,original_max_position_embeddings=100", null), salt("m", "none", "tenant-a"),
                new PrefixSalt("m", "bf16", "none", "position", "", "", null),
                new PrefixSalt("m", "fp32", "none", "request", "", "", null),
                new PrefixSalt("m", "fp32", "none", "request", "1.0693147180559945", "", null),
                new PrefixSalt("m", "fp32", "none", "position", "", "sparse=ab;threshold=1", null),
                // Lengths keep field boundaries apart: ("m", "fp32n…") is not ("m", "fp32", "n…").
                new PrefixSalt("m", "fp32none", "", "position", "", "", null));
        java.util.Set<String> names = new java.util.HashSet<>();
        for (PrefixSalt s : salts) names.add(prefill(new BlockManager(new BlockAllocator(8), BS), tokens, s).blockHashesHex().getFirst());

        assertThat(names).hasSize(salts.size());
    }

    @Test
    void firstBlockNameFollowsTheDocumentedByteLayout() throws Exception {
        // h_0 = SHA-256(32 zero bytes ‖ ids as 4-byte big-endian ‖ salt): an independent recomputation
        // salt: every field as a 4-byte big-endian length then UTF-8, null as ""
        var saltBytes = new java.io.ByteArrayOutputStream();
        for (String f : new String[] {"m", "fp32", "none", "position", "", "", ""}) {
            byte[] b = f.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            saltBytes.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
            saltBytes.writeBytes(b);
        }
        byte[] salt = saltBytes.toByteArray();
        var sha = java.security.MessageDigest.getInstance("SHA-256");
        sha.update(new byte[32]);
        var ids = java.nio.ByteBuffer.allocate(16);
        for (int t : new int[] {7, 300, 70000, -1}) ids.putInt(t);
        sha.update(ids.array());
        sha.update(salt);
        String expected = java.util.HexFormat.of().formatHex(sha.digest());

        BlockManager manager = new BlockManager(new BlockAllocator(4), BS);
        assertThat(prefill(manager, new int[] {7, 300, 70000, -1, 5}, SALT).blockHashesHex()).containsExactly(expected);
    }

    @Test
    void secondPromptReusesTheCachedPrefixBlocksAndCountsTheHit() {
        BlockAllocator allocator = new BlockAllocator(16);
        BlockManager manager = new BlockManager(allocator, BS);
        BlockTable first = prefill(manager, range(0, 10), SALT);

        int[] second = range(0, 13);                           // shares blocks 0 and 1, then goes on
        BlockTable table = manager.newTable(SALT);
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
        BlockManager manager = new BlockManager(new BlockAllocator(16), BS);
        prefill(manager, range(0, 8), SALT);

        BlockTable again = manager.newTable(SALT);
        assertThat(manager.acquireCachedPrefix(again, TokenIds.of(range(0, 8)))).isEqualTo(4);
    }

    @Test
    void freedBlocksStayFindableUntilAllocationEvictsThemOldestFirst() {
        BlockAllocator allocator = new BlockAllocator(4);
        BlockManager manager = new BlockManager(allocator, BS);
        BlockTable a = prefill(manager, range(0, 8), SALT);    // blocks a0, a1 both named
        manager.free(a);
        assertThat(allocator.numFree()).isEqualTo(4);
        assertThat(manager.cachedBlockHashesHex()).hasSize(2);

        // a hit on freed blocks takes them back off the free list
        BlockTable again = manager.newTable(SALT);
        assertThat(manager.acquireCachedPrefix(again, TokenIds.of(range(0, 9)))).isEqualTo(8);
        assertThat(allocator.numFree()).isEqualTo(2);
        manager.free(again);

        // 3 fresh blocks: the 2 never-named ones first, then the least recently freed named block, which is
        // a1 (freed before a0, because tables free their tail first)
        BlockTable other = prefill(manager, range(100, 112), SALT);
        assertThat(manager.evictions()).isEqualTo(1);
        assertThat(manager.isCached(again.blockHashesHex().get(0))).isTrue();
        assertThat(manager.isCached(again.blockHashesHex().get(1))).isFalse();
        assertThat(other.numBlocks()).isEqualTo(3);
    }

    @Test
    void growIsAllOrNothing() {
        BlockAllocator allocator = new BlockAllocator(2);
        BlockManager manager = new BlockManager(allocator, BS);
        BlockTable table = manager.newTable(SALT);

        assertThat(manager.canGrow(table, 12)).isFalse();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> manager.grow(table, 12))
                .isInstanceOf(KvCacheExhaustedException.class).hasMessageContaining("asked for 3");
        assertThat(table.numBlocks()).isZero();
        assertThat(allocator.numFree()).isEqualTo(2);
    }
}
