package dev.longctx.engine.backend.cuda;

/**
 * Per-row sampling parameters on the device, one entry per logits row: temperature fp32 (below 1e-5: greedy),
 * topK int32 (≤ 0: off), topP fp32 (1: off), minP fp32 (0: off), seed int64 (the row's draw is a hash of it, so a
 * request passes a new value every step, e.g. from its own seeded generator).
 */
public record SamplingInputs(CudaMemory temperature, CudaMemory topK, CudaMemory topP, CudaMemory minP,
                             CudaMemory seeds) {}
