package dev.longctx.inferenceservice.kvshare;

import dev.longctx.common.prefix.BlockHash;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The byte format of a KV pull (POST /internal/kv/blocks): a header {@code "LCKV" | version 1 | blockBytes (int)},
 * then per block {@code name (32 bytes) | payload (blockBytes) | CRC32C of name and payload (int)}, big-endian.
 * The receiver checks every block's name against the chain it expects and its checksum before using it, so a
 * truncated, reordered or corrupted stream can only cost a recompute.
 */
public final class KvBlockStream {
    static final int MAGIC = 0x4C434B56;   // "LCKV"
    static final int VERSION = 1;
    static final int HEADER_BYTES = 12;
    static final int NAME_BYTES = 32;

    private KvBlockStream() {}

    static ByteBuffer header(int blockBytes) {
        return ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(VERSION).putInt(blockBytes).flip();
    }

    static int recordBytes(int blockBytes) { return NAME_BYTES + blockBytes + 4; }

    /** Seals a record whose name and payload are already in {@code record} (position at the checksum slot). */
    static void seal(ByteBuffer record) {
        CRC32C crc = new CRC32C();
        crc.update(record.array(), 0, record.position());
        record.putInt((int) crc.getValue());
        record.flip();
    }

    /** A block read off the stream, checked. */
    record Block(BlockHash name, ByteBuffer payload) {}

    /** Parses the stream as its chunks arrive; throws on anything malformed. */
    static final class Reader {
        private final int expectedBlockBytes;
        private final ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        private ByteBuffer record;

        Reader(int expectedBlockBytes) {
            this.expectedBlockBytes = expectedBlockBytes;
        }

        /** Consumes a chunk and returns the blocks it completed. */
        List<Block> feed(ByteBuffer chunk) {
            List<Block> blocks = new ArrayList<>();
            while (chunk.hasRemaining()) {
                if (record == null) {
                    copy(chunk, header);
                    if (header.hasRemaining()) break;
                    header.flip();
                    int magic = header.getInt(), version = header.getInt(), blockBytes = header.getInt();
                    if (magic != MAGIC || version != VERSION) throw new IllegalStateException("not a KV block stream");
                    if (blockBytes != expectedBlockBytes) {
                        throw new IllegalStateException("the holder's blocks are " + blockBytes + " bytes, ours "
                                + expectedBlockBytes + ": different model geometry or dtype");
                    }
                    record = ByteBuffer.allocate(recordBytes(blockBytes));
                    continue;
                }
                copy(chunk, record);
                if (!record.hasRemaining()) {
                    blocks.add(check(record));
                    record = ByteBuffer.allocate(record.capacity());
                }
            }
            return blocks;
        }

        /** True when the stream ended on a block boundary. */
        boolean complete() { return record != null && record.position() == 0; }

        private static void copy(ByteBuffer from, ByteBuffer to) {
            int n = Math.min(from.remaining(), to.remaining());
            to.put(to.position(), from, from.position(), n);
            to.position(to.position() + n);
            from.position(from.position() + n);
        }

        private static Block check(ByteBuffer record) {
            int payloadEnd = record.capacity() - 4;
            CRC32C crc = new CRC32C();
            crc.update(record.array(), 0, payloadEnd);
            if ((int) crc.getValue() != record.getInt(payloadEnd)) {
                throw new IllegalStateException("a pulled KV block failed its checksum");
            }
            byte[] name = new byte[NAME_BYTES];
            record.get(0, name);
            BlockHash hash = BlockHash.fromHex(java.util.HexFormat.of().formatHex(name));
            return new Block(hash, ByteBuffer.wrap(record.array(), NAME_BYTES, payloadEnd - NAME_BYTES).slice());
        }
    }
}
