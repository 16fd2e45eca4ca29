package dev.longctx.engine.serving;

import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.model.Qwen2Model;
import dev.longctx.engine.sampling.DeviceSampling;
import dev.longctx.engine.sampling.StepResult;
import dev.longctx.engine.scheduler.ModelRunner;
import dev.longctx.engine.scheduler.ScheduledBatch;
import dev.longctx.engine.scheduler.ScheduledChunk;
import java.util.List;

/**
 * Runs a scheduled batch through the Qwen2 forward pass on the shared paged KV cache: flattens the batch into one
 * {@link StepMetadata} (token ids, positions, slots, block tables, per-sequence temperature input and sparse flag)
 * and returns the logits, or the device-sampled tokens, of the chunks that need them.
 */
public final class Qwen2ModelRunner implements ModelRunner {
    private final Qwen2Model model;
    private final KvCache cache;

    public Qwen2ModelRunner(Qwen2Model model, KvCache cache) {
        this.model = model;
        this.cache = cache;
    }

    @Override
    public float[][] run(ScheduledBatch batch) {
        return model.forward(step(batch), cache);
    }

    @Override
    public boolean samplesOnDevice() { return model.backend().canSample(); }

    @Override
    public StepResult run(ScheduledBatch batch, List<DeviceSampling> sampling) {
        return model.forward(step(batch), cache, samplesOnDevice() ? sampling : null);
    }

    private StepMetadata step(ScheduledBatch batch) {
        StepMetadata.Builder step = model.newStep(null);
        for (ScheduledChunk c : batch.chunks()) {
            int end = c.endPosition();
            // T of the request rule: the prompt length while prefilling, the current length while decoding.
            long requestLength = c.isDecode() ? end : Math.max(end, c.sequence().promptLength());
            boolean sparse = model.sparsePrefill(c.sequence().sparse(), c.sequence().promptLength());
            step.add(c.tokenIds(), c.startPosition(), c.blockTable(), requestLength, sparse,
                    c.needsLogits() ? StepMetadata.Logits.LAST : StepMetadata.Logits.NONE);
        }
        return step.build();
    }
}
