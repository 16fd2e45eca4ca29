package dev.longctx.gateway.upstream;

/**
 * What the gateway checks every request against before any engine work.
 *
 * @param maxModelLen the context length (configured, or the served model's)
 * @param vocabSize   rows of the model's embedding; logit_bias keys must be below it (0 = unknown, not checked)
 * @param maxTokenId  the largest id a prompt may hold (-1 = unknown, not checked)
 */
public record ModelFacts(int maxModelLen, int vocabSize, int maxTokenId) {}
