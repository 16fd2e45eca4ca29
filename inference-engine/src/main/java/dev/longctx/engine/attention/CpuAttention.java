package dev.longctx.engine.attention;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.backend.cpu.ParallelLoop;
import dev.longctx.engine.kv.SequenceKv;
import dev.longctx.engine.model.DcaConfig;

import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.LongAdder;

/**
 * CPU attention: the executable specification of ALGORITHMS.md §1–§3 that GPU kernels are tested against.
 *
 * <p>One call decides the algorithm: DCA when the geometry has a DCA config, else plain RoPE attention; sparse
 * vertical-slash prefill when a sparse config is present, {@link AttentionOptions#sparse()} is set, the call has
 * more than one query and the prompt length ({@link AttentionOptions#scaleLength()}) exceeds the threshold;
 * otherwise dense. Decode (n == 1) is always dense.
 *
 * <p>Dense work is split into (KV head, 64-row block) tasks: the query heads of one GQA group are computed together
 * so that each K/V tile is read once per group. Decode adds fixed key segments (see {@link #denseSplitKeys}).
 * Sparse work is per (query head, 64-row block), since every head has its own keys. Tasks write disjoint outputs
 * and are each computed sequentially, so results do not depend on the thread count or scheduling.
 */
public final class CpuAttention implements Attention {
    /** Query rows per task; also the sparse kernel's query block (§2). */
    static final int ROW_BLOCK = VerticalSlash.BLOCK;
    /** Pieces of at most this many rows (decode) split their keys into segments for parallelism. */
    static final int SPLIT_KEYS_MAX_ROWS = 8;
    static final int DEFAULT_KEY_SEGMENT = 4096;

