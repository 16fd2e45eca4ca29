package dev.longctx.engine.generate;

import dev.longctx.engine.model.GenerationConfig;
import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.sampling.SamplingParams;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides when one request's generation ends and what text may be shown so far, with vLLM's rules:
 * <ul>
 *   <li>an EOS id (unless {@code ignoreEos}) or a stop token id ends with "stop"; that token's text is not output;</li>
 *   <li>a stop string ends with "stop"; the output is cut just before it, even when it spans several tokens;</li>
 *   <li>reaching {@code maxTokens} ends with "length".</li>
 * </ul>
 * Text that could be the start of a stop string is held back until it is known not to be one, so nothing after a
 * stop string ever reaches the client. Not thread-safe: one instance per request.
 */
public final class StopChecker {

    /** What one token produced: text safe to emit now (possibly empty), and the finish reason or null. */
    public record Step(String text, String finishReason) {
        public boolean finished() { return finishReason != null; }
    }

    public static final String STOP = "stop";
    public static final String LENGTH = "length";

    private final Set<Integer> eosIds;
    private final Set<Integer> stopTokenIds;
    private final List<String> stopStrings;
    private final int maxTokens;
    private final int longestStop;
    private final StringBuilder pending = new StringBuilder();
    private int generated;
    private String finishReason;

    /** @param eosIds the model's EOS ids; ignored when {@code params.ignoreEos()} */
    public StopChecker(SamplingParams params, Collection<Integer> eosIds) {
        this.eosIds = params.ignoreEos() || eosIds == null ? Set.of() : Set.copyOf(eosIds);
        this.stopTokenIds = params.stopTokenIds();
        this.stopStrings = params.stop().stream().filter(s -> !s.isEmpty()).toList();
        this.maxTokens = params.maxTokens();
        this.longestStop = stopStrings.stream().mapToInt(String::length).max().orElse(0);
    }

    /** EOS ids from generation_config.json and config.json together (either may list several or none). */
    public static Set<Integer> eosIds(ModelConfig config, GenerationConfig generationConfig) {
        Set<Integer> ids = new LinkedHashSet<>();
        if (generationConfig != null) ids.addAll(generationConfig.eosTokenIds());
        if (config != null) ids.addAll(config.eosTokenIds());
        return ids;
    }

    /**
     * Accounts for one generated token.
     *
     * @param textDelta the text this token completed (from an {@code IncrementalDetokenizer}; may be empty)
     */
    public Step onToken(int tokenId, String textDelta) {
        if (finishReason != null) throw new IllegalStateException("generation already finished (" + finishReason + ")");
        generated++;
        if (eosIds.contains(tokenId) || stopTokenIds.contains(tokenId)) {
            return finish(STOP, pending.length());
        }
        pending.append(textDelta);
        int match = earliestStopMatch();
        if (match >= 0) return finish(STOP, match);
        if (generated >= maxTokens) return finish(LENGTH, pending.length());

        int safe = pending.length() - heldBackLength();
        String out = pending.substring(0, safe);
        pending.delete(0, safe);
        return new Step(out, null);
    }

    /**
     * Ends generation for a reason found elsewhere (the generator stopped on its own): releases held-back text.
     * Returns an empty step if already finished.
     */
    public Step finish(String reason) {
        if (finishReason != null) return new Step("", finishReason);
        return finish(reason, pending.length());
    }

    public int generatedTokens() { return generated; }

    /** null while running. */
    public String finishReason() { return finishReason; }

    private Step finish(String reason, int emitUpTo) {
        finishReason = reason;
        String out = pending.substring(0, emitUpTo);
        pending.setLength(0);
        return new Step(out, reason);
    }

    private int earliestStopMatch() {
        int best = -1;
        for (String s : stopStrings) {
            int i = pending.indexOf(s);
            if (i >= 0 && (best < 0 || i < best)) best = i;
        }
        return best;
    }

    /** Length of the longest tail of the pending text that is a proper prefix of some stop string. */
    private int heldBackLength() {
        int max = Math.min(longestStop - 1, pending.length());
        for (int len = max; len > 0; len--) {
            int from = pending.length() - len;
            for (String s : stopStrings) {
                if (s.length() > len && pending.substring(from).equals(s.substring(0, len))) return len;
            }
        }
        return 0;
    }
}
