package dev.longctx.engine.attention;

import static org.assertj.core.api.Assertions.assertThat;

import dev.longctx.engine.backend.Backend;
import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.KvCacheSpec;
import dev.longctx.engine.model.DcaConfig;
import dev.longctx.engine.weights.WeightReader;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What every backend's {@link Attention} must do, through the one batched call of the forward pass, against the
 * naive double-precision reference of ALGORITHMS.md §1 ({@link NaiveAttention}): dense RoPE and DCA attention,
 * prefill from zero, after a cached prefix, in chunks, decode, both temperature rules, several sequences in one
 * step; GQA 7:1, 5:1 and 2:1, head_dim 64 and 128, lengths that are not multiples of 64, sequences over several
 * DCA chunks; and the K/V it writes, read back through the documented block layout.
 *
 * <p>A backend subclasses this with {@link #backend()} and, for reduced precision, {@link #tolerance()}.
 */
public abstract class AttentionContractTest {
    /** chunk_size 64, local_size 16: L = 48; P = 100, so the temperature is above 1 past position 99. */
    protected static final DcaConfig DCA = new DcaConfig(64, 16, 100);
    protected static final int BLOCK = 16;
    /** The layer the tests use (of a two-layer cache), so a backend that ignores the layer index fails. */
    private static final int LAYER = 1;

    protected abstract Backend backend();

    /** Largest allowed |output − reference| (fp32: 2e-5; a bf16 KV cache needs more). */
    protected double tolerance() { return 2e-5; }

    /**
     * Largest allowed ‖row − reference‖ / ‖reference‖ over one token's output (all heads): how a reduced-precision
     * backend is held to the reference (bf16: 1e-2). Unbounded by default, where {@link #tolerance()} is tight.
     */
    protected double relativeTolerance() { return Double.POSITIVE_INFINITY; }

    /** Largest allowed |cached key − reference| relative to 1 (fp32: 1e-5; bf16: 1e-2). */
    protected double kvTolerance() { return 1e-5; }

    protected static AttentionGeometry geometry(int heads, int kvHeads, int headDim, DcaConfig dca) {
        return new AttentionGeometry(heads, kvHeads, headDim, 10000.0, dca);
    }

    /** One sequence's raw q, k, v for positions [0, length) and its (shuffled) blocks in a shared cache. */
    protected record Seq(RandomKv data, float[] q, int[] blockTable, int length) {
        static Seq create(AttentionGeometry g, int length, long seed, int firstBlock) {
            int blocks = (length + BLOCK - 1) / BLOCK;
            int[] table = new int[blocks];
            // Reversed and spaced by two, so neighbouring positions are never in neighbouring blocks.
            for (int b = 0; b < blocks; b++) table[b] = firstBlock + 2 * (blocks - 1 - b);
            return new Seq(RandomKv.create(g, length, seed), RandomKv.queries(g, length, seed + 1), table, length);
        }

        int blocksUsed() { return 2 * blockTable.length; }
    }

    /** One sequence's share of a step: new positions [start, end), request length T. */
    protected record Part(Seq seq, int start, int end, long requestLength) {}

    /** A cache with room for every sequence's blocks. */
    protected KvCache cache(AttentionGeometry g, int blocks) {
        return backend().newKvCache(new KvCacheSpec(2, blocks, BLOCK, g.numKvHeads(), g.headDim(), backend().kvDtype()));
    }

    /** Runs one step over the parts through {@link Attention#begin} and one layer's forward; returns out [n, qDim]. */
    protected float[] step(Attention attention, KvCache cache, DcaScaleRule rule, List<Part> parts) {
        AttentionGeometry g = attention.geometry();
        int qDim = g.qDim(), kvDim = g.kvDim(), stride = qDim + 2 * kvDim;
        StepMetadata.Builder b = new StepMetadata.Builder(BLOCK, rule, null);
        int n = 0;
        for (Part p : parts) {
            b.add(new int[p.end() - p.start()], p.start(), p.seq().blockTable(), p.requestLength(), false, StepMetadata.Logits.NONE);
            n += p.end() - p.start();
        }
        float[] qkv = new float[n * stride];
        int row = 0;
        for (Part p : parts) {
            for (int pos = p.start(); pos < p.end(); pos++, row++) {
                System.arraycopy(p.seq().q(), pos * qDim, qkv, row * stride, qDim);
                System.arraycopy(p.seq().data().rawKeys(), pos * kvDim, qkv, row * stride + qDim, kvDim);
                System.arraycopy(p.seq().data().values(), pos * kvDim, qkv, row * stride + qDim + kvDim, kvDim);
            }
        }
        DeviceBuffer in = backend().allocate(n + 5, stride);   // spare rows: a step uses the first n
        backend().copyFromHost(qkv, in, 0);
        DeviceBuffer out = backend().allocate(n + 5, qDim);
        try (AttentionStep s = attention.begin(b.build(), cache)) {
            s.forward(LAYER, in, null, out);
        }
        float[] host = new float[n * qDim];
        backend().copyToHost(out, 0, n, host);
        return host;
    }

    /** Checks rows of out (the parts' rows, in order) against the naive reference under the rule. */
    protected void assertMatchesNaive(List<Part> parts, DcaScaleRule rule, float[] out) {
        int row = 0;
        for (Part p : parts) {
            AttentionGeometry g = p.seq().data().geometry();
            long[][] rel = NaiveAttention.relativePositions(g.dca(), p.end());
            for (int pos = p.start(); pos < p.end(); pos++, row++) {
                long n = rule == DcaScaleRule.POSITION ? pos + 1 : p.requestLength();
                NaiveAttention.Row want = NaiveAttention.row(p.seq().data(), p.seq().q(), pos, pos,
                        NaiveAttention.scale(g.dca(), g.headDim(), n), rel, null);
                double err2 = 0, ref2 = 0;
                for (int i = 0; i < g.qDim(); i++) {
                    double diff = Math.abs(want.out()[i] - out[row * g.qDim() + i]);
                    if (!(diff <= tolerance())) {
                        throw new AssertionError("position " + pos + " of a sequence of " + p.seq().length() + ", element "
                                + i + ": expected " + want.out()[i] + ", got " + out[row * g.qDim() + i]);
                    }
                    err2 += diff * diff;
                    ref2 += want.out()[i] * want.out()[i];
                }
                double relative = Math.sqrt(err2 / Math.max(ref2, 1e-300));
                if (!(relative <= relativeTolerance())) {
                    throw new AssertionError("position " + pos + " of a sequence of " + p.seq().length()
                            + ": relative error " + relative + " > " + relativeTolerance());
                }
            }
        }
    }

    /** Prefills one sequence in pieces of {@code piece} tokens (T = its length) and checks every row. */
    private void prefillInPieces(AttentionGeometry g, int length, int piece, int prefix, DcaScaleRule rule, long seed) {
        Seq seq = Seq.create(g, length, seed, 1);
        Attention attention = backend().newAttention(g, null, 0);
        try (KvCache cache = cache(g, seq.blocksUsed() + 1)) {
            for (int s = 0; s < length; s += s < prefix ? prefix : piece) {
                int end = Math.min(length, s < prefix ? prefix : s + piece);
                List<Part> parts = List.of(new Part(seq, s, end, length));
                float[] out = step(attention, cache, rule, parts);
                if (s >= prefix) assertMatchesNaive(parts, rule, out);
            }
        }
    }

    @Test
    void denseRopeWithGqa7To1AndHeadDim64() {
        prefillInPieces(geometry(7, 1, 64, null), 150, 150, 0, DcaScaleRule.POSITION, 1);
    }

    @Test
    void denseRopeWithGqa5To1AndHeadDim128() {
        prefillInPieces(geometry(10, 2, 128, null), 77, 77, 0, DcaScaleRule.POSITION, 2);
    }

    @ParameterizedTest
    @EnumSource(DcaScaleRule.class)
    void dcaPrefillOverSeveralChunks(DcaScaleRule rule) {
        // 261 tokens: 6 DCA chunks of 48, ending mid-chunk; past P = 100 the two rules differ.
        prefillInPieces(geometry(4, 2, 64, DCA), 5 * 48 + 21, 1000, 0, rule, 3);
    }

    @Test
    void dcaWithGqa7To1AndHeadDim128() {
        prefillInPieces(geometry(7, 1, 128, DCA), 150, 1000, 0, DcaScaleRule.POSITION, 4);
    }

    @ParameterizedTest
    @EnumSource(DcaScaleRule.class)
    void afterACachedPrefixThatEndsMidChunk(DcaScaleRule rule) {
        prefillInPieces(geometry(10, 2, 64, DCA), 5 * 48 + 21, 1000, 130, rule, 5);
    }

    @ParameterizedTest
    @EnumSource(DcaScaleRule.class)
    void chunkedPrefillInPiecesThatCrossChunkBoundaries(DcaScaleRule rule) {
        prefillInPieces(geometry(4, 2, 64, DCA), 5 * 48 + 21, 37, 0, rule, 6);
    }

    @ParameterizedTest
    @EnumSource(DcaScaleRule.class)
    void decodeOneTokenAtATimeAcrossChunks(DcaScaleRule rule) {
        // Decode at p: T = p + 1 under both rules (the request's current length).
        AttentionGeometry g = geometry(10, 2, 64, DCA);
        int length = 4 * 48 + 9;
        Seq seq = Seq.create(g, length, 7, 0);
        Attention attention = backend().newAttention(g, null, 0);
        try (KvCache cache = cache(g, seq.blocksUsed())) {
            step(attention, cache, rule, List.of(new Part(seq, 0, 90, 90)));
            for (int p = 90; p < length; p++) {
                List<Part> parts = List.of(new Part(seq, p, p + 1, p + 1));
                assertMatchesNaive(parts, rule, step(attention, cache, rule, parts));
            }
        }
    }

    @ParameterizedTest
    @EnumSource(DcaScaleRule.class)
    void severalSequencesInOneStepEachGetWhatTheyGetAlone(DcaScaleRule rule) {
        AttentionGeometry g = geometry(10, 2, 64, DCA);
        Attention attention = backend().newAttention(g, null, 0);
        // A fresh prefill, a prefill after a cached prefix, and three decodes at different depths.
        int[] lengths = {130, 261, 5, 200, 97};
        List<Seq> seqs = new ArrayList<>();
        int blocks = 0;
        for (int i = 0; i < lengths.length; i++) {
            Seq s = Seq.create(g, lengths[i], 20 + i, blocks);
            seqs.add(s);
            blocks += s.blocksUsed();
        }
        int[] starts = {0, 100, 4, 199, 96};
        try (KvCache batchCache = cache(g, blocks); KvCache aloneCache = cache(g, blocks)) {
            List<Part> batch = new ArrayList<>();
            for (int i = 0; i < seqs.size(); i++) {
                Seq s = seqs.get(i);
                if (starts[i] > 0) {   // the cached part, in a step of its own
                    List<Part> prefix = List.of(new Part(s, 0, starts[i], s.length()));
                    step(attention, batchCache, rule, prefix);
                    step(attention, aloneCache, rule, prefix);
                }
                batch.add(new Part(s, starts[i], s.length(), s.length()));
            }
            float[] together = step(attention, batchCache, rule, batch);
            assertMatchesNaive(batch, rule, together);
            int row = 0;
            for (Part p : batch) {
                float[] alone = step(attention, aloneCache, rule, List.of(p));
                int rows = p.end() - p.start();
                assertThat(Arrays.copyOfRange(together, row * g.qDim(), (row + rows) * g.qDim()))
                        .as("sequence of %d tokens", p.seq().length()).isEqualTo(alone);
                row += rows;
            }
        }
    }

    @Test
    void theCacheHoldsKeysRotatedAtTheirCachePositionAndRawValuesInTheDocumentedLayout() {
        AttentionGeometry g = geometry(4, 2, 64, DCA);
        Seq seq = Seq.create(g, 100, 8, 0);   // crosses L = 48: keys at p mod L
        Attention attention = backend().newAttention(g, null, 0);
        try (KvCache cache = cache(g, seq.blocksUsed())) {
            step(attention, cache, DcaScaleRule.POSITION, List.of(new Part(seq, 0, 100, 100)));
            int kvHeads = g.numKvHeads(), d = g.headDim();
            for (int p : new int[] {0, 17, 47, 48, 63, 99}) {
                ByteBuffer block = ByteBuffer.wrap(cache.readBlock(seq.blockTable()[p / BLOCK])).order(ByteOrder.LITTLE_ENDIAN);
                int elems = BLOCK * kvHeads * d, bytes = cache.spec().dtype().bytes;
                for (int h = 0; h < kvHeads; h++) {
                    double[] key = NaiveAttention.rotate(seq.data().rawKeys(), p * g.kvDim() + h * d, d, g.ropeTheta(), p % DCA.chunkLen());
                    for (int i = 0; i < d; i++) {
                        int k = (LAYER * 2 * elems + ((p % BLOCK) * kvHeads + h) * d + i) * bytes;
                        assertThat((double) element(block, k, cache)).as("key %d head %d dim %d", p, h, i)
                                .isCloseTo(key[i], org.assertj.core.data.Offset.offset(kvTolerance() * Math.max(1, Math.abs(key[i]))));
                        assertThat((double) element(block, k + elems * bytes, cache)).as("value %d head %d dim %d", p, h, i)
                                .isCloseTo(seq.data().value(p, h, i), org.assertj.core.data.Offset.offset(kvTolerance() * 4));
                    }
                }
            }
        }
    }

    private static float element(ByteBuffer b, int at, KvCache cache) {
        return switch (cache.spec().dtype()) {
            case F32 -> b.getFloat(at);
            case BF16 -> WeightReader.bf16ToFloat(b.getShort(at));
            case F16 -> Float.float16ToFloat(b.getShort(at));
        };
    }
}
