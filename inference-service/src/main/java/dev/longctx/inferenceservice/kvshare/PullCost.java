package dev.longctx.inferenceservice.kvshare;

import dev.longctx.common.prefix.PrefixFacts;

/**
 * The cost model of one KV pull: moving the missing blocks' bytes over the link against prefilling their tokens
 * here at the current prefill speed. {@link #toString} is the decision with its reasons, for the log.
 */
record PullCost(int blocks, long tokens, long bytes, double linkBytesPerSecond, PrefillRate.Estimate prefill) {

    static PullCost of(int blocks, PrefixFacts facts, double linkBytesPerSecond, PrefillRate.Estimate prefill) {
        return new PullCost(blocks, (long) blocks * facts.blockSize(), blocks * facts.kvBlockBytes(),
                linkBytesPerSecond, prefill);
    }

    double transferSeconds() {
        return bytes / linkBytesPerSecond;
    }

    double prefillSeconds() {
        return tokens / prefill.tokensPerSecond();
    }

    boolean pullIsCheaper() {
        return transferSeconds() < prefillSeconds();
    }

    @Override
    public String toString() {
        return String.format("%d blocks (%d tokens, %.1f MB): %.1f ms over the link at %.0f MB/s against %.1f ms of "
                        + "prefill at %s: %s", blocks, tokens, bytes / 1e6, transferSeconds() * 1e3,
                linkBytesPerSecond / 1e6, prefillSeconds() * 1e3, prefill, pullIsCheaper() ? "pull" : "recompute");
    }
}
