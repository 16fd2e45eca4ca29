package dev.longctx.engine.attention;

/**
 * Per-call attention settings.
 *
 * @param scaleLength T in s_f(T): the prompt length during prefill, the current length during decode
 * @param sparse      whether sparse prefill may run (it still needs a config and a prompt over the threshold)
 * @param recorder    receives per-head recall when not null (score --recall, calibrate); costs a dense pass
 */
public record AttentionOptions(long scaleLength, boolean sparse, RecallRecorder recorder) {

    public static AttentionOptions dense(long scaleLength) {
        return new AttentionOptions(scaleLength, false, null);
    }
}
