package dev.longctx.inferenceservice.engine;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.attention.DcaScaleRule;
import dev.longctx.engine.backend.ComputeDtype;
import dev.longctx.engine.backend.Device;
import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * {@code longctx.engine.*}: the engine settings a deployment may change, with vLLM's names where vLLM has one.
 * Unset values keep {@link EngineOptions#defaults()}.
 *
 * @param maxNumBatchedTokens most prompt tokens one step prefills (the engine's prefill chunk)
 * @param kvCacheBlocks       KV cache size in blocks (ignored when kvCacheBytes is set); neither set: on a GPU
 *                            what gpuMemoryUtilization leaves, on the CPU 4096 blocks
 * @param kvCacheBytes        KV cache size in bytes
 * @param blockSize           tokens per KV block
 * @param maxWaiting          requests that may wait for a batch slot before new ones get 503 (0 = the engine's
 *                            own bound only)
 * @param maxNumSeqs          most sequences in the running batch (vLLM's --max-num-seqs; unset = the engine's
 *                            default); at most maxNumBatchedTokens
 * @param threads             CPU worker threads (0 = all cores)
 * @param dca                 use Dual Chunk Attention when the model has it
 * @param sparse              allow sparse prefill
 * @param sparseThreshold     prompts longer than this use sparse prefill
 * @param sparseConfig        sparse_attention_config.json (unset = beside the weights)
 * @param device              cpu, cuda or auto (unset = auto: a CUDA GPU where one works, else the CPU)
 * @param dcaScale            DCA temperature rule: position (unset; prefix caching exact) or request
 * @param gpuMemoryUtilization share of the GPU's memory the engine may use in all, weights and activations included
 *                            (vLLM's name; unset = 0.9); what is left after the weights and activations is the KV
 *                            cache, unless a KV budget is set
 * @param dtype               auto, bfloat16 or float32 (vLLM's --dtype; unset = auto: bf16 on a GPU, fp32 on the CPU)
 * @param enforceEager        no CUDA graphs of decode steps (vLLM's --enforce-eager; unset = false)
 */
@ConfigurationProperties("longctx.engine")
public record EngineProperties(
        Integer maxNumBatchedTokens,
        Integer kvCacheBlocks,
        Long kvCacheBytes,
        Integer blockSize,
        Integer maxWaiting,
        Integer maxNumSeqs,
        Integer threads,
        Boolean dca,
        Boolean sparse,
        Integer sparseThreshold,
        Path sparseConfig,
        String device,
        String dcaScale,
        Double gpuMemoryUtilization,
        String dtype,
        Boolean enforceEager) {

    public EngineOptions toEngineOptions() {
        EngineOptions d = EngineOptions.defaults();
        return new EngineOptions(
                or(maxNumBatchedTokens, d.maxPrefillChunk()),
                or(blockSize, d.kvBlockSize()),
                or(kvCacheBytes, d.kvCacheBytes()),
                or(kvCacheBlocks, d.kvCacheBlocks()),
                or(threads, d.threads()),
                or(dca, d.dca()),
                or(sparse, d.sparse()),
                or(sparseThreshold, d.sparseThreshold()),
                sparseConfig != null ? sparseConfig : d.sparseConfig(),
                device != null ? Device.parse(device) : Device.AUTO,
                dcaScale != null ? DcaScaleRule.parse(dcaScale) : d.dcaScale(),
                or(gpuMemoryUtilization, d.gpuMemoryUtilization()),
                dtype != null ? ComputeDtype.parse(dtype) : d.dtype(),
                or(enforceEager, d.enforceEager()));
    }

    public int maxWaitingOrUnbounded() {
        return maxWaiting == null || maxWaiting <= 0 ? Integer.MAX_VALUE : maxWaiting;
    }

    private static <T> T or(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
