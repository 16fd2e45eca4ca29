package dev.longctx.engine.scheduler;

import dev.longctx.engine.serving.EngineException;

/** A sequence the scheduler dropped (cancelled, or too large for the whole KV cache), with what to tell its client. */
public record AbortedSequence(Sequence sequence, EngineException error) {}
