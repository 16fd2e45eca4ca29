package dev.longctx.inferenceservice.engine;

import java.nio.file.Path;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Which model this service hosts.
 *
 * @param path the model directory (config.json, weights, tokenizer files, generation_config.json)
 * @param name the name reported in /internal/info and the metrics' model_name label; defaults to the
 *             directory's name
 */
@ConfigurationProperties("longctx.model")
public record ModelProperties(Path path, String name) {

    public String servedName() {
        if (name != null && !name.isBlank()) {
            return name;
        }
        return path == null ? "unknown" : path.toAbsolutePath().normalize().getFileName().toString();
    }
}
