package dev.longctx.inferenceservice.kvshare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.longctx.common.prefix.BlockHash;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class KvBlockStreamTest {
    static final int BLOCK = 24;

    static ByteBuffer stream(int blocks) {
        ByteBuffer all = ByteBuffer.allocate(KvBlockStream.HEADER_BYTES + blocks * KvBlockStream.recordBytes(BLOCK));
        all.put(KvBlockStream.header(BLOCK));
        BlockHash parent = BlockHash.ROOT;
        for (int b = 0; b < blocks; b++) {
            parent = BlockHash.of(parent, i -> i, b, 4, new byte[0]);
            ByteBuffer record = ByteBuffer.allocate(KvBlockStream.recordBytes(BLOCK));
            record.put(parent.bytes());
            for (int i = 0; i < BLOCK; i++) record.put((byte) (b * 31 + i));
            KvBlockStream.seal(record);
            all.put(record);
        }
        return all.flip();
    }

    @Test
    void blocksArriveWhateverTheChunking() {
        ByteBuffer bytes = stream(3);
        for (int chunk : new int[] {1, 7, 64, bytes.remaining()}) {
            KvBlockStream.Reader reader = new KvBlockStream.Reader(BLOCK);
            List<KvBlockStream.Block> blocks = new ArrayList<>();
            ByteBuffer copy = bytes.duplicate();
            while (copy.hasRemaining()) {
                int n = Math.min(chunk, copy.remaining());
                blocks.addAll(reader.feed(copy.slice(copy.position(), n)));
                copy.position(copy.position() + n);
            }
            assertThat(blocks).as("chunks of %d", chunk).hasSize(3);
            assertThat(reader.complete()).isTrue();
            assertThat(blocks.get(2).payload().get(0)).isEqualTo((byte) 62);
            assertThat(blocks.get(2).payload().remaining()).isEqualTo(BLOCK);
        }
    }

    @Test
    void aFlippedBitOrAnotherGeometryIsRefused() {
        ByteBuffer corrupt = stream(2);
        int at = KvBlockStream.HEADER_BYTES + KvBlockStream.recordBytes(BLOCK) + 40;
        corrupt.put(at, (byte) (corrupt.get(at) ^ 1));
        assertThatThrownBy(() -> new KvBlockStream.Reader(BLOCK).feed(corrupt)).hasMessageContaining("checksum");
        assertThatThrownBy(() -> new KvBlockStream.Reader(BLOCK * 2).feed(stream(1))).hasMessageContaining("geometry");
    }
}
