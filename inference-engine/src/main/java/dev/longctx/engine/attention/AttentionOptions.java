package dev.longctx.engine.attention;

/**
 * Settings of one sequence's attention on the CPU kernels ({@link CpuAttention#forward(int, float[], int, int,
 * dev.longctx.engine.kv.SequenceKv, AttentionOptions, float[])}), whose K/V are already in the cache. The batched
 * path builds these from {@link StepMetadata}.
 *
 * @param scaleLength T: the request rule's s_f(T) length, and what the sparse threshold is compared with
 * @param sparse      whether sparse prefill may run (it still needs a config and T over the threshold)
 * @param recorder    receives per-head recall when not null (score --recall, calibrate); costs a dense pass
 * @param rule        which length each query row's DCA temperature uses
 */
public record AttentionOptions(long scaleLength, boolean sparse, RecallRecorder recorder, DcaScaleRule rule) {

    /** Under the request rule (every row at s_f(T)). */
    public AttentionOptions(long scaleLength, boolean sparse, RecallRecorder recorder) {
        this(scaleLength, sparse, recorder, DcaScaleRule.REQUEST);
    }

    /** Dense, every row at s_f(T). */
    public static AttentionOptions dense(long scaleLength) {
        return new AttentionOptions(scaleLength, false, null, DcaScaleRule.REQUEST);
    }
}
