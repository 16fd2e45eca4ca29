package dev.longctx.engine.scheduler;

/**
 * The device side of a step (nano-vllm's model_runner): flattens a {@link ScheduledBatch} into token ids,
 * positions and slot mappings, runs the forward pass, which writes every chunk's K/V into the cache through its
 * block table, and returns logits. Sampling stays with the engine loop, so a runner knows nothing of
 * {@code SamplingParams}.
 */
public interface ModelRunner {

    /**
     * @return one logits row (vocabulary-sized) per chunk whose {@code needsLogits} is set, in batch order
     */
    float[][] run(ScheduledBatch batch);
}
