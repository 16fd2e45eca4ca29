package dev.longctx.gateway.openai;

import dev.longctx.common.wire.GenerateRequest;
import java.util.List;

/**
 * A request ready to run: tokenized, checked against the context, one {@link GenerateRequest} per choice in
 * choice-index order.
 *
 * @param promptTokenCounts prompt length of each prompt, for usage (n choices share one prompt)
 * @param startNanos when the gateway received the request, the origin of TTFT and e2e latency
 */
public record PreparedRequest(
        String id,
        long created,
        String model,
        ValidatedRequest request,
        List<Integer> promptTokenCounts,
        List<GenerateRequest> sequences,
        long startNanos) {

    public int promptTokens() {
        return promptTokenCounts.stream().mapToInt(Integer::intValue).sum();
    }

    public int choices() {
        return sequences.size();
    }

    /** Which prompt a choice index answers. */
    public int promptOf(int choiceIndex) {
        return choiceIndex / request.n();
    }
}
