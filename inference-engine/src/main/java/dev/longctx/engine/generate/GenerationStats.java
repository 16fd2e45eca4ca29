package dev.longctx.engine.generate;

/** PLACEHOLDER (lead's API): what one generate call did. */
public record GenerationStats(int promptTokens, int generatedTokens, double prefillSeconds, double decodeSeconds,
                             String finishReason) {}
