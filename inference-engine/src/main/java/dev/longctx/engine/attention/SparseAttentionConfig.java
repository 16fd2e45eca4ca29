package dev.longctx.engine.attention;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Per-layer, per-query-head sparse prefill budgets: {@code sparse_attention_config.json} (ALGORITHMS.md §2), a JSON
 * list with one object per layer mapping the head index (a string) to
 * {@code ["vertical_and_slash", vertical_size, slash_size, score]}.
 *
 * @param layers layer → head → budget; every layer has the same head count
 */
public record SparseAttentionConfig(List<List<HeadBudget>> layers) {

    public static final String FILE_NAME = "sparse_attention_config.json";
    /** The only pattern the engine implements (MInference's other patterns are not used by the 1M models). */
    public static final String VERTICAL_AND_SLASH = "vertical_and_slash";

    private static final ObjectMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    /**
     * @param score the attention recall measured when the budget was chosen (informational; NaN when unknown)
     */
    public record HeadBudget(int verticalSize, int slashSize, double score) {
        public HeadBudget {
            if (verticalSize < 0 || slashSize < 0) {
                throw new IllegalArgumentException("budgets must be ≥ 0, got vertical " + verticalSize + ", slash " + slashSize);
            }
        }

        public HeadBudget withScore(double s) {
            return new HeadBudget(verticalSize, slashSize, s);
        }
    }

    public SparseAttentionConfig {
        List<List<HeadBudget>> copy = new ArrayList<>(layers.size());
        for (List<HeadBudget> l : layers) copy.add(List.copyOf(l));
        layers = List.copyOf(copy);
    }

