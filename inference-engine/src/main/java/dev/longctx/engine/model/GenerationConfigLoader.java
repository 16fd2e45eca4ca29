package dev.longctx.engine.model;

import static dev.longctx.engine.weights.CheckpointJson.optBoolean;
import static dev.longctx.engine.weights.CheckpointJson.optDouble;
import static dev.longctx.engine.weights.CheckpointJson.optInt;
import static dev.longctx.engine.weights.CheckpointJson.optIntList;

import java.nio.file.Files;
import java.nio.file.Path;

import dev.longctx.engine.weights.CheckpointJson;
import tools.jackson.databind.JsonNode;

/**
 * Reads {@code generation_config.json}, the checkpoint's sampling defaults. The file is optional (many
 * checkpoints have none), but one that exists and is broken is an error: silently ignoring it would change the
 * model's EOS handling without anyone noticing.
 */
public final class GenerationConfigLoader {

    public static final String FILE_NAME = "generation_config.json";

    private GenerationConfigLoader() {}

    public static GenerationConfig load(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        if (!Files.exists(file)) return GenerationConfig.empty();
        JsonNode root = CheckpointJson.readObject(file, FILE_NAME);
        String source = file.toString();
        return new GenerationConfig(
                optIntList(root, "eos_token_id", source),
                optInt(root, "bos_token_id", source),
                optInt(root, "pad_token_id", source),
                optBoolean(root, "do_sample", source),
                optDouble(root, "temperature", source),
                optDouble(root, "top_p", source),
                optInt(root, "top_k", source),
                optDouble(root, "min_p", source),
                optDouble(root, "repetition_penalty", source),
                optInt(root, "max_new_tokens", source));
    }
}
