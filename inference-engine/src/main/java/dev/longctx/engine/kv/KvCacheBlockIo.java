package dev.longctx.engine.kv;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * {@link KvBlockIo} over the fp32 {@link KvCache}: per layer, the block's K floats then its V floats
 * ({@code blockSize × kvDim} each), little-endian.
 */
public final class KvCacheBlockIo implements KvBlockIo {
    private final KvCache cache;
    private final int floatsPerPart;

    public KvCacheBlockIo(KvCache cache) {
        this.cache = cache;
        this.floatsPerPart = cache.blockSize() * cache.kvDim();
    }

    @Override
    public int blockBytes() { return Math.toIntExact(cache.bytesPerBlock()); }

    @Override
    public void read(int blockId, ByteBuffer out) {
        var floats = out.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        for (int layer = 0; layer < cache.numLayers(); layer++) {
            floats.put(cache.keyBlock(layer, blockId), 0, floatsPerPart);
            floats.put(cache.valueBlock(layer, blockId), 0, floatsPerPart);
        }
        out.position(out.position() + blockBytes());
    }

    @Override
    public void write(int blockId, ByteBuffer in) {
        if (in.remaining() < blockBytes()) {
            throw new IllegalArgumentException("a KV block is " + blockBytes() + " bytes, got " + in.remaining());
        }
        var floats = in.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        for (int layer = 0; layer < cache.numLayers(); layer++) {
            floats.get(cache.keyBlock(layer, blockId), 0, floatsPerPart);
            floats.get(cache.valueBlock(layer, blockId), 0, floatsPerPart);
        }
        in.position(in.position() + blockBytes());
    }
}