    /** The same budget for every head; a starting point for calibration. */
    public static SparseAttentionConfig uniform(int numLayers, int numHeads, int verticalSize, int slashSize) {
        List<List<HeadBudget>> ls = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            ls.add(java.util.Collections.nCopies(numHeads, new HeadBudget(verticalSize, slashSize, Double.NaN)));
        }
        return new SparseAttentionConfig(ls);
    }

    public int numLayers() { return layers.size(); }

    public int numHeads() { return layers.isEmpty() ? 0 : layers.get(0).size(); }

    public HeadBudget budget(int layer, int head) { return layers.get(layer).get(head); }

    /** A copy with one head's budget replaced. */
    public SparseAttentionConfig with(int layer, int head, HeadBudget budget) {
        List<List<HeadBudget>> ls = new ArrayList<>(layers);
        List<HeadBudget> l = new ArrayList<>(ls.get(layer));
        l.set(head, budget);
        ls.set(layer, l);
        return new SparseAttentionConfig(ls);
    }

    HeadBudget[] layer(int layer) { return layers.get(layer).toArray(HeadBudget[]::new); }

    /** The model's head count must match every layer's; called when attention is built. */
    void checkHeads(int modelHeads) {
        if (numHeads() != modelHeads) {
            throw new IllegalArgumentException("sparse attention config has " + numHeads()
                    + " heads per layer, the model has " + modelHeads);
        }
    }

    /**
     * Reads and validates a config for a model with the given shape.
     *
     * @throws IllegalArgumentException naming the file and the offending layer/head when the file does not fit
     */
    public static SparseAttentionConfig load(Path file, int numLayers, int numHeads) {
        SparseAttentionConfig c = load(file);
        c.validate(numLayers, numHeads, file.toString());
        return c;
    }

    /** Reads a config, checking its structure (not the model's shape). */
    public static SparseAttentionConfig load(Path file) {
        String src = file.toString();
        JsonNode root;
        try {
            root = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read sparse attention config " + src + ": " + e.getMessage(), e);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(src + ": not valid JSON: " + e.getOriginalMessage(), e);
        }
        return parse(root, src);
    }

    static SparseAttentionConfig parse(JsonNode root, String src) {
        if (root == null || !root.isArray()) {
            throw new IllegalArgumentException(src + ": expected a JSON list with one object per layer");
        }
        List<List<HeadBudget>> layers = new ArrayList<>();
        for (int l = 0; l < root.size(); l++) {
            JsonNode layer = root.get(l);
            if (!layer.isObject()) {
                throw new IllegalArgumentException(src + ": layer " + l + " is not an object of head → budget");
            }
            int heads = layer.size();
            HeadBudget[] budgets = new HeadBudget[heads];
            for (Map.Entry<String, JsonNode> e : layer.properties()) {
                int head;
                try {
                    head = Integer.parseInt(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException(src + ": layer " + l + " has head key \"" + e.getKey()
                            + "\", expected a head index");
                }
                if (head < 0 || head >= heads || budgets[head] != null) {
                    throw new IllegalArgumentException(src + ": layer " + l + " has head key " + head
                            + ", expected each of 0.." + (heads - 1) + " exactly once");
                }
                budgets[head] = parseBudget(e.getValue(), src, l, head);
            }
            layers.add(List.of(budgets));
        }
        return new SparseAttentionConfig(layers);
    }

    private static HeadBudget parseBudget(JsonNode v, String src, int layer, int head) {
        String where = src + ": layer " + layer + ", head " + head;
        if (!v.isArray() || v.size() < 3 || v.size() > 4) {
            throw new IllegalArgumentException(where + ": expected [\"" + VERTICAL_AND_SLASH
                    + "\", vertical_size, slash_size, score], got " + v);
        }
        if (!v.get(0).isString() || !VERTICAL_AND_SLASH.equals(v.get(0).stringValue())) {
            throw new IllegalArgumentException(where + ": pattern " + v.get(0) + " is not supported; only \""
                    + VERTICAL_AND_SLASH + "\" is");
        }
        for (int i = 1; i <= 2; i++) {
            if (!v.get(i).isIntegralNumber() || !v.get(i).canConvertToInt() || v.get(i).asInt() < 0) {
                throw new IllegalArgumentException(where + ": " + (i == 1 ? "vertical_size" : "slash_size")
                        + " must be a non-negative integer, got " + v.get(i));
            }
        }
        double score = Double.NaN;
        if (v.size() == 4) {
            if (!v.get(3).isNumber()) throw new IllegalArgumentException(where + ": score must be a number, got " + v.get(3));
            score = v.get(3).asDouble();
        }
        return new HeadBudget(v.get(1).asInt(), v.get(2).asInt(), score);
    }

    /**
     * Checks the config against a model's shape.
     *
     * @param source the file name to put in the error
     */
    public void validate(int numLayers, int numHeads, String source) {
        if (layers.size() != numLayers) {
            throw new IllegalArgumentException(source + ": has " + layers.size() + " layers, the model has " + numLayers);
        }
        for (int l = 0; l < layers.size(); l++) {
            if (layers.get(l).size() != numHeads) {
                throw new IllegalArgumentException(source + ": layer " + l + " has " + layers.get(l).size()
                        + " heads, the model has " + numHeads + " query heads");
            }
        }
    }

    /** Writes the file; the score is written with full double precision so that it round-trips. */
    public void write(Path file) {
        try {
            Files.writeString(file, toJson());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write sparse attention config " + file + ": " + e.getMessage(), e);
        }
    }

    public String toJson() {
        ArrayNode root = JSON.createArrayNode();
        for (List<HeadBudget> layer : layers) {
            ObjectNode obj = root.addObject();
            for (int h = 0; h < layer.size(); h++) {
                HeadBudget b = layer.get(h);
                ArrayNode a = obj.putArray(Integer.toString(h));
                a.add(VERTICAL_AND_SLASH).add(b.verticalSize()).add(b.slashSize());
                // JSON has no NaN: an unknown score is left out rather than invented.
                if (!Double.isNaN(b.score())) a.add(b.score());
            }
        }
        return JSON.writeValueAsString(root);
    }

    /**
     * The budgets alone as compact JSON, for naming KV blocks (ALGORITHMS.md §5): a list with one object per layer,
     * keys the head indices in ascending order, values {@code ["vertical_and_slash",vertical_size,slash_size]}, no
     * whitespace. Scores are left out: they do not change K/V.
     */
    public String canonicalJson() {
        StringBuilder sb = new StringBuilder("[");
        for (int l = 0; l < layers.size(); l++) {
            if (l > 0) sb.append(',');
            sb.append('{');
            List<HeadBudget> layer = layers.get(l);
            for (int h = 0; h < layer.size(); h++) {
                if (h > 0) sb.append(',');
                sb.append('"').append(h).append("\":[\"").append(VERTICAL_AND_SLASH).append("\",")
                        .append(layer.get(h).verticalSize()).append(',').append(layer.get(h).slashSize()).append(']');
            }
            sb.append('}');
        }
        return sb.append(']').toString();
    }

    /** SHA-256 (hex) of {@link #canonicalJson()}: what the prefix-block salt names these budgets by. */
    public String identity() {
        try {
            byte[] d = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(canonicalJson().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(d);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK always has SHA-256", e);
        }
    }
}
