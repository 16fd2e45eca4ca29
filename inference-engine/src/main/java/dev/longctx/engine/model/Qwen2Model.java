package dev.longctx.engine.model;

import dev.longctx.engine.EngineOptions;
import java.nio.file.Path;

/**
 * PLACEHOLDER so the CLI compiles before the lead's model lands; the real class replaces this file at merge.
 * Only the signatures the CLI uses are here.
 */
public final class Qwen2Model implements AutoCloseable {

    private Qwen2Model() {}

    public static Qwen2Model load(Path modelDir, EngineOptions options) {
        throw new UnsupportedOperationException("Qwen2Model is a placeholder in this branch; the model code is not merged yet");
    }

    public ModelConfig config() {
        throw new UnsupportedOperationException("placeholder");
    }

    public GenerationConfig generationConfig() {
        throw new UnsupportedOperationException("placeholder");
    }

    @Override
    public void close() {}
}
