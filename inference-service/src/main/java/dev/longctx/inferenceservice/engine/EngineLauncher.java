package dev.longctx.inferenceservice.engine;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.serving.InferenceEngine;
import java.nio.file.Path;

/**
 * The seam through which this service gets its engine: loads a model directory into a running engine. Called
 * once, on a background thread, so it may take minutes (a launcher rather than an engine bean, so that loading
 * does not hold up startup and readiness can report it). Declare exactly one bean of this type; the production
 * one is
 *
 * <pre>{@code
 * @Bean
 * EngineLauncher engineLauncher() {
 *     return Engines::open;
 * }
 * }</pre>
 *
 * Without one the service starts, reports the missing bean in its log and health, never turns ready and
 * marks itself not live. Tests declare a {@code @Primary} launcher, which wins over this one.
 */
@FunctionalInterface
public interface EngineLauncher {

    InferenceEngine open(Path modelDir, EngineOptions options) throws Exception;
}
