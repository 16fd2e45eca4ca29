package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheSpec;

/**
 * The CUDA backend's paged KV cache: per layer, K and V each one device allocation of
 * {@code [numBlocks][blockSize][numKvHeads][headDim]} bf16, or fp32 under the float32 dtype ({@link PagedKvLayer},
 * the attention kernels' layout).
 * A block of one layer's K (or V) is one contiguous run of {@code blockSize × kvDim} elements, so
 * {@link #readBlock}/{@link #writeBlock} move it as it is, in {@link KvCache}'s byte layout (per layer K then V;
 * little-endian, which is the device's own byte order).
 */
final class CudaKvCache implements KvCache {
    private final CudaBackend backend;
    private final KvCacheSpec spec;
    private final PagedKvLayer[] layers;
    private final int elementBytes;
    private boolean closed;

    CudaKvCache(CudaBackend backend, KvCacheSpec spec) {
        this.backend = backend;
        this.spec = spec;
        this.layers = new PagedKvLayer[spec.numLayers()];
        this.elementBytes = switch (spec.dtype()) {
            case BF16 -> 2;
            case F32 -> 4;
            default -> throw new IllegalArgumentException("the CUDA KV cache is bf16 or fp32, not " + spec.dtype());
        };
        long bytes = PagedKvLayer.bytes(spec.numBlocks(), spec.blockSize(), spec.numKvHeads(), spec.headDim(), elementBytes);
        CudaContext ctx = backend.context();
        try {
            for (int l = 0; l < layers.length; l++) {
                CudaMemory k = ctx.allocate(bytes);
                CudaMemory v;
                try {
                    v = ctx.allocate(bytes);
                } catch (RuntimeException e) {
                    k.close();
                    throw e;
                }
                // Zeroed: a slot never written reads as 0, not as stale (possibly NaN) bits of a freed allocation.
                k.fill(0);
                v.fill(0);
                layers[l] = new PagedKvLayer(k, v, spec.numBlocks(), spec.blockSize(), spec.numKvHeads(), spec.headDim(),
                        elementBytes);
            }
        } catch (RuntimeException e) {
            close();
            throw new IllegalStateException("cannot allocate a KV cache of " + spec.numBlocks() + " blocks ("
                    + spec.totalBytes() + " bytes) on " + ctx.deviceName() + ": " + e.getMessage(), e);
        }
    }

    @Override
    public KvCacheSpec spec() { return spec; }

    /** Layer l's K and V on the device. */
    PagedKvLayer layer(int l) {
        checkOpen();
        return layers[l];
    }

    private long halfBlockBytes() { return (long) elementBytes * spec.blockSize() * spec.kvDim(); }

    @Override
    public byte[] readBlock(int block) {
        checkOpen();
        spec.checkBlock(block);
        backend.enter();
        synchronized (backend.streamCapture) {   // these copies share the stream a graph may be captured on
            return read(block);
        }
    }

    private byte[] read(int block) {
        int half = Math.toIntExact(halfBlockBytes());
        byte[] out = new byte[Math.toIntExact(spec.bytesPerBlock())];
        byte[] tmp = new byte[half];
        for (int l = 0; l < layers.length; l++) {
            layers[l].k().view((long) block * half, half).copyTo(tmp);
            System.arraycopy(tmp, 0, out, 2 * l * half, half);
            layers[l].v().view((long) block * half, half).copyTo(tmp);
            System.arraycopy(tmp, 0, out, (2 * l + 1) * half, half);
        }
        return out;
    }

    @Override
    public void writeBlock(int block, byte[] data) {
        checkOpen();
        spec.checkBlock(block);
        spec.checkBlockBytes(data);
        backend.enter();
        synchronized (backend.streamCapture) {   // these copies share the stream a graph may be captured on
            write(block, data);
        }
    }

    private void write(int block, byte[] data) {
        int half = Math.toIntExact(halfBlockBytes());
        for (int l = 0; l < layers.length; l++) {
            layers[l].k().view((long) block * half, half).copyFrom(java.util.Arrays.copyOfRange(data, 2 * l * half, (2 * l + 1) * half));
            layers[l].v().view((long) block * half, half).copyFrom(java.util.Arrays.copyOfRange(data, (2 * l + 1) * half, (2 * l + 2) * half));
        }
        backend.context().synchronize();   // the block is in place when this returns
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException("the KV cache is closed");
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        backend.enter();
        backend.dropGraphs();   // recordings write into this cache
        backend.context().synchronize();
        for (PagedKvLayer layer : layers) {
            if (layer == null) continue;
            layer.k().close();
            layer.v().close();
        }
    }
}
