package dev.longctx.engine;

import dev.longctx.engine.attention.DcaScaleRule;
import dev.longctx.engine.backend.ComputeDtype;
import dev.longctx.engine.backend.Device;
import java.nio.file.Path;

/**
 * How the engine runs a model: everything a CLI flag or a service setting can change.
 *
 * @param maxPrefillChunk     most tokens per step (chunked prefill); bounds the activations, which are allocated
 *                            once for a step of this many tokens
 * @param kvBlockSize         tokens per paged KV block; must divide the DCA chunk length L when DCA is on
 * @param kvCacheBytes        KV memory budget in bytes (0 = use kvCacheBlocks)
 * @param kvCacheBlocks       KV memory budget in blocks (used when kvCacheBytes is 0); 0 = unset: on a GPU the
 *                            cache takes what gpuMemoryUtilization leaves, on the CPU {@link #DEFAULT_KV_CACHE_BLOCKS}
 * @param threads             worker threads for the CPU backend (0 = all cores)
 * @param dca                 use Dual Chunk Attention when config.json has it ({@code --no-dca} turns it off)
 * @param sparse              allow sparse prefill when a sparse config is present
 * @param sparseThreshold     prompts longer than this use sparse prefill
 * @param sparseConfig        sparse_attention_config.json; null = look beside the weights
 * @param device              which backend computes ({@code --device}); the library default is the CPU
 * @param dcaScale            which length the DCA temperature of a query uses ({@code --dca-scale})
 * @param gpuMemoryUtilization the share of a GPU's memory the engine may use in all, weights and activations
 *                            included (vLLM's {@code gpu_memory_utilization}); sizes the KV cache when neither
 *                            budget is set
 * @param dtype               the element type of weights, GEMM operands and KV ({@code --dtype}; auto: bf16 on a
 *                            GPU, fp32 on the CPU)
 * @param enforceEager        launch every op itself: no CUDA graphs of decode steps (vLLM's {@code --enforce-eager})
 */
public record EngineOptions(
        int maxPrefillChunk,
        int kvBlockSize,
        long kvCacheBytes,
        int kvCacheBlocks,
        int threads,
        boolean dca,
        boolean sparse,
        int sparseThreshold,
        Path sparseConfig,
        Device device,
        DcaScaleRule dcaScale,
        double gpuMemoryUtilization,
        ComputeDtype dtype,
        boolean enforceEager) {

    public static final int DEFAULT_SPARSE_THRESHOLD = 32768;
    /** KV blocks of a host (CPU) cache when no budget is set. */
    public static final int DEFAULT_KV_CACHE_BLOCKS = 4096;
    /** vLLM's default. */
    public static final double DEFAULT_GPU_MEMORY_UTILIZATION = 0.9;

    public EngineOptions {
        if (device == null) throw new IllegalArgumentException("device must be set (cpu, cuda or auto)");
        if (dtype == null) throw new IllegalArgumentException("dtype must be set (auto, bfloat16 or float32)");
        if (dcaScale == null) throw new IllegalArgumentException("the DCA scale rule must be set (position or request)");
        if (kvCacheBytes < 0 || kvCacheBlocks < 0) {
            throw new IllegalArgumentException("KV cache budgets must be >= 0 (0 = unset), got " + kvCacheBytes
                    + " bytes and " + kvCacheBlocks + " blocks");
        }
        if (!(gpuMemoryUtilization > 0 && gpuMemoryUtilization <= 1)) {
            throw new IllegalArgumentException("gpu-memory-utilization must be in (0, 1], got " + gpuMemoryUtilization);
        }
    }

    /** Everything but the GPU memory share, the dtype and enforceEager, which take vLLM's defaults (0.9, auto, false). */
    public EngineOptions(int maxPrefillChunk, int kvBlockSize, long kvCacheBytes, int kvCacheBlocks, int threads,
                         boolean dca, boolean sparse, int sparseThreshold, Path sparseConfig, Device device,
                         DcaScaleRule dcaScale) {
        this(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, dca, sparse, sparseThreshold,
                sparseConfig, device, dcaScale, DEFAULT_GPU_MEMORY_UTILIZATION, ComputeDtype.AUTO, false);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(2048, 16, 0, 0, 0, true, true, DEFAULT_SPARSE_THRESHOLD, null, Device.CPU,
                DcaScaleRule.POSITION, DEFAULT_GPU_MEMORY_UTILIZATION, ComputeDtype.AUTO, false);
    }

    public EngineOptions withMaxPrefillChunk(int n) {
        return new EngineOptions(n, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, dca, sparse, sparseThreshold, sparseConfig, device, dcaScale, gpuMemoryUtilization, dtype, enforceEager);
    }

    public EngineOptions withKvBlockSize(int n) {
        return new EngineOptions(maxPrefillChunk, n, kvCacheBytes, kvCacheBlocks, threads, dca, sparse, sparseThreshold, sparseConfig, device, dcaScale, gpuMemoryUtilization, dtype, enforceEager);
    }

    public EngineOptions withKvCacheBlocks(int n) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, 0, n, threads, dca, sparse, sparseThreshold, sparseConfig, device, dcaScale, gpuMemoryUtilization, dtype, enforceEager);
    }

    public EngineOptions withDca(boolean on) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, on, sparse, sparseThreshold, sparseConfig, device, dcaScale, gpuMemoryUtilization, dtype, enforceEager);
    }

    public EngineOptions withSparse(boolean on, int threshold, Path config) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, dca, on, threshold, config, device, dcaScale, gpuMemoryUtilization, dtype, enforceEager);
    }

    public EngineOptions withThreads(int n) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, n, dca, sparse, sparseThreshold, sparseConfig, device, dcaScale, gpuMemoryUtilization, dtype, enforceEager);
    }

    public EngineOptions withDevice(Device d) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, dca, sparse, sparseThreshold, sparseConfig, d, dcaScale, gpuMemoryUtilization, dtype, enforceEager);
    }

    public EngineOptions withDcaScale(DcaScaleRule rule) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, dca, sparse, sparseThreshold, sparseConfig, device, rule, gpuMemoryUtilization, dtype, enforceEager);
    }

    public EngineOptions withGpuMemoryUtilization(double share) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, dca, sparse, sparseThreshold, sparseConfig, device, dcaScale, share, dtype, enforceEager);
    }

    public EngineOptions withDtype(ComputeDtype d) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, dca, sparse, sparseThreshold, sparseConfig, device, dcaScale, gpuMemoryUtilization, d, enforceEager);
    }

    public EngineOptions withEnforceEager(boolean on) {
        return new EngineOptions(maxPrefillChunk, kvBlockSize, kvCacheBytes, kvCacheBlocks, threads, dca, sparse, sparseThreshold, sparseConfig, device, dcaScale, gpuMemoryUtilization, dtype, on);
    }
}
