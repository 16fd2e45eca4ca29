package dev.longctx.engine.weights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import tools.jackson.databind.JsonNode;

/**
 * One safetensors file, memory-mapped read-only into a caller-owned {@link Arena}; tensor data is never copied
 * onto the heap. Layout: an 8-byte little-endian header length N, N bytes of JSON header
 * {@code {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {...}}}, then the data section, to
 * which the offsets are relative.
 *
 * <p>The whole header is checked when the file is opened (sizes, ranges, overlaps), because a bad offset found
 * later would surface as a crash deep inside a matmul. Tensors whose dtype safetensors knows but the engine does
 * not compute in (I64, F64, ...) are still range-checked, and only fail when asked for, so a stray buffer in an
 * otherwise good checkpoint does not block loading.
 */
public final class SafetensorsFile {

    /** The safetensors format's own cap; a larger length is a corrupt or hostile file, not a big model. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ValueLayout.OfLong HEADER_LENGTH = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final String METADATA_KEY = "__metadata__";

    /** Element sizes of every dtype the safetensors format defines, so that any of them can be range-checked. */
    private static final Map<String, Integer> FORMAT_DTYPE_BYTES = Map.ofEntries(
            Map.entry("BOOL", 1), Map.entry("U8", 1), Map.entry("I8", 1),
            Map.entry("F8_E4M3", 1), Map.entry("F8_E5M2", 1),
            Map.entry("U16", 2), Map.entry("I16", 2), Map.entry("F16", 2), Map.entry("BF16", 2),
            Map.entry("U32", 4), Map.entry("I32", 4), Map.entry("F32", 4),
            Map.entry("U64", 8), Map.entry("I64", 8), Map.entry("F64", 8));

    /**
     * One header entry, validated.
     *
     * @param dtype the safetensors dtype string, e.g. "BF16"
     * @param begin offset of the first byte, relative to the data section
     * @param end   offset one past the last byte, relative to the data section
     */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long byteSize() { return end - begin; }

        /** The engine's dtype, or null when the engine cannot compute in this one. */
        public DType engineDType() { return DType.fromSafetensors(dtype); }

