package dev.longctx.engine.weights;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads the small JSON files of a checkpoint (config.json, generation_config.json, the shard index, safetensors
 * headers) into trees, turning every parse or type problem into a {@link CheckpointException} that names the file
 * and the field. Typed getters return null for an absent or JSON-null field so callers pick their own defaults.
 */
public final class CheckpointJson {

    /** Duplicate keys are rejected: in a hostile header they could make two readers disagree on a tensor. */
    private static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private CheckpointJson() {}

    /** Parses {@code file} as a JSON object; {@code what} says what the file is, for the missing-file message. */
    public static JsonNode readObject(Path file, String what) {
        byte[] bytes;
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            // Reading a FIFO would block until something writes to it.
            throw new CheckpointException(what + " " + file + " is not a regular file");
        }
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new CheckpointException("missing " + what + ": " + file + " does not exist");
        } catch (IOException e) {
            throw new CheckpointException("cannot read " + what + " " + file + ": " + e, e);
        }
        return parseObject(bytes, file.toString());
    }

    /** Parses {@code json} as a JSON object; {@code source} names where it came from in error messages. */
    public static JsonNode parseObject(byte[] json, String source) {
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            var at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new CheckpointException(source + " is not valid JSON: " + e.getOriginalMessage() + where, e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(source + " must hold a JSON object, found "
                    + (root == null || root.isMissingNode() ? "nothing" : root.getNodeType()));
        }
        return root;
    }

    /** The field, or null when it is absent or JSON null. */
    public static JsonNode field(JsonNode obj, String name) {
        JsonNode node = obj.get(name);
        return node == null || node.isNull() ? null : node;
    }

    public static Integer optInt(JsonNode obj, String name, String source) {
        JsonNode node = field(obj, name);
        return node == null ? null : toInt(node, name, source);
    }

    public static int requireInt(JsonNode obj, String name, String source) {
        Integer value = optInt(obj, name, source);
        if (value == null) throw missing(name, source);
        return value;
    }

    public static Double optDouble(JsonNode obj, String name, String source) {
        JsonNode node = field(obj, name);
        if (node == null) return null;
        if (!node.isNumber()) throw wrongType(name, "a number", node, source);
        return node.doubleValue();
    }

    public static Boolean optBoolean(JsonNode obj, String name, String source) {
        JsonNode node = field(obj, name);
        if (node == null) return null;
        if (!node.isBoolean()) throw wrongType(name, "true or false", node, source);
        return node.booleanValue();
    }

    public static String optString(JsonNode obj, String name, String source) {
        JsonNode node = field(obj, name);
        if (node == null) return null;
        if (!node.isString()) throw wrongType(name, "a string", node, source);
        return node.stringValue();
    }

    /** The field as an object, or null when absent. */
    public static JsonNode optObject(JsonNode obj, String name, String source) {
        JsonNode node = field(obj, name);
        if (node == null) return null;
        if (!node.isObject()) throw wrongType(name, "an object", node, source);
        return node;
    }

    /**
     * An integer that must fit in an int. Integral doubles such as {@code 3584.0} are accepted because some
     * exporters write every number as a float.
     */
    public static int toInt(JsonNode node, String name, String source) {
        if (!node.isNumber() || !node.canConvertToExactIntegral() || !node.canConvertToInt()) {
            throw wrongType(name, "an integer", node, source);
        }
        return node.asInt();
    }

    /** Like {@link #toInt} for values that may exceed an int (byte offsets, shapes). */
    public static long toLong(JsonNode node, String name, String source) {
        if (!node.isNumber() || !node.canConvertToExactIntegral() || !node.canConvertToLong()) {
            throw wrongType(name, "an integer", node, source);
        }
        return node.asLong();
    }

    /**
     * A token-id field that may be one integer or a list of them ({@code eos_token_id}); empty list when absent.
     */
    public static List<Integer> optIntList(JsonNode obj, String name, String source) {
        JsonNode node = field(obj, name);
        if (node == null) return List.of();
        if (node.isNumber()) return List.of(toInt(node, name, source));
        if (!node.isArray()) throw wrongType(name, "an integer or a list of integers", node, source);
        List<Integer> values = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) values.add(toInt(node.get(i), name + "[" + i + "]", source));
        return values;
    }

    public static CheckpointException missing(String name, String source) {
        return new CheckpointException(source + ": required field '" + name + "' is missing");
    }

    public static CheckpointException wrongType(String name, String expected, JsonNode found, String source) {
        return new CheckpointException(source + ": field '" + name + "' must be " + expected + ", found "
                + abbreviate(found.toString()));
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }
}
