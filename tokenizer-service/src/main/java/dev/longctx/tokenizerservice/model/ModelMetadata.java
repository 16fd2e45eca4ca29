package dev.longctx.tokenizerservice.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What tokenizer-service needs to know about a model beyond the tokenizer itself.
 *
 * @param maxModelLen the context length reported in every /tokenize answer
 * @param bosToken    the token prepended when a request asks for special tokens and the model wants a BOS
 *                    (Qwen2 does not: null)
 * @param vocabSize   config.json's vocab_size (rows of the embedding), or null when it does not say
 */
public record ModelMetadata(Path modelDir, int maxModelLen, String bosToken, Integer vocabSize) {

    @JsonIgnoreProperties(ignoreUnknown = true)
    private record ConfigJson(
            @JsonProperty("max_position_embeddings") Integer maxPositionEmbeddings,
            @JsonProperty("vocab_size") Integer vocabSize) {}

    /** Reads config.json and tokenizer_config.json; fails with the file's name when one is missing or bad. */
    public static ModelMetadata read(ModelProperties properties) {
        if (properties.path() == null) {
            throw new IllegalStateException("longctx.model.path is not set (the model directory to serve)");
        }
        Path dir = properties.path().toAbsolutePath().normalize();
        if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
            throw new IllegalStateException("no tokenizer.json in model directory " + dir + " (longctx.model.path)");
        }
        JsonMapper json = JsonMapper.builder().build();
        Path configFile = dir.resolve("config.json");
        ConfigJson config = Files.isRegularFile(configFile) || properties.maxModelLen() == null
                ? json.readValue(read(configFile), ConfigJson.class)
                : new ConfigJson(null, null);
        int maxModelLen;
        if (properties.maxModelLen() != null) {
            maxModelLen = properties.maxModelLen();
        } else {
            if (config.maxPositionEmbeddings() == null) {
                throw new IllegalStateException(dir.resolve("config.json") + " has no max_position_embeddings;"
                        + " set longctx.model.max-model-len");
            }
            maxModelLen = config.maxPositionEmbeddings();
        }
        return new ModelMetadata(dir, maxModelLen, bosToken(json, dir.resolve("tokenizer_config.json")), config.vocabSize());
    }

    /** HF only prepends bos_token when add_bos_token is true; bos_token is a string or an AddedToken object. */
    private static String bosToken(JsonMapper json, Path tokenizerConfig) {
        if (!Files.isRegularFile(tokenizerConfig)) {
            return null;
        }
        JsonNode root = json.readTree(read(tokenizerConfig));
        if (!root.path("add_bos_token").asBoolean(false)) {
            return null;
        }
        JsonNode bos = root.path("bos_token");
        if (bos.isString()) {
            return bos.asString();
        }
        return bos.path("content").isString() ? bos.path("content").asString() : null;
    }

    private static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
