package dev.longctx.engine.attention;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.kv.SequenceKv;
import dev.longctx.engine.model.DcaConfig;

import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;

/**
 * CPU attention: the executable specification of ALGORITHMS.md §1–§3 that GPU kernels are tested against.
 *
 * <p>One call decides the algorithm: DCA when the geometry has a DCA config, else plain RoPE attention; sparse
 * vertical-slash prefill when a sparse config is present, {@link AttentionOptions#sparse()} is set, the call has
 * more than one query and the prompt length ({@link AttentionOptions#scaleLength()}) exceeds the threshold;
 * otherwise dense. Decode (n == 1) is always dense.
 *
 * <p>Work is split into (query head, 64-row block) tasks that write disjoint output rows; each task is computed
 * sequentially, so results do not depend on the thread count or scheduling.
 */
public final class CpuAttention implements Attention {
    /** Query rows per task; also the sparse kernel's query block (§2). */
    static final int ROW_BLOCK = VerticalSlash.BLOCK;

    private final AttentionGeometry geometry;
    private final Rope rope;
    private final SparseAttentionConfig sparseConfig;
    private final int sparseThreshold;
    private final ForkJoinPool pool;

    /** Dense/DCA attention only, on the common pool. */
    public CpuAttention(AttentionGeometry geometry) {
        this(geometry, null, EngineOptions.DEFAULT_SPARSE_THRESHOLD, null);
    }

    /**
     * @param sparseConfig    per-layer, per-head budgets; null disables sparse prefill
     * @param sparseThreshold prompts longer than this (scale length) use sparse prefill
     * @param pool            worker pool shared with the rest of the engine; null = the common pool
     */
    public CpuAttention(AttentionGeometry geometry, SparseAttentionConfig sparseConfig, int sparseThreshold,
                        ForkJoinPool pool) {
        if (geometry.numKvHeads() <= 0 || geometry.numHeads() % geometry.numKvHeads() != 0) {
            throw new IllegalArgumentException("num heads " + geometry.numHeads()
                    + " must be a positive multiple of num KV heads " + geometry.numKvHeads());
        }
        if (sparseConfig != null) sparseConfig.checkHeads(geometry.numHeads());
        this.geometry = geometry;
        this.rope = new Rope(geometry.headDim(), geometry.ropeTheta());
        this.sparseConfig = sparseConfig;
        this.sparseThreshold = sparseThreshold;
        this.pool = pool == null ? ForkJoinPool.commonPool() : pool;
    }

    public AttentionGeometry geometry() { return geometry; }

    /**
     * Paged KV blocks must divide the DCA chunk length L, so that no block straddles a chunk boundary (§1).
     *
     * @throws IllegalArgumentException naming both numbers when they do not fit
     */
    public static void checkBlockSize(AttentionGeometry g, int blockSize) {
        if (blockSize <= 0) throw new IllegalArgumentException("KV block size must be positive, got " + blockSize);
        DcaConfig dca = g.dca();
        if (dca != null && dca.chunkLen() % blockSize != 0) {
            throw new IllegalArgumentException("KV block size " + blockSize + " does not divide the DCA chunk length L = "
                    + "chunk_size − local_size = " + dca.chunkSize() + " − " + dca.localSize() + " = " + dca.chunkLen()
                    + "; choose a block size that divides " + dca.chunkLen());
        }
    }

    /** Whether a call with these settings runs sparse prefill. */
    public boolean usesSparse(int layer, int n, AttentionOptions options) {
        boolean sparse = n > 1 && sparseConfig != null && options.sparse() && options.scaleLength() > sparseThreshold;
        if (sparse && (layer < 0 || layer >= sparseConfig.numLayers())) {
            throw new IllegalArgumentException("layer " + layer + " has no sparse budgets: the sparse attention config has "
                    + sparseConfig.numLayers() + " layers");
        }
        return sparse;
    }

