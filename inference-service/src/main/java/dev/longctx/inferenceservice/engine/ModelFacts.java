package dev.longctx.inferenceservice.engine;

import dev.longctx.engine.model.ModelConfig;
import dev.longctx.engine.model.ModelConfigLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * What config.json says about the served model, read once at startup (milliseconds, unlike loading the weights):
 * the context length the request body limit is sized from, and the vocabulary size /internal/info reports. Null
 * when config.json cannot be read; the engine's own load then reports why.
 */
@Component
public class ModelFacts {
    private static final Logger log = LoggerFactory.getLogger(ModelFacts.class);

    private final Integer maxPositionEmbeddings;
    private final Integer vocabSize;

    ModelFacts(ModelProperties model) {
        ModelConfig config = null;
        if (model.path() != null) {
            try {
                config = ModelConfigLoader.load(model.path());
            } catch (RuntimeException e) {
                log.warn("cannot read {}/config.json ({}); request limits fall back to their defaults", model.path(),
                        e.getMessage());
            }
        }
        this.maxPositionEmbeddings = config == null ? null : config.maxPositionEmbeddings();
        this.vocabSize = config == null ? null : config.vocabSize();
    }

    public Integer maxPositionEmbeddings() {
        return maxPositionEmbeddings;
    }

    public Integer vocabSize() {
        return vocabSize;
    }
}
