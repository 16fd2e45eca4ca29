package dev.longctx.engine.generate;

/** What one generation did and how fast; decode time excludes the prefill. */
public record GenerationStats(int promptTokens, int generatedTokens, double prefillSeconds, double decodeSeconds,
                              String finishReason) {

    public double prefillTokensPerSecond() {
        return prefillSeconds > 0 ? promptTokens / prefillSeconds : 0;
    }

    public double decodeTokensPerSecond() {
        return decodeSeconds > 0 && generatedTokens > 1 ? (generatedTokens - 1) / decodeSeconds : 0;
    }
}
