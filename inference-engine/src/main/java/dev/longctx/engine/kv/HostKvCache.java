package dev.longctx.engine.kv;

import dev.longctx.engine.weights.DType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The CPU backend's KV cache: fp32 in host memory, one array per (layer, block) of {@code blockSize × kvDim} floats,
 * slot-major then KV head ({@code [blockSize][numKvHeads][headDim]}, the layout of {@link KvCache}). Arrays are
 * allocated on first write, so a large budget costs only what is used.
 */
public final class HostKvCache implements KvCache {
    private final KvCacheSpec spec;
    private final int kvDim;
    private final float[][][] keys;   // [layer][block] -> blockSize * kvDim
    private final float[][][] values;

    public HostKvCache(KvCacheSpec spec) {
        if (spec.dtype() != DType.F32) throw new IllegalArgumentException("the host KV cache is fp32, not " + spec.dtype());
        if ((long) spec.blockSize() * spec.kvDim() > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a KV block of " + spec.blockSize() + " × " + spec.kvDim() + " floats is too large for the CPU");
        }
        this.spec = spec;
        this.kvDim = spec.kvDim();
        this.keys = new float[spec.numLayers()][spec.numBlocks()][];
        this.values = new float[spec.numLayers()][spec.numBlocks()][];
    }

    /** An fp32 cache of the given shape (tests and tools). */
    public HostKvCache(int numLayers, int numBlocks, int blockSize, int numKvHeads, int headDim) {
        this(new KvCacheSpec(numLayers, numBlocks, blockSize, numKvHeads, headDim, DType.F32));
    }

    @Override
    public KvCacheSpec spec() { return spec; }

    /** The K storage of one block of one layer: slot s, KV head h starts at {@code (s * kvDim) + h * headDim}. */
    public float[] keyBlock(int layer, int block) {
        float[] b = keys[layer][block];
        if (b == null) b = keys[layer][block] = new float[spec.blockSize() * kvDim];
        return b;
    }

    public float[] valueBlock(int layer, int block) {
        float[] b = values[layer][block];
        if (b == null) b = values[layer][block] = new float[spec.blockSize() * kvDim];
        return b;
    }

    @Override
    public byte[] readBlock(int block) {
        spec.checkBlock(block);
        ByteBuffer out = ByteBuffer.allocate(Math.toIntExact(spec.bytesPerBlock())).order(ByteOrder.LITTLE_ENDIAN);
        for (int l = 0; l < spec.numLayers(); l++) {
            out.asFloatBuffer().put(keyBlock(l, block));
            out.position(out.position() + spec.blockSize() * kvDim * Float.BYTES);
            out.asFloatBuffer().put(valueBlock(l, block));
            out.position(out.position() + spec.blockSize() * kvDim * Float.BYTES);
        }
        return out.array();
    }

    @Override
    public void writeBlock(int block, byte[] data) {
        spec.checkBlock(block);
        spec.checkBlockBytes(data);
        ByteBuffer in = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
        int floats = spec.blockSize() * kvDim;
        for (int l = 0; l < spec.numLayers(); l++) {
            in.asFloatBuffer().get(keyBlock(l, block));
            in.position(in.position() + floats * Float.BYTES);
            in.asFloatBuffer().get(valueBlock(l, block));
            in.position(in.position() + floats * Float.BYTES);
        }
    }
}
