package dev.longctx.engine.scheduler;

import java.util.random.RandomGenerator;

/** What the engine loop keeps per request to turn logits into tokens and tokens into text. */
record DecodeState(RandomGenerator rng, OutputDecoder.RequestDecoder decoder) {}