    @Override
    public void forward(int layer, float[] q, int n, int start, SequenceKv kv, AttentionOptions options, float[] out) {
        int qDim = geometry.qDim();
        if (n <= 0) return;
        if (start < 0) throw new IllegalArgumentException("start must be ≥ 0, got " + start);
        if (q.length < (long) n * qDim || out.length < (long) n * qDim) {
            throw new IllegalArgumentException("q and out need n × qDim = " + n + " × " + qDim + " floats, got "
                    + q.length + " and " + out.length);
        }
        if (kv.cache().headDim() != geometry.headDim() || kv.cache().numKvHeads() != geometry.numKvHeads()) {
            throw new IllegalArgumentException("KV cache shape (" + kv.cache().numKvHeads() + " heads × "
                    + kv.cache().headDim() + ") does not match the attention geometry (" + geometry.numKvHeads()
                    + " × " + geometry.headDim() + ")");
        }
        if ((long) kv.blockTable().length * kv.blockSize() < (long) start + n) {
            throw new IllegalArgumentException("block table holds " + kv.blockTable().length * kv.blockSize()
                    + " tokens, attention needs " + (start + n));
        }
        checkBlockSize(geometry, kv.blockSize());

        float scale = (float) geometry.logitScale(options.scaleLength());
        boolean sparse = usesSparse(layer, n, options);
        List<Piece> pieces = Piece.split(geometry.dca(), start, start + n);
        RecallTally tally = options.recorder() == null ? null : new RecallTally(geometry.numHeads());
        for (Piece piece : pieces) {
            PieceQueries pq = new PieceQueries(rope, geometry.dca(), q, qDim, start, piece);
            if (sparse) {
                SparsePrefill.run(this, pq, layer, kv, scale, sparseConfig.layer(layer), start, out, tally);
            } else {
                dense(pq, layer, kv, scale, start, out);
                if (tally != null) tally.addDense(piece);
            }
        }
        if (tally != null) tally.report(options.recorder(), layer);
    }

    /** Dense attention of one piece, every head, into out. */
    void dense(PieceQueries pq, int layer, SequenceKv kv, float scale, int start, float[] out) {
        Piece piece = pq.piece();
        int blocks = (piece.rows() + ROW_BLOCK - 1) / ROW_BLOCK;
        int headDim = geometry.headDim();
        int qDim = geometry.qDim();
        parallel(geometry.numHeads() * blocks, task -> {
            int h = task / blocks;
            int r0 = (task % blocks) * ROW_BLOCK;
            int rows = Math.min(ROW_BLOCK, piece.rows() - r0);
            int outOff = (piece.begin() - start + r0) * qDim + h * headDim;
            denseBlock(pq, layer, kv, scale, h, r0, rows, out, outOff, qDim, null);
        });
    }

    /**
     * Dense attention of rows [r0, r0 + rows) of a piece for query head h: every part over its whole key range,
     * merged. Writes O (row stride outStride) and, when lseOut is not null, the merged LSE.
     */
    void denseBlock(PieceQueries pq, int layer, SequenceKv kv, float scale, int h, int r0, int rows,
                    float[] out, int outOff, int outStride, float[] lseOut) {
        List<DcaPart> parts = pq.piece().parts();
        int headDim = geometry.headDim();
        int kvHead = h / geometry.groupSize();
        float[] qb = new float[rows * headDim];
        float[][] o = new float[parts.size()][rows * headDim];
        float[][] lse = new float[parts.size()][rows];
        for (int a = 0; a < parts.size(); a++) {
            DcaPart part = parts.get(a);
            pq.rotate(a, h, r0, rows, qb);
            PartAttention.attend(qb, 0, rows, headDim, pq.piece().begin() + r0, kv, layer, kvHead, part.keys(),
                    part.causal(), scale, o[a], 0, lse[a], 0);
        }
        PartAttention.merge(o, lse, parts.size(), rows, headDim, out, outOff, outStride, lseOut, 0);
    }

    /** Runs tasks [0, count) on the pool; each task must write only its own outputs. */
    void parallel(int count, java.util.function.IntConsumer task) {
        if (count == 1) {
            task.accept(0);
            return;
        }
        pool.submit(() -> IntStream.range(0, count).parallel().forEach(task)).join();
    }

}
