package dev.longctx.engine.serving;

/**
 * An engine's work in tokens: what waits (tokens not yet computed, cached prefixes aside once admitted) and the
 * context the running batch holds. A router weighs these against cached-prefix overlap.
 */
public record EngineLoad(int waiting, int running, long waitingTokens, long runningTokens) {}