    private final AttentionGeometry geometry;
    private final Rope rope;
    private final SparseAttentionConfig sparseConfig;
    private final int sparseThreshold;
    private final ForkJoinPool pool;
    /** Threads a parallel loop uses, the calling thread included. */
    private final int parallelism;
    private final LongAdder estimationNanos = new LongAdder();
    private final int keySegment;

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
        this(geometry, sparseConfig, sparseThreshold, pool, DEFAULT_KEY_SEGMENT);
    }

    /** @param keySegment keys per decode task (tests make it small to exercise the split) */
    CpuAttention(AttentionGeometry geometry, SparseAttentionConfig sparseConfig, int sparseThreshold,
                 ForkJoinPool pool, int keySegment) {
        if (keySegment <= 0) throw new IllegalArgumentException("key segment must be positive, got " + keySegment);
        this.keySegment = keySegment;
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
        // The common pool has one worker fewer than there are cores because its callers work too.
        this.parallelism = this.pool == ForkJoinPool.commonPool() ? this.pool.getParallelism() + 1 : this.pool.getParallelism();
    }

    public AttentionGeometry geometry() { return geometry; }

    /**
     * Wall time spent estimating sparse indices (steps 1–3 of ALGORITHMS.md §2) since construction, in seconds.
     * Estimation scores n_q queries against every earlier key once per prefill piece, so it is the one quadratic
     * term of sparse prefill: benchmarks report it apart from the sparse kernel.
     */
    public double sparseEstimationSeconds() { return estimationNanos.sum() / 1e9; }

    void addEstimationNanos(long nanos) { estimationNanos.add(nanos); }

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
                SparsePrefill.run(this, pq, layer, kv, scale, sparseConfig.layer(layer), start, out, tally, options.recorder());
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
        if (piece.rows() <= SPLIT_KEYS_MAX_ROWS) {
            denseSplitKeys(pq, layer, kv, scale, start, out);
            return;
        }
        int blocks = (piece.rows() + ROW_BLOCK - 1) / ROW_BLOCK;
        int headDim = geometry.headDim();
        int qDim = geometry.qDim();
        int group = geometry.groupSize();
        parallel(geometry.numKvHeads() * blocks, task -> {
            int kvHead = task / blocks;
            int r0 = (task % blocks) * ROW_BLOCK;
            int rows = Math.min(ROW_BLOCK, piece.rows() - r0);
            int outOff = (piece.begin() - start + r0) * qDim + kvHead * group * headDim;
            denseGroup(pq, layer, kv, scale, kvHead * group, group, r0, rows, out, outOff, qDim, null);
        });
    }

    /**
     * Dense attention of rows [r0, r0 + rows) of a piece for query heads [h0, h0 + heads), which must share one KV
     * head: every part over its whole key range, merged. Head h0 + g's row r goes to
     * {@code out[outOff + g * headDim + r * outStride]}; its merged LSE, when lseOut is not null, to
     * {@code lseOut[g * rows + r]}.
     */
    void denseGroup(PieceQueries pq, int layer, SequenceKv kv, float scale, int h0, int heads, int r0, int rows,
                    float[] out, int outOff, int outStride, float[] lseOut) {
        List<DcaPart> parts = pq.piece().parts();
        int headDim = geometry.headDim();
        int kvHead = h0 / geometry.groupSize();
        int groupRows = heads * rows;
        float[] qb = new float[groupRows * headDim];
        float[][] o = new float[parts.size()][groupRows * headDim];
        float[][] lse = new float[parts.size()][groupRows];
        for (int a = 0; a < parts.size(); a++) {
            DcaPart part = parts.get(a);
            for (int g = 0; g < heads; g++) pq.rotate(a, h0 + g, r0, rows, qb, g * rows * headDim);
            PartAttention.attend(qb, 0, heads, rows, headDim, pq.piece().begin() + r0, kv, layer, kvHead,
                    part.keys(), part.causal(), scale, o[a], 0, lse[a], 0);
        }
        for (int g = 0; g < heads; g++) {
            PartAttention.merge(o, lse, parts.size(), g * rows, rows, headDim, out, outOff + g * headDim, outStride,
                    lseOut, g * rows);
        }
    }

    /**
     * Dense attention of a piece of very few rows (decode): too few (KV head, row block) tasks to occupy the pool,
     * so each part's keys are also split into fixed segments of {@link #keySegment} keys, computed as separate
     * tasks and merged by LSE like parts. The split depends only on the key count, never on the thread count, so
     * results stay deterministic.
     */
    private void denseSplitKeys(PieceQueries pq, int layer, SequenceKv kv, float scale, int start, float[] out) {
        Piece piece = pq.piece();
        List<DcaPart> parts = piece.parts();
        int rows = piece.rows();
        int headDim = geometry.headDim();
        int qDim = geometry.qDim();
        int group = geometry.groupSize();
        int kvHeads = geometry.numKvHeads();
        List<int[]> units = new java.util.ArrayList<>(); // {part, keyFrom, keyTo}
        for (int a = 0; a < parts.size(); a++) {
            DcaPart part = parts.get(a);
            // Causal keys after the last row are never seen.
            int to = part.causal() ? Math.min(part.keyTo(), piece.end()) : part.keyTo();
            for (int k = part.keyFrom(); k < to; k += keySegment) units.add(new int[] {a, k, Math.min(to, k + keySegment)});
        }
        int u = units.size();
        int groupRows = group * rows;
        float[][][] o = new float[kvHeads][u][groupRows * headDim];
        float[][][] lse = new float[kvHeads][u][groupRows];
        parallel(kvHeads * u, task -> {
            int kvHead = task / u;
            int[] unit = units.get(task % u);
            DcaPart part = parts.get(unit[0]);
            float[] qb = new float[groupRows * headDim];
            for (int g = 0; g < group; g++) pq.rotate(unit[0], kvHead * group + g, 0, rows, qb, g * rows * headDim);
            PartAttention.attend(qb, 0, group, rows, headDim, piece.begin(), kv, layer, kvHead,
                    Keys.range(unit[1], unit[2]), part.causal(), scale, o[kvHead][task % u], 0, lse[kvHead][task % u], 0);
        });
        for (int kvHead = 0; kvHead < kvHeads; kvHead++) {
            for (int g = 0; g < group; g++) {
                int outOff = (piece.begin() - start) * qDim + (kvHead * group + g) * headDim;
                PartAttention.merge(o[kvHead], lse[kvHead], u, g * rows, rows, headDim, out, outOff, qDim, null, 0);
            }
        }
    }

    /** Runs tasks [0, count) on the pool; each task must write only its own outputs. */
    void parallel(int count, java.util.function.IntConsumer task) {
        ParallelLoop.run(pool, parallelism, count, task);
    }

}
