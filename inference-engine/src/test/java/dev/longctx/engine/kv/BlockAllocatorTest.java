package dev.longctx.engine.kv;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BlockAllocatorTest {

    @Test
    void exhaustionSaysHowManyWereAskedFreeAndTheBudget() {
        BlockAllocator allocator = new BlockAllocator(4);
        allocator.allocate(3);

        assertThatThrownBy(() -> allocator.allocate(2))
                .isInstanceOf(KvCacheExhaustedException.class)
                .hasMessageContaining("asked for 2 block(s)")
                .hasMessageContaining("1 free")
                .hasMessageContaining("budget of 4 blocks");
        // all or nothing: the failed request took nothing
        assertThat(allocator.numFree()).isEqualTo(1);
        allocator.allocate();
        assertThatThrownBy(allocator::allocate).isInstanceOf(KvCacheExhaustedException.class)
                .hasMessageContaining("0 free");
    }

    @Test
    void blockIsFreeOnlyWhenItsLastHolderReleasesIt() {
        BlockAllocator allocator = new BlockAllocator(2);
        int id = allocator.allocate();
        allocator.retain(id);
        assertThat(allocator.refCount(id)).isEqualTo(2);

        assertThat(allocator.release(id)).isFalse();
        assertThat(allocator.numFree()).isEqualTo(1);
        assertThat(allocator.release(id)).isTrue();
        assertThat(allocator.numFree()).isEqualTo(2);
        assertThat(allocator.usage()).isZero();
    }

    @Test
    void doubleFreeIsAnError() {
        BlockAllocator allocator = new BlockAllocator(2);
        int id = allocator.allocate();
        allocator.release(id);

        assertThatThrownBy(() -> allocator.release(id))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("double free of KV block " + id);
        assertThatThrownBy(() -> allocator.retain(id)).isInstanceOf(IllegalStateException.class);
        assertThat(allocator.numFree()).isEqualTo(2);
    }

    @Test
    void releasedBlocksAreReusedLeastRecentlyFreedFirstAndColdOnesBeforeThose() {
        BlockAllocator allocator = new BlockAllocator(3);
        int a = allocator.allocate(), b = allocator.allocate(), c = allocator.allocate();
        allocator.release(b);
        allocator.release(a);
        allocator.releaseCold(c);

        assertThat(allocator.allocate()).isEqualTo(c);
        assertThat(allocator.allocate()).isEqualTo(b);
        assertThat(allocator.allocate()).isEqualTo(a);
    }

    @Test
    void reuseTakesOneParticularFreeBlock() {
        BlockAllocator allocator = new BlockAllocator(3);
        allocator.reuse(2);
        assertThat(allocator.refCount(2)).isEqualTo(1);
        assertThat(allocator.allocate(2)).containsExactly(0, 1);
        assertThatThrownBy(() -> allocator.reuse(2)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void usageCountsBlocksInUse() {
        BlockAllocator allocator = new BlockAllocator(4);
        allocator.allocate(3);
        assertThat(allocator.usage()).isEqualTo(0.75);
    }

    @Test
    void byteBudgetRoundsDownToWholeBlocks() {
        assertThat(BlockAllocator.blocksForBudget(10_000, 3_000)).isEqualTo(3);
        assertThatThrownBy(() -> BlockAllocator.blocksForBudget(100, 3_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds no block");
    }
}