        @Override
        public long[] shape() { return shape.clone(); }
    }

    private final Path path;
    private final MemorySegment mapped;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, MemorySegment mapped, long dataStart, Map<String, Entry> entries,
                            Map<String, String> metadata) {
        this.path = path;
        this.mapped = mapped;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /**
     * Maps {@code file} into {@code arena} and validates its header. The mapping lives as long as the arena, even
     * when validation fails (the caller closes the arena then); closing it invalidates every {@link Tensor} handed out.
     */
    public static SafetensorsFile open(Path file, Arena arena) {
        MemorySegment mapped;
        // Opening a FIFO for reading blocks until a writer appears, and a device or directory maps nonsense.
        if (Files.exists(file) && !Files.isRegularFile(file)) {
            throw new CheckpointException(file + ": not a regular file (a safetensors file must be one; found "
                    + (Files.isDirectory(file) ? "a directory" : "a FIFO, socket or device") + ")");
        }
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < Long.BYTES) {
                throw new CheckpointException(file + ": truncated safetensors file: " + size
                        + " bytes, shorter than the 8-byte header length");
            }
            mapped = channel.map(MapMode.READ_ONLY, 0, size, arena);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file + ": safetensors file does not exist");
        } catch (IOException e) {
            throw new CheckpointException(file + ": cannot map safetensors file: " + e, e);
        }
        return parse(file, mapped);
    }

    private static SafetensorsFile parse(Path file, MemorySegment mapped) {
        long fileSize = mapped.byteSize();
        long headerLength = mapped.get(HEADER_LENGTH, 0);
        // The length is an unsigned u64; a negative long is a value above 2^63, far past the cap.
        if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
            throw new CheckpointException(file + ": header length " + Long.toUnsignedString(headerLength)
                    + " bytes exceeds the safetensors limit of " + MAX_HEADER_BYTES + " bytes (corrupt or not a safetensors file)");
        }
        if (headerLength > fileSize - Long.BYTES) {
            throw new CheckpointException(file + ": header length " + headerLength + " bytes runs past the end of the file ("
                    + fileSize + " bytes): truncated or not a safetensors file");
        }
        long dataStart = Long.BYTES + headerLength;
        byte[] headerJson = mapped.asSlice(Long.BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
        JsonNode header = CheckpointJson.parseObject(headerJson, file + " (safetensors header)");

        Map<String, String> metadata = Map.of();
        Map<String, Entry> entries = new TreeMap<>();
        for (Map.Entry<String, JsonNode> property : header.properties()) {
            if (property.getKey().equals(METADATA_KEY)) {
                metadata = readMetadata(file, property.getValue());
            } else {
                Entry entry = readEntry(file, property.getKey(), property.getValue(), fileSize - dataStart);
                entries.put(entry.name(), entry);
            }
        }
        checkNoOverlap(file, entries.values());
        return new SafetensorsFile(file, mapped, dataStart, Collections.unmodifiableMap(entries), metadata);
    }

    private static Map<String, String> readMetadata(Path file, JsonNode node) {
        if (node.isNull()) return Map.of();
        if (!node.isObject()) {
            throw new CheckpointException(file + ": header field '" + METADATA_KEY + "' must be an object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        // The format says string values; other writers put numbers there, which are harmless, so keep their text.
        node.properties().forEach(e -> metadata.put(e.getKey(), e.getValue().isString() ? e.getValue().stringValue() : e.getValue().toString()));
        return Collections.unmodifiableMap(metadata);
    }

    private static Entry readEntry(Path file, String name, JsonNode node, long dataBytes) {
        String where = file + ": tensor '" + name + "'";
        if (!node.isObject()) throw new CheckpointException(where + ": header entry must be an object, found " + node.getNodeType());

        String dtype = CheckpointJson.optString(node, "dtype", where);
        if (dtype == null) throw CheckpointJson.missing("dtype", where);
        Integer elementBytes = FORMAT_DTYPE_BYTES.get(dtype);
        if (elementBytes == null) {
            throw new CheckpointException(where + ": unknown dtype '" + dtype + "' (safetensors defines "
                    + new TreeSet<>(FORMAT_DTYPE_BYTES.keySet()) + ")");
        }

        long[] shape = readLongs(node, "shape", where, -1);
        for (long dim : shape) {
            if (dim < 0) throw new CheckpointException(where + ": negative dimension " + dim + " in shape " + Arrays.toString(shape));
        }
        long[] offsets = readLongs(node, "data_offsets", where, 2);
        long begin = offsets[0], end = offsets[1];
        if (begin < 0 || end < begin) {
            throw new CheckpointException(where + ": data_offsets " + Arrays.toString(offsets)
                    + " are not a range [begin, end] with 0 <= begin <= end");
        }

        long expectedBytes;
        try {
            expectedBytes = elementBytes;
            for (long dim : shape) expectedBytes = Math.multiplyExact(expectedBytes, dim);
        } catch (ArithmeticException e) {
            throw new CheckpointException(where + ": shape " + Arrays.toString(shape) + " is too large to address");
        }
        if (end - begin != expectedBytes) {
            throw new CheckpointException(where + ": data_offsets " + Arrays.toString(offsets) + " span " + (end - begin)
                    + " bytes but dtype " + dtype + " x shape " + Arrays.toString(shape) + " needs " + expectedBytes + " bytes");
        }
        if (end > dataBytes) {
            throw new CheckpointException(where + ": data_offsets " + Arrays.toString(offsets) + " end past the data section, which holds only "
                    + dataBytes + " bytes (file truncated or offsets out of range)");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-fractional numbers; {@code expectedLength} < 0 means any length. */
    private static long[] readLongs(JsonNode entry, String field, String where, int expectedLength) {
        JsonNode array = CheckpointJson.field(entry, field);
        if (array == null) throw CheckpointJson.missing(field, where);
        if (!array.isArray() || (expectedLength >= 0 && array.size() != expectedLength)) {
            String shape = expectedLength >= 0 ? "an array of " + expectedLength + " integers" : "an array of integers";
            throw CheckpointJson.wrongType(field, shape, array, where);
        }
        long[] values = new long[array.size()];
        for (int i = 0; i < values.length; i++) values[i] = CheckpointJson.toLong(array.get(i), field, where);
        return values;
    }

    /** Two tensors sharing bytes would alias each other's weights; real writers never do it. */
    private static void checkNoOverlap(Path file, Collection<Entry> entries) {
        List<Entry> byOffset = new ArrayList<>();
        for (Entry e : entries) if (e.byteSize() > 0) byOffset.add(e);
        byOffset.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byOffset.size(); i++) {
            Entry previous = byOffset.get(i - 1), current = byOffset.get(i);
            if (current.begin() < previous.end()) {
                throw new CheckpointException(file + ": tensor '" + current.name() + "' data_offsets [" + current.begin() + ", "
                        + current.end() + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", " + previous.end() + "]");
            }
        }
    }

    public Path path() { return path; }

    /** Tensor names in this file, sorted. */
    public Set<String> names() { return entries.keySet(); }

    public boolean has(String name) { return entries.containsKey(name); }

    /** The header's {@code __metadata__} (empty when absent). */
    public Map<String, String> metadata() { return metadata; }

    /** The validated header entry of {@code name}. */
    public Entry entry(String name) {
        Entry entry = entries.get(name);
        if (entry == null) throw new CheckpointException(path + ": no tensor '" + name + "' in this file");
        return entry;
    }

    /** A view of the tensor's bytes inside the mapping: exactly numel × element size bytes, little-endian. */
    public Tensor tensor(String name) {
        Entry entry = entry(name);
        DType dtype = entry.engineDType();
        if (dtype == null) {
            throw new CheckpointException(path + ": tensor '" + name + "' has dtype " + entry.dtype()
                    + ", which the engine does not support (supported: " + Arrays.toString(DType.values()) + ")");
        }
        MemorySegment data = mapped.asSlice(dataStart + entry.begin(), entry.byteSize());
        return new Tensor(name, dtype, entry.shape(), data);
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + entries.size() + " tensors]";
    }
}
