package dev.longctx.engine.attention;

import dev.longctx.engine.kv.HostKvCache;
import dev.longctx.engine.kv.SequenceKv;

import java.util.Random;

/**
 * Test helper: one sequence of random raw K/V written into a paged {@link KvCache} the way the forward pass does
 * (keys rotated at {@link AttentionGeometry#keyPosition}), so attention tests need no model. The raw, unrotated
 * keys are kept for naive references that apply positions themselves. The block table is deliberately
 * non-contiguous so that paging bugs show.
 */
public record RandomKv(AttentionGeometry geometry, SequenceKv kv, float[] rawKeys, float[] values, int length) {

    public static final int BLOCK_SIZE = 16;

    public static RandomKv create(AttentionGeometry g, int length, long seed) {
        return create(g, length, BLOCK_SIZE, seed);
    }

    public static RandomKv create(AttentionGeometry g, int length, int blockSize, long seed) {
        Random rnd = new Random(seed);
        int kvDim = g.kvDim();
        float[] k = gaussian(rnd, length * kvDim, 1.0f);
        float[] v = gaussian(rnd, length * kvDim, 1.0f);
        int blocks = (length + blockSize - 1) / blockSize;
        HostKvCache cache = new HostKvCache(1, blocks * 2 + 1, blockSize, g.numKvHeads(), g.headDim());
        int[] table = new int[blocks];
        for (int b = 0; b < blocks; b++) table[b] = 2 * (blocks - 1 - b) + 1; // reversed, with gaps
        SequenceKv seq = new SequenceKv(cache, table, length);
        Rope rope = new Rope(g.headDim(), g.ropeTheta());
        for (int t = 0; t < length; t++) {
            Rope.Angles a = rope.angles(g.keyPosition(t));
            for (int h = 0; h < g.numKvHeads(); h++) {
                int src = t * kvDim + h * g.headDim();
                rope.rotate(k, src, seq.keys(0, t), seq.offset(t, h), a);
                System.arraycopy(v, src, seq.values(0, t), seq.offset(t, h), g.headDim());
            }
        }
        return new RandomKv(g, seq, k, v, length);
    }

    /** Random raw queries for positions [0, length): row p at p × qDim. */
    public static float[] queries(AttentionGeometry g, int length, long seed) {
        return gaussian(new Random(seed), length * g.qDim(), 1.0f);
    }

    public static float[] gaussian(Random rnd, int n, float sigma) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) rnd.nextGaussian() * sigma;
        return x;
    }

    public float key(int t, int kvHead, int i) {
        return rawKeys[t * geometry.kvDim() + kvHead * geometry.headDim() + i];
    }

    public float value(int t, int kvHead, int i) {
        return values[t * geometry.kvDim() + kvHead * geometry.headDim() + i];
    }
}
