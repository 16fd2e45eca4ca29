package dev.longctx.engine.scheduler;

import dev.longctx.engine.sampling.DeviceSampling;
import dev.longctx.engine.sampling.StepResult;
import java.util.List;

/**
 * The device side of a step (nano-vllm's model_runner): flattens a {@link ScheduledBatch} into token ids,
 * positions and slot mappings, runs the forward pass, which writes every chunk's K/V into the cache through its
 * block table, and returns logits, or tokens sampled on the device. Which requests may be sampled on the device is
 * the engine loop's decision ({@link DeviceSampling#of}); a runner only carries it out.
 */
public interface ModelRunner {

    /**
     * @return one logits row (vocabulary-sized) per chunk whose {@code needsLogits} is set, in batch order
     */
    float[][] run(ScheduledBatch batch);

    /** Whether {@link #run(ScheduledBatch, List)} samples on the device (the backend can). */
    default boolean samplesOnDevice() { return false; }

    /**
     * Like {@link #run(ScheduledBatch)}, but a chunk whose entry in {@code sampling} is not null comes back as the
     * token the device sampled, not as logits; the others as logits, for the host sampler.
     *
     * @param sampling one entry per chunk that needs logits, in batch order
     */
    default StepResult run(ScheduledBatch batch, List<DeviceSampling> sampling) {
        return StepResult.ofLogits(run(batch));
    }
}
