package dev.longctx.tokenizerservice.model;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Which model this service tokenizes for.
 *
 * @param path        the model directory (tokenizer.json, tokenizer_config.json, config.json)
 * @param maxModelLen overrides config.json's max_position_embeddings in the max_model_len we report
 */
@ConfigurationProperties("longctx.model")
public record ModelProperties(Path path, Integer maxModelLen) {}
