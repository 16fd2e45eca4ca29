package dev.longctx.engine.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.backend.DeviceMemory;
import org.junit.jupiter.api.Test;

/** How {@link Engines#kvCacheBlocks} sizes the KV cache: a set budget, else device memory, else the host default. */
class KvCacheSizingTest {
    private static final long GIB = 1L << 30;
    private static final EngineOptions UNSET = EngineOptions.defaults();

    @Test
    void aBytesBudgetWinsOverBlocksAndBlocksOverDeviceMemory() {
        DeviceMemory gpu = new DeviceMemory(100 * GIB, 90 * GIB);
        assertThat(Engines.kvCacheBlocks(UNSET.withKvCacheBlocks(99), gpu, 1_000)).isEqualTo(99);
        EngineOptions bytes = new EngineOptions(2048, 16, 10_000, 99, 0, true, true, 1, null,
                UNSET.device(), UNSET.dcaScale());
        assertThat(Engines.kvCacheBlocks(bytes, gpu, 1_000)).isEqualTo(10);
    }

    @Test
    void onTheHostWithoutABudgetTheCacheHasTheDefaultBlocks() {
        assertThat(Engines.kvCacheBlocks(UNSET, null, 1_000)).isEqualTo(EngineOptions.DEFAULT_KV_CACHE_BLOCKS);
    }

    @Test
    void onAGpuTheCacheTakesWhatTheUtilizationLeavesAfterEverythingAlreadyAllocated() {
        // 80 GiB device, 20 GiB in use (weights, activations, another process): 0.9 × 80 − 20 = 52 GiB for K/V.
        DeviceMemory gpu = new DeviceMemory(80 * GIB, 60 * GIB);
        assertThat(Engines.kvCacheBlocks(UNSET, gpu, GIB)).isEqualTo(52);
        assertThat(Engines.kvCacheBlocks(UNSET.withGpuMemoryUtilization(0.5), gpu, GIB)).isEqualTo(20);
        assertThatThrownBy(() -> Engines.kvCacheBlocks(UNSET.withGpuMemoryUtilization(0.2), gpu, GIB))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("20.00 GiB of 80.00 GiB are in use")
                .hasMessageContaining("gpu-memory-utilization 0.20");
    }

    @Test
    void slotsStayWithinAnIntWhenTheDeviceIsHuge() {
        DeviceMemory huge = new DeviceMemory(1L << 50, 1L << 50);
        int blocks = Engines.kvCacheBlocks(UNSET, huge, 64);
        assertThat((long) blocks * UNSET.kvBlockSize()).isLessThan(Integer.MAX_VALUE);
    }

    @Test
    void aUtilizationOutsideZeroToOneIsRefused() {
        assertThatThrownBy(() -> UNSET.withGpuMemoryUtilization(0)).hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> UNSET.withGpuMemoryUtilization(1.5)).hasMessageContaining("(0, 1]");
    }
}
