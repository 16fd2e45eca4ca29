package dev.longctx.engine.kv;

import java.nio.ByteBuffer;

/**
 * {@link KvBlockIo} over a backend's {@link KvCache}, in the cache's own byte layout (per layer, the block's K then
 * its V, in the cache dtype, little-endian; see {@link KvCache}).
 */
public final class KvCacheBlockIo implements KvBlockIo {
    private final KvCache cache;

    public KvCacheBlockIo(KvCache cache) {
        this.cache = cache;
    }

    @Override
    public int blockBytes() { return Math.toIntExact(cache.bytesPerBlock()); }

    @Override
    public void read(int blockId, ByteBuffer out) {
        out.put(cache.readBlock(blockId));
    }

    @Override
    public void write(int blockId, ByteBuffer in) {
        if (in.remaining() < blockBytes()) {
            throw new IllegalArgumentException("a KV block is " + blockBytes() + " bytes, got " + in.remaining());
        }
        byte[] data = new byte[blockBytes()];
        in.get(data);
        cache.writeBlock(blockId, data);
    }
}
