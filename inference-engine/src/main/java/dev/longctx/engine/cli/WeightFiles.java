package dev.longctx.engine.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a model directory's safetensors files hold, read from their headers only (no weights touched): tensor
 * count, parameters and bytes per dtype.
 */
record WeightFiles(int files, int tensors, Map<String, Long> parametersByDtype, Map<String, Long> bytesByDtype) {

    /** Larger than any real header; guards against reading a non-safetensors file's first 8 bytes as a length. */
    private static final long MAX_HEADER = 100L << 20;

    long totalBytes() {
        return bytesByDtype.values().stream().mapToLong(Long::longValue).sum();
    }

    long totalParameters() {
        return parametersByDtype.values().stream().mapToLong(Long::longValue).sum();
    }

    static WeightFiles scan(Path modelDir) throws IOException {
        Map<String, Long> params = new TreeMap<>();
        Map<String, Long> bytes = new TreeMap<>();
        int files = 0;
        int tensors = 0;
        try (DirectoryStream<Path> dir = Files.newDirectoryStream(modelDir, "*.safetensors")) {
            for (Path f : dir) {
                files++;
                JsonNode header = header(f);
                for (Map.Entry<String, JsonNode> e : header.properties()) {
                    if (e.getKey().equals("__metadata__")) continue;
                    JsonNode t = e.getValue();
                    String dtype = t.path("dtype").asString();
                    long n = 1;
                    for (JsonNode d : t.path("shape")) n *= d.asLong();
                    JsonNode offsets = t.path("data_offsets");
                    long size = offsets.get(1).asLong() - offsets.get(0).asLong();
                    params.merge(dtype, n, Long::sum);
                    bytes.merge(dtype, size, Long::sum);
                    tensors++;
                }
            }
        }
        if (files == 0) throw new CliException("no *.safetensors files in " + modelDir);
        return new WeightFiles(files, tensors, params, bytes);
    }

    private static JsonNode header(Path f) throws IOException {
        try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            while (len.hasRemaining() && ch.read(len) >= 0) { }
            if (len.hasRemaining()) throw new CliException(f + " is not a safetensors file (shorter than 8 bytes)");
            long n = len.flip().getLong();
            if (n <= 0 || n > MAX_HEADER || n > ch.size() - 8) throw new CliException(f + " is not a safetensors file (bad header length " + n + ")");
            ByteBuffer json = ByteBuffer.allocate((int) n);
            while (json.hasRemaining() && ch.read(json) >= 0) { }
            try {
                return JsonMapper.builder().build().readTree(new String(json.array(), StandardCharsets.UTF_8));
            } catch (JacksonException e) {
                throw new CliException(f + " has a broken safetensors header: " + e.getOriginalMessage());
            }
        }
    }
}
