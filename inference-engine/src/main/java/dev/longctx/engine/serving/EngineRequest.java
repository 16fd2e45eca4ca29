package dev.longctx.engine.serving;

import dev.longctx.engine.sampling.SamplingParams;

/**
 * One generation request as the engine sees it: already tokenized.
 *
 * @param sparse null uses the engine default; otherwise turns sparse prefill on/off for this request
 */
public record EngineRequest(String requestId, int[] promptTokenIds, SamplingParams sampling, Boolean sparse) {}
