package dev.longctx.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the benchmark needs to know about a checkpoint directory without loading it into either engine: its shape
 * (for the report and the prompt ids) and how many weight bytes one decode step must stream from memory.
 *
 * @param weightBytesPerToken every tensor a decode step reads in full: all layer weights, the final norm and the
 *                            output projection (lm_head, or the embedding when tied). The embedding lookup reads one
 *                            row, so an untied embedding does not count.
 */
record CheckpointFacts(int numLayers, int hiddenSize, int vocabSize, boolean tied, Set<Integer> specialTokenIds,
                       long totalWeightBytes, long weightBytesPerToken) {

    static final String EMBEDDING = "model.embed_tokens.weight";
    static final String LM_HEAD = "lm_head.weight";
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    static CheckpointFacts read(Path dir) {
        JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
        boolean tied = config.has("tie_word_embeddings") && config.get("tie_word_embeddings").asBoolean();
        Set<Integer> special = new HashSet<>();
        for (String field : List.of("bos_token_id", "eos_token_id", "pad_token_id")) {
            JsonNode v = config.get(field);
            if (v == null || v.isNull()) continue;
            if (v.isArray()) v.values().forEach(e -> special.add(e.asInt()));
            else special.add(v.asInt());
        }

        Map<String, Long> bytes = new HashMap<>();
        for (Path file : safetensorsFiles(dir)) bytes.putAll(tensorBytes(file));
        long total = bytes.values().stream().mapToLong(Long::longValue).sum();
        long embedding = bytes.getOrDefault(EMBEDDING, 0L);
        long lmHead = bytes.getOrDefault(LM_HEAD, 0L);
        // The output projection is lm_head when present (tied checkpoints may still ship a copy) else the embedding.
        long perToken = total - embedding - lmHead + (lmHead > 0 ? lmHead : embedding);
        return new CheckpointFacts(config.get("num_hidden_layers").asInt(), config.get("hidden_size").asInt(),
                config.get("vocab_size").asInt(), tied, special, total, perToken);
    }

    private static List<Path> safetensorsFiles(Path dir) {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir, "*.safetensors")) {
            stream.forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (files.isEmpty()) throw new IllegalArgumentException("no *.safetensors in " + dir);
        return files;
    }

    /** Data bytes per tensor, from the header alone (8-byte LE length, then JSON). */
    private static Map<String, Long> tensorBytes(Path file) {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining() && ch.read(len) >= 0) { }
            long headerLength = len.flip().getLong();
            if (headerLength <= 0 || headerLength > 100_000_000) throw new IllegalArgumentException(file + ": not a safetensors file");
            ByteBuffer header = ByteBuffer.allocate((int) headerLength);
            while (header.hasRemaining() && ch.read(header) >= 0) { }
            JsonNode root = JSON.readTree(header.array());
            Map<String, Long> result = new HashMap<>();
            for (Map.Entry<String, JsonNode> e : root.properties()) {
                if (e.getKey().equals("__metadata__")) continue;
                JsonNode offsets = e.getValue().get("data_offsets");
                result.put(e.getKey(), offsets.get(1).asLong() - offsets.get(0).asLong());
            }
            return result;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
