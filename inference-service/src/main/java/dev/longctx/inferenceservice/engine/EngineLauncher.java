package dev.longctx.inferenceservice.engine;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.serving.InferenceEngine;
import java.nio.file.Path;

/**
 * The seam through which this service gets its engine: loads a model directory into a running engine. Declare
 * exactly one bean of this type; the production one is {@code Engines::open}. Called once, on a background
 * thread, so it may take minutes.
 */
@FunctionalInterface
public interface EngineLauncher {

    InferenceEngine open(Path modelDir, EngineOptions options) throws Exception;
}
