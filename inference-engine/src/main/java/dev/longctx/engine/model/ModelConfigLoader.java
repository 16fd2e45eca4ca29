package dev.longctx.engine.model;

import static dev.longctx.engine.weights.CheckpointJson.optBoolean;
import static dev.longctx.engine.weights.CheckpointJson.optDouble;
import static dev.longctx.engine.weights.CheckpointJson.optInt;
import static dev.longctx.engine.weights.CheckpointJson.optIntList;
import static dev.longctx.engine.weights.CheckpointJson.optObject;
import static dev.longctx.engine.weights.CheckpointJson.optString;
import static dev.longctx.engine.weights.CheckpointJson.requireInt;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import dev.longctx.engine.weights.CheckpointException;
import dev.longctx.engine.weights.CheckpointJson;
import tools.jackson.databind.JsonNode;

/**
 * Reads a Qwen2 {@code config.json} into a {@link ModelConfig}. Accepts both transformers layouts:
 * 4.x (top-level {@code rope_theta}, optional {@code rope_scaling}, {@code torch_dtype}) and
 * 5.x ({@code rope_parameters: {rope_type, rope_theta}}, {@code dtype}). Optional fields take the defaults of
 * transformers' {@code Qwen2Config}; the fields that fix tensor shapes are required, because guessing them would
 * only move the failure to weight loading with a less helpful message.
 */
public final class ModelConfigLoader {

    public static final String FILE_NAME = "config.json";

    static final double DEFAULT_ROPE_THETA = 10_000.0;
    static final double DEFAULT_RMS_NORM_EPS = 1e-6;
    static final int DEFAULT_MAX_POSITION_EMBEDDINGS = 32_768;

    private ModelConfigLoader() {}

    public static ModelConfig load(Path modelDir) {
        Path file = modelDir.resolve(FILE_NAME);
        return parse(CheckpointJson.readObject(file, FILE_NAME), file.toString());
    }

    /** Parses config.json text; {@code source} names it in error messages. */
    public static ModelConfig parse(String json, String source) {
        return parse(CheckpointJson.parseObject(json.getBytes(StandardCharsets.UTF_8), source), source);
    }

    private static ModelConfig parse(JsonNode root, String source) {
        int vocabSize = positive("vocab_size", requireInt(root, "vocab_size", source), source);
        int hiddenSize = positive("hidden_size", requireInt(root, "hidden_size", source), source);
        int intermediateSize = positive("intermediate_size", requireInt(root, "intermediate_size", source), source);
        int numLayers = positive("num_hidden_layers", requireInt(root, "num_hidden_layers", source), source);
        int numHeads = positive("num_attention_heads", requireInt(root, "num_attention_heads", source), source);
        Integer kvHeads = optInt(root, "num_key_value_heads", source);
        int numKvHeads = positive("num_key_value_heads", kvHeads == null ? numHeads : kvHeads, source);
        if (numHeads % numKvHeads != 0) {
            throw new CheckpointException(source + ": num_attention_heads (" + numHeads
                    + ") must be a multiple of num_key_value_heads (" + numKvHeads + ")");
        }
        int headDim = headDim(root, hiddenSize, numHeads, source);

        double rmsNormEps = valueOr(optDouble(root, "rms_norm_eps", source), DEFAULT_RMS_NORM_EPS);
        if (!(rmsNormEps > 0)) throw new CheckpointException(source + ": field 'rms_norm_eps' must be > 0, found " + rmsNormEps);
        int maxPositions = positive("max_position_embeddings",
                valueOr(optInt(root, "max_position_embeddings", source), DEFAULT_MAX_POSITION_EMBEDDINGS), source);
        boolean tied = valueOr(optBoolean(root, "tie_word_embeddings", source), false);
        // transformers 5 renamed torch_dtype to dtype; prefer the newer name when a file carries both.
        String dtype = optString(root, "dtype", source);
        if (dtype == null) dtype = optString(root, "torch_dtype", source);

        return new ModelConfig(architecture(root, source), vocabSize, hiddenSize, intermediateSize, numLayers, numHeads,
                numKvHeads, headDim, rmsNormEps, ropeTheta(root, source), maxPositions, tied, dtype,
                optInt(root, "bos_token_id", source), optIntList(root, "eos_token_id", source), dca(root, source));
    }

    private static int headDim(JsonNode root, int hiddenSize, int numHeads, String source) {
        Integer explicit = optInt(root, "head_dim", source);
        if (explicit != null) return positive("head_dim", explicit, source);
        if (hiddenSize % numHeads != 0) {
            throw new CheckpointException(source + ": hidden_size (" + hiddenSize + ") is not divisible by num_attention_heads ("
                    + numHeads + ") and no 'head_dim' is given");
        }
        return hiddenSize / numHeads;
    }

    /**
     * θ from 5.x {@code rope_parameters} or 4.x top-level {@code rope_theta}. Only plain RoPE is implemented
     * (long context comes from DCA), so a scaled variant (yarn, linear, dynamic...) is refused rather than
     * silently run with the wrong positions.
     */
    private static double ropeTheta(JsonNode root, String source) {
        JsonNode parameters = optObject(root, "rope_parameters", source);
        JsonNode scaling = optObject(root, "rope_scaling", source);
        checkPlainRope(parameters, "rope_parameters", source);
        checkPlainRope(scaling, "rope_scaling", source);
        Double theta = parameters == null ? null : optDouble(parameters, "rope_theta", source + " rope_parameters");
        if (theta == null) theta = optDouble(root, "rope_theta", source);
        if (theta == null) return DEFAULT_ROPE_THETA;
        if (!(theta > 0)) throw new CheckpointException(source + ": field 'rope_theta' must be > 0, found " + theta);
        return theta;
    }

    private static void checkPlainRope(JsonNode rope, String field, String source) {
        if (rope == null) return;
        // 4.x wrote "type", later versions "rope_type".
        String type = optString(rope, "rope_type", source + " " + field);
        if (type == null) type = optString(rope, "type", source + " " + field);
        if (type != null && !type.equals("default")) {
            throw new CheckpointException(source + ": field '" + field + "' asks for RoPE type '" + type
                    + "', which the engine does not implement (only 'default'; long context uses dual_chunk_attention_config)");
        }
    }

    private static String architecture(JsonNode root, String source) {
        JsonNode architectures = CheckpointJson.field(root, "architectures");
        if (architectures == null || (architectures.isArray() && architectures.isEmpty())) return null;
        if (!architectures.isArray() || !architectures.get(0).isString()) {
            throw CheckpointJson.wrongType("architectures", "a list of class names", architectures, source);
        }
        return architectures.get(0).stringValue();
    }

    private static DcaConfig dca(JsonNode root, String source) {
        String field = "dual_chunk_attention_config";
        JsonNode node = optObject(root, field, source);
        if (node == null) return null;
        String where = source + " " + field;
        int chunkSize = requireInt(node, "chunk_size", where);
        int localSize = requireInt(node, "local_size", where);
        // Absent P means no attention temperature (DcaConfig.scale returns 1).
        int originalMax = valueOr(optInt(node, "original_max_position_embeddings", where), 0);
        try {
            return new DcaConfig(chunkSize, localSize, originalMax);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException(source + ": " + e.getMessage(), e);
        }
    }

    private static int positive(String field, int value, String source) {
        if (value <= 0) throw new CheckpointException(source + ": field '" + field + "' must be > 0, found " + value);
        return value;
    }

    private static <T> T valueOr(T value, T fallback) {
        return value != null ? value : fallback;
    }
}
