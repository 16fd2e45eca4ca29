package dev.longctx.gateway.openai;

import dev.longctx.common.wire.SamplingOptions;
import java.util.List;

/**
 * A request that passed validation: its prompts, the sampling settings every choice shares ({@code maxTokens}
 * as the caller asked, possibly null; {@code logprobs} the number of alternatives per token, null for none), and
 * how many choices each prompt gets.
 */
public record ValidatedRequest(
        ApiKind kind,
        List<PromptInput> prompts,
        SamplingOptions sampling,
        int n,
        boolean stream,
        boolean includeUsage) {}
