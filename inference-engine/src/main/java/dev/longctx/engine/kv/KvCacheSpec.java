package dev.longctx.engine.kv;

import dev.longctx.engine.weights.DType;

/**
 * The shape of a paged KV cache: per layer, K and V each {@code [numBlocks][blockSize][numKvHeads][headDim]} of
 * {@code dtype}. Sizes are 64-bit.
 */
public record KvCacheSpec(int numLayers, int numBlocks, int blockSize, int numKvHeads, int headDim, DType dtype) {

    public KvCacheSpec {
        if (numLayers <= 0 || numBlocks <= 0 || blockSize <= 0 || numKvHeads <= 0 || headDim <= 0) {
            throw new IllegalArgumentException("a KV cache needs positive layers, blocks, block size, KV heads and head_dim, got "
                    + numLayers + ", " + numBlocks + ", " + blockSize + ", " + numKvHeads + ", " + headDim);
        }
    }

    public int kvDim() { return numKvHeads * headDim; }

    /** Bytes one block takes across all layers, K and V: also the size of {@link KvCache#readBlock}'s result. */
    public long bytesPerBlock() {
        return 2L * numLayers * blockSize * kvDim() * dtype.bytes;
    }

    /** Bytes of the whole cache. */
    public long totalBytes() {
        return bytesPerBlock() * numBlocks;
    }

    /** The dtype as the prefix-block salt names it: "fp32", "bf16", "fp16". */
    public String dtypeName() {
        return switch (dtype) {
            case F32 -> "fp32";
            case BF16 -> "bf16";
            case F16 -> "fp16";
        };
    }

    /** @throws IndexOutOfBoundsException when {@code block} is not a block of a cache of this shape */
    public void checkBlock(int block) {
        if (block < 0 || block >= numBlocks) {
            throw new IndexOutOfBoundsException("block " + block + " outside a KV cache of " + numBlocks + " blocks");
        }
    }

    /** @throws IllegalArgumentException when {@code data} is not one block's bytes ({@link KvCache#writeBlock}) */
    public void checkBlockBytes(byte[] data) {
        if (data.length != bytesPerBlock()) {
            throw new IllegalArgumentException("a KV block of this cache is " + bytesPerBlock() + " bytes, got " + data.length);
        }
    }

    public KvCacheSpec withNumBlocks(int n) {
        return new KvCacheSpec(numLayers, n, blockSize, numKvHeads, headDim, dtype);
    }
}
