package dev.longctx.engine.attention;

import dev.longctx.engine.EngineOptions;
import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.backend.Weight;
import dev.longctx.engine.backend.cpu.CpuBackend;
import dev.longctx.engine.backend.cpu.CpuBuffer;
import dev.longctx.engine.backend.cpu.ParallelLoop;
import dev.longctx.engine.kv.HostKvCache;
import dev.longctx.engine.kv.KvCache;
import dev.longctx.engine.kv.SequenceKv;
import dev.longctx.engine.model.DcaConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.LongAdder;

/**
 * CPU attention: the executable specification of ALGORITHMS.md §1–§3 that GPU kernels are tested against.
 *
 * <p>One call per layer covers a whole step ({@link #begin}): it writes the step's K/V into the paged cache, then
 * attends every sequence. Per sequence it decides the algorithm: DCA when the geometry has a DCA config, else plain
 * RoPE attention; sparse vertical-slash prefill when a sparse config is present, the sequence's sparse flag is set,
 * it has more than one new token and its request length exceeds the threshold; otherwise dense. Decode (one
 * token) is always dense. The DCA temperature of every query row follows the step's {@link DcaScaleRule}.
 *
 * <p>Dense work is split into (KV head, 64-row block) tasks: the query heads of one GQA group are computed together
 * so that each K/V tile is read once per group. Sequences with few new tokens (decode) add fixed key segments and
 * share one parallel loop across the whole batch (see {@link #denseSplitKeys}). Sparse work is per (query head,
 * 64-row block), since every head has its own keys. Tasks write disjoint outputs and are each computed
 * sequentially, so results do not depend on the thread count, the scheduling or the other sequences of a batch.
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

    @Override
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
        return usesSparse(layer, n, options.sparse(), options.scaleLength());
    }

    private boolean usesSparse(int layer, int n, boolean requested, long requestLength) {
        boolean sparse = n > 1 && sparseConfig != null && requested && requestLength > sparseThreshold;
        if (sparse && (layer < 0 || layer >= sparseConfig.numLayers())) {
            throw new IllegalArgumentException("layer " + layer + " has no sparse budgets: the sparse attention config has "
                    + sparseConfig.numLayers() + " layers");
        }
        return sparse;
    }

    @Override
    public AttentionStep begin(StepMetadata step, KvCache cache) {
        if (!(cache instanceof HostKvCache host)) {
            throw new IllegalArgumentException("the CPU attention needs the CPU backend's KV cache, got " + cache.getClass().getSimpleName());
        }
        checkCache(host);
        checkBlockSize(geometry, step.blockSize());
        if (step.blockSize() != host.blockSize()) {
            throw new IllegalArgumentException("step metadata block size " + step.blockSize() + " ≠ KV cache block size " + host.blockSize());
        }
        return new CpuStep(step, host);
    }

    /**
     * One sequence whose new tokens' K/V are already in the cache: queries q[(p − start) × qDim] for positions
     * [start, start + n), output likewise. The kernel entry the attention tests use; the forward pass goes through
     * {@link #begin}.
     */
    void forward(int layer, float[] q, int n, int start, SequenceKv kv, AttentionOptions options, float[] out) {
        int qDim = geometry.qDim();
        if (n <= 0) return;
        if (start < 0) throw new IllegalArgumentException("start must be ≥ 0, got " + start);
        if (q.length < (long) n * qDim || out.length < (long) n * qDim) {
            throw new IllegalArgumentException("q and out need n × qDim = " + n + " × " + qDim + " floats, got "
                    + q.length + " and " + out.length);
        }
        checkCache(kv.cache());
        if ((long) kv.blockTable().length * kv.blockSize() < (long) start + n) {
            throw new IllegalArgumentException("block table holds " + kv.blockTable().length * kv.blockSize()
                    + " tokens, attention needs " + (start + n));
        }
        checkBlockSize(geometry, kv.blockSize());
        List<PieceQueries> pieces = new ArrayList<>();
        for (Piece piece : Piece.split(geometry.dca(), start, start + n)) {
            pieces.add(new PieceQueries(rope, geometry.dca(), q, qDim, 0, start, piece, options.rule()));
        }
        attend(layer, pieces, kv, scalarScale(options.rule(), options.scaleLength()),
                usesSparse(layer, n, options), options.recorder(), out);
    }

    private void checkCache(HostKvCache cache) {
        if (cache.headDim() != geometry.headDim() || cache.numKvHeads() != geometry.numKvHeads()) {
            throw new IllegalArgumentException("KV cache shape (" + cache.numKvHeads() + " heads × "
                    + cache.headDim() + ") does not match the attention geometry (" + geometry.numKvHeads()
                    + " × " + geometry.headDim() + ")");
        }
    }

    /**
     * The logit multiplier every row shares: s_f(T)²/√d under the request rule; 1/√d under the position rule, whose
     * per-row s_f(p + 1)² is applied to the rotated queries ({@link PieceQueries}).
     */
    private float scalarScale(DcaScaleRule rule, long requestLength) {
        return (float) geometry.logitScale(rule == DcaScaleRule.REQUEST ? requestLength : 0);
    }

    /** Attention of one sequence's pieces (their K/V written), into out. */
    private void attend(int layer, List<PieceQueries> pieces, SequenceKv kv, float scale, boolean sparse,
                        RecallRecorder recorder, float[] out) {
        RecallTally tally = recorder == null ? null : new RecallTally(geometry.numHeads());
        for (PieceQueries pq : pieces) {
            if (sparse) {
                SparsePrefill.run(this, pq, layer, kv, scale, sparseConfig.layer(layer), out, tally, recorder);
            } else {
                dense(pq, layer, kv, scale, out);
                if (tally != null) tally.addDense(pq.piece());
            }
        }
        if (tally != null) tally.report(recorder, layer);
    }

    /** A step on the CPU: the sequences' views and pieces, planned once and used by every layer. */
    private final class CpuStep implements AttentionStep {
        private final StepMetadata m;
        private final HostKvCache cache;
        private final SequenceKv[] views;
        private final Rope.Angles[] keyAngles;
        private float[] plannedFor;
        private List<List<PieceQueries>> pieces;

        CpuStep(StepMetadata m, HostKvCache cache) {
            this.m = m;
            this.cache = cache;
            this.views = new SequenceKv[m.numSeqs()];
            for (int s = 0; s < views.length; s++) views[s] = new SequenceKv(cache, m.blockTable(s), m.seqLens()[s]);
            // Key rotations depend only on positions: the same for every layer.
            this.keyAngles = new Rope.Angles[m.numTokens()];
            for (int i = 0; i < keyAngles.length; i++) {
                long kp = geometry.keyPosition(m.positions()[i]);
                keyAngles[i] = i > 0 && geometry.keyPosition(m.positions()[i - 1]) == kp ? keyAngles[i - 1] : rope.angles(kp);
            }
        }

        @Override
        public void forward(int layer, DeviceBuffer qkvBuffer, Weight qkvBias, DeviceBuffer outBuffer) {
            int qDim = geometry.qDim(), kvDim = geometry.kvDim();
            float[] qkv = CpuBuffer.data(qkvBuffer), out = CpuBuffer.data(outBuffer);
            if (qkvBuffer.cols() != qDim + 2L * kvDim || outBuffer.cols() != qDim
                    || qkvBuffer.rows() < m.numTokens() || outBuffer.rows() < m.numTokens()) {
                throw new IllegalArgumentException("attention needs qkv [" + m.numTokens() + ", " + (qDim + 2 * kvDim)
                        + "] and out [" + m.numTokens() + ", " + qDim + "]");
            }
            if (qkvBias != null) CpuBackend.addBias(qkv, m.numTokens(), qkvBias);
            writeKv(layer, qkv);
            List<List<PieceQueries>> planned = plan(qkv);
            List<Small> small = new ArrayList<>();
            for (int s = 0; s < m.numSeqs(); s++) {
                int rows = m.rows(s);
                float scale = scalarScale(m.scaleRule(), m.requestLengths()[s]);
                boolean sparse = usesSparse(layer, rows, m.sparse()[s], m.requestLengths()[s]);
                if (!sparse && m.recorder() == null && rows <= SPLIT_KEYS_MAX_ROWS) {
                    for (PieceQueries pq : planned.get(s)) small.add(new Small(pq, views[s], scale));
                } else {
                    attend(layer, planned.get(s), views[s], scale, sparse, m.recorder(), out);
                }
            }
            if (!small.isEmpty()) denseSplitKeys(small, layer, out);
        }

        /** Rotates each new key at its cache position (p, or p mod L under DCA) and stores K/V at its slot. */
        private void writeKv(int layer, float[] qkv) {
            int qDim = geometry.qDim(), kvDim = geometry.kvDim(), hd = geometry.headDim(), stride = qDim + 2 * kvDim;
            int blockSize = cache.blockSize();
            for (int i = 0; i < m.numTokens(); i++) {
                int slot = m.slotMapping()[i];
                int block = slot / blockSize, off = (slot % blockSize) * kvDim;
                float[] kb = cache.keyBlock(layer, block), vb = cache.valueBlock(layer, block);
                int k = i * stride + qDim;
                for (int h = 0; h < geometry.numKvHeads(); h++) {
                    rope.rotate(qkv, k + h * hd, kb, off + h * hd, keyAngles[i]);
                }
                System.arraycopy(qkv, k + kvDim, vb, off, kvDim);
            }
        }

        /** Pieces with their query rotations, built on the first layer (the qkv buffer is the same for every layer). */
        private List<List<PieceQueries>> plan(float[] qkv) {
            if (plannedFor == qkv) return pieces;
            int stride = geometry.qDim() + 2 * geometry.kvDim();
            pieces = new ArrayList<>(m.numSeqs());
            for (int s = 0; s < m.numSeqs(); s++) {
                List<PieceQueries> list = new ArrayList<>();
                int start = m.startPositions()[s];
                for (Piece piece : Piece.split(geometry.dca(), start, m.seqLens()[s])) {
                    list.add(new PieceQueries(rope, geometry.dca(), qkv, stride, m.cuSeqlensQ()[s], start, piece, m.scaleRule()));
                }
                pieces.add(list);
            }
            plannedFor = qkv;
            return pieces;
        }
    }

    /** A piece of few rows (decode) of one sequence, attended with split keys in a batch-wide loop. */
    private record Small(PieceQueries pq, SequenceKv kv, float scale) {}

    /** Dense attention of one piece, every head, into out. */
    void dense(PieceQueries pq, int layer, SequenceKv kv, float scale, float[] out) {
        Piece piece = pq.piece();
        if (piece.rows() <= SPLIT_KEYS_MAX_ROWS) {
            denseSplitKeys(List.of(new Small(pq, kv, scale)), layer, out);
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
            int outOff = pq.outRow(r0) * qDim + kvHead * group * headDim;
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
     * Dense attention of pieces of very few rows (decode), of one or many sequences: too few (KV head, row block)
     * tasks per piece to occupy the pool, so each part's keys are also split into fixed segments of
     * {@link #keySegment} keys, and the segments of every piece and KV head run as the tasks of one parallel loop,
     * then merge by LSE like parts. The split depends only on each piece's key count, never on the thread count or
     * the batch, so results stay deterministic and a sequence gets the same output alone or in a batch.
     */
    private void denseSplitKeys(List<Small> pieces, int layer, float[] out) {
        int headDim = geometry.headDim();
        int qDim = geometry.qDim();
        int group = geometry.groupSize();
        int kvHeads = geometry.numKvHeads();
        List<int[]> units = new ArrayList<>(); // {piece, part, keyFrom, keyTo}
        int[] firstUnit = new int[pieces.size() + 1];
        for (int i = 0; i < pieces.size(); i++) {
            firstUnit[i] = units.size();
            Piece piece = pieces.get(i).pq().piece();
            List<DcaPart> parts = piece.parts();
            for (int a = 0; a < parts.size(); a++) {
                DcaPart part = parts.get(a);
                // Causal keys after the last row are never seen.
                int to = part.causal() ? Math.min(part.keyTo(), piece.end()) : part.keyTo();
                for (int k = part.keyFrom(); k < to; k += keySegment) units.add(new int[] {i, a, k, Math.min(to, k + keySegment)});
            }
        }
        firstUnit[pieces.size()] = units.size();
        int u = units.size();
        float[][][] o = new float[kvHeads][u][];
        float[][][] lse = new float[kvHeads][u][];
        parallel(kvHeads * u, task -> {
            int kvHead = task / u;
            int[] unit = units.get(task % u);
            Small sp = pieces.get(unit[0]);
            Piece piece = sp.pq().piece();
            int rows = piece.rows();
            int groupRows = group * rows;
            float[] qb = new float[groupRows * headDim];
            float[] ob = new float[groupRows * headDim];
            float[] lb = new float[groupRows];
            for (int g = 0; g < group; g++) sp.pq().rotate(unit[1], kvHead * group + g, 0, rows, qb, g * rows * headDim);
            PartAttention.attend(qb, 0, group, rows, headDim, piece.begin(), sp.kv(), layer, kvHead,
                    Keys.range(unit[2], unit[3]), piece.parts().get(unit[1]).causal(), sp.scale(), ob, 0, lb, 0);
            o[kvHead][task % u] = ob;
            lse[kvHead][task % u] = lb;
        });
        for (int i = 0; i < pieces.size(); i++) {
            PieceQueries pq = pieces.get(i).pq();
            int rows = pq.piece().rows();
            int from = firstUnit[i], count = firstUnit[i + 1] - from;
            for (int kvHead = 0; kvHead < kvHeads; kvHead++) {
                float[][] po = java.util.Arrays.copyOfRange(o[kvHead], from, from + count);
                float[][] pl = java.util.Arrays.copyOfRange(lse[kvHead], from, from + count);
                for (int g = 0; g < group; g++) {
                    int outOff = pq.outRow(0) * qDim + (kvHead * group + g) * headDim;
                    PartAttention.merge(po, pl, count, g * rows, rows, headDim, out, outOff, qDim, null, 0);
                }
            }
        }
    }

    /** Runs tasks [0, count) on the pool; each task must write only its own outputs. */
    void parallel(int count, java.util.function.IntConsumer task) {
        ParallelLoop.run(pool, parallelism, count, task);
    }

}
