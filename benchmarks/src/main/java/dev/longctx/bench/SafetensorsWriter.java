package dev.longctx.bench;

import dev.longctx.bench.ModelShape.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Collectors;

/**
 * Writes random bf16 tensors as one safetensors file: 8-byte little-endian header length, a JSON header
 * {@code {name: {dtype, shape, data_offsets}}}, then the tensors back to back.
 *
 * <p>The data is generated in fixed-size chunks, each with its own seed and its own place in the file, so a 1 GB
 * checkpoint is written in parallel without ever being held in memory, and the bytes do not depend on how many
 * threads wrote them.
 */
final class SafetensorsWriter {
    static final int BF16_BYTES = 2;
    /** Elements per chunk: 2 MiB of bf16, large enough that writes are sequential-ish, small enough to bound memory. */
    private static final int CHUNK_ELEMENTS = 1 << 20;

    private SafetensorsWriter() {}

    private record Chunk(int tensor, long firstElement, int elements, long fileOffset) {}

    /** Writes {@code specs} to {@code file}; returns the number of tensor-data bytes written. */
    static long write(Path file, List<TensorSpec> specs, long seed) throws IOException {
        long[] dataStart = new long[specs.size()];
        StringBuilder header = new StringBuilder("{\"__metadata__\":{\"format\":\"pt\"}");
        long offset = 0;
        for (int i = 0; i < specs.size(); i++) {
            TensorSpec t = specs.get(i);
            long bytes = t.elements() * BF16_BYTES;
            dataStart[i] = offset;
            header.append(',').append(JsonText.quote(t.name())).append(":{\"dtype\":\"BF16\",\"shape\":[")
                    .append(Arrays.stream(t.shape()).mapToObj(Long::toString).collect(Collectors.joining(",")))
                    .append("],\"data_offsets\":[").append(offset).append(',').append(offset + bytes).append("]}");
            offset += bytes;
        }
        header.append('}');
        // The format pads the header with spaces so that the data starts 8-byte aligned (the mmap readers rely on it).
        while ((8 + header.length()) % 8 != 0) header.append(' ');
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        long dataOffset = 8L + headerBytes.length;
        long totalData = offset;

        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            long n = specs.get(i).elements();
            for (long e = 0; e < n; e += CHUNK_ELEMENTS) {
                chunks.add(new Chunk(i, e, (int) Math.min(CHUNK_ELEMENTS, n - e), dataOffset + dataStart[i] + e * BF16_BYTES));
            }
        }

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer prefix = ByteBuffer.allocate(8 + headerBytes.length).order(ByteOrder.LITTLE_ENDIAN);
            prefix.putLong(headerBytes.length).put(headerBytes).flip();
            writeFully(channel, prefix, 0);
            ThreadLocal<ByteBuffer> buffers = ThreadLocal.withInitial(
                    () -> ByteBuffer.allocateDirect(CHUNK_ELEMENTS * BF16_BYTES).order(ByteOrder.LITTLE_ENDIAN));
            chunks.parallelStream().forEach(c -> {
                ByteBuffer buf = buffers.get().clear();
                fill(buf, specs.get(c.tensor()).init(), c.elements(), chunkSeed(seed, c.tensor(), c.firstElement()));
                buf.flip();
                try {
                    writeFully(channel, buf, c.fileOffset());
                } catch (IOException e) {
                    throw new RuntimeException("writing " + file, e);
                }
            });
        }
        return totalData;
    }

    private static long chunkSeed(long seed, int tensor, long firstElement) {
        // SplittableRandom mixes its seed well, so a simple injective combination is enough.
        return seed * 0x9E3779B97F4A7C15L + tensor * 0xBF58476D1CE4E5B9L + firstElement;
    }

    private static void fill(ByteBuffer buf, ModelShape.Init init, int elements, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        for (int i = 0; i < elements; i++) {
            buf.putShort(toBf16((float) (init.mean() + init.std() * rng.nextGaussian())));
        }
    }

    /** fp32 → bf16 with round-to-nearest-even (what torch does); inputs here are finite. */
    static short toBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        return (short) ((bits + 0x7FFF + ((bits >>> 16) & 1)) >>> 16);
    }

    private static void writeFully(FileChannel channel, ByteBuffer buf, long position) throws IOException {
        while (buf.hasRemaining()) position += channel.write(buf, position);
    }
}
