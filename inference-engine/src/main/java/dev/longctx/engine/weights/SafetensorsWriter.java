package dev.longctx.engine.weights;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes small safetensors files: test fixtures, tiny random models for tools. Tensors are laid out back to back
 * in the order added, after a header padded with spaces to a multiple of 8 bytes (as the reference writer does) so
 * that the data section starts aligned. Everything is built in memory: not meant for multi-GB checkpoints.
 *
 * <p>{@link #addRaw} and {@link #writeRaw} take anything, so tests can craft broken files on purpose.
 */
public final class SafetensorsWriter {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private record Pending(String name, String dtype, long[] shape, byte[] bytes) {}

    private final List<Pending> tensors = new ArrayList<>();
    private final Map<String, String> metadata = new LinkedHashMap<>();

    /** Adds a tensor whose {@code values} (row-major) are encoded as {@code dtype}, rounding to nearest. */
    public SafetensorsWriter add(String name, DType dtype, long[] shape, float[] values) {
        long numel = 1;
        for (long dim : shape) numel *= dim;
        if (numel != values.length) {
            throw new IllegalArgumentException(name + ": shape holds " + numel + " elements but " + values.length + " values were given");
        }
        return addRaw(name, dtype.name(), shape, encode(dtype, values));
    }

    /** Adds a tensor with any dtype string and bytes, unchecked: the way to write broken files for tests. */
    public SafetensorsWriter addRaw(String name, String dtype, long[] shape, byte[] bytes) {
        tensors.add(new Pending(name, dtype, shape.clone(), bytes.clone()));
        return this;
    }

    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(key, value);
        return this;
    }

    /** The JSON header this writer would write, before padding. */
    public String headerJson() {
        ObjectNode header = MAPPER.createObjectNode();
        if (!metadata.isEmpty()) {
            ObjectNode meta = header.putObject("__metadata__");
            metadata.forEach(meta::put);
        }
        long offset = 0;
        for (Pending t : tensors) {
            ObjectNode entry = header.putObject(t.name());
            entry.put("dtype", t.dtype());
            ArrayNode shape = entry.putArray("shape");
            for (long dim : t.shape()) shape.add(dim);
            entry.putArray("data_offsets").add(offset).add(offset + t.bytes().length);
            offset += t.bytes().length;
        }
        return MAPPER.writeValueAsString(header);
    }

    public void write(Path file) {
        byte[] json = headerJson().getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = new byte[padded];
        System.arraycopy(json, 0, header, 0, json.length);
        for (int i = json.length; i < padded; i++) header[i] = ' ';
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(lengthPrefix(header.length));
            out.write(header);
            for (Pending t : tensors) out.write(t.bytes());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes {@code headerLength} as the length prefix, then {@code header} and {@code data} verbatim. */
    public static void writeRaw(Path file, long headerLength, byte[] header, byte[] data) {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(lengthPrefix(headerLength));
            out.write(header);
            out.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes a well-framed file around a hand-written header (its true length as prefix). */
    public static void writeRaw(Path file, String headerJson, byte[] data) {
        byte[] header = headerJson.getBytes(StandardCharsets.UTF_8);
        writeRaw(file, header.length, header, data);
    }

    /** Little-endian encoding of {@code values} as {@code dtype}. */
    public static byte[] encode(DType dtype, float[] values) {
        ByteBuffer buffer = ByteBuffer.allocate(values.length * dtype.bytes).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            switch (dtype) {
                case F32 -> buffer.putFloat(v);
                case F16 -> buffer.putShort(Float.floatToFloat16(v));
                case BF16 -> buffer.putShort(WeightReader.floatToBf16(v));
            }
        }
        return buffer.array();
    }

    private static byte[] lengthPrefix(long length) {
        return ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN).putLong(length).array();
    }
}
