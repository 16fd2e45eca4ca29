package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.Attention;
import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.AttentionStep;
import dev.longctx.engine.attention.CpuAttention;
import dev.longctx.engine.attention.DcaScaleRule;
import dev.longctx.engine.attention.StepMetadata;
import dev.longctx.engine.backend.DeviceBuffer;
import dev.longctx.engine.backend.Weight;
import dev.longctx.engine.kv.KvCache;

/**
 * Attention on the GPU for a whole step: {@link #begin} uploads the step's metadata once (one copy), and each
 * layer's call runs two kernels, {@code qkv_rope_kv_write} (bias, key rotation at p or p mod L, K/V into the
 * paged cache) and then attention over the cache, dense or DCA per the geometry, with each sequence's temperature
 * rule.
 *
 * <p>Which attention kernel: for head_dim 64 and 128 the tensor-core ones, the step's sequences taken in runs of
 * the same kind (one new token: split-K decode; more: flash prefill), each run one launch on a window of the
 * metadata; for other head dims one launch of the generic kernel. A sequence's result does not depend on the run
 * it is in, except that decode's key split follows the run's size and longest sequence (so a batch may differ from
 * a lone run by rounding, never by more).
 *
 * <p>Under the float32 dtype q, the output and the cache are fp32 and the generic kernel's fp32 instance runs every
 * head_dim.
 *
 * <p>Sparse prefill is not on the GPU yet ({@link CudaBackend#sparsePrefill} is false: the model drops its budgets,
 * so no step asks for it). Recall recording (a CPU calibration tool) is refused.
 */
final class CudaAttention implements Attention {
    /** Decode sequences whose workspace {@link #reserve} sets aside before the KV cache takes the rest. */
    private static final int RESERVED_DECODE_SEQS = 256;
    /**
     * Block-table rows go to the device padded to a multiple of this many blocks, so a growing sequence changes the
     * launch parameters (and with them a recorded decode graph, {@link Step#replayShape}) once per 64 blocks.
     */
    private static final int TABLE_WIDTH_QUANTUM = 64;

    private final CudaBackend backend;
    private final CudaKernels kernels;
    private final AttentionGeometry geometry;
    private final CudaKernels.RopeTable rope;
    private final boolean tensorCores;
    /** 2 (bf16 q, output and cache) or 4 (fp32: the float32 dtype). */
    private final int elementBytes;
    /** q, the kernels' output when the caller's buffer has the other type, LSE, decode's split workspace. */
    private CudaMemory metadata, q, lse, outScratch, workspace;

    /** @param tensorCores false: the generic kernel even where tensor-core kernels exist (tests) */
    CudaAttention(CudaBackend backend, AttentionGeometry geometry, boolean tensorCores) {
        if (geometry.numKvHeads() <= 0 || geometry.numHeads() % geometry.numKvHeads() != 0) {
            throw new IllegalArgumentException("num heads " + geometry.numHeads()
                    + " must be a positive multiple of num KV heads " + geometry.numKvHeads());
        }
        this.backend = backend;
        this.kernels = backend.kernels();
        this.geometry = geometry;
        this.rope = kernels.ropeTable(geometry);
        backend.own(rope.invFreq());
        this.elementBytes = backend.float32() ? 4 : 2;
        this.tensorCores = tensorCores && elementBytes == 2 && CudaKernels.tensorCoreHeadDim(geometry.headDim())
                && geometry.groupSize() <= CudaKernels.MAX_GROUP;
    }

    @Override
    public AttentionGeometry geometry() { return geometry; }

    /** Sizes the per-step buffers for steps of up to maxTokens tokens now, before the KV cache takes the rest. */
    @Override
    public void reserve(int maxTokens) {
        backend.enter();
        ensureRows(maxTokens);
        if (tensorCores) ensureWorkspace(kernels.decodeWorkspaceBound(Math.min(maxTokens, RESERVED_DECODE_SEQS), geometry));
    }

    @Override
    public AttentionStep begin(StepMetadata step, KvCache cache) {
        backend.enter();
        if (!(cache instanceof CudaKvCache kv)) {
            throw new IllegalArgumentException("the CUDA attention needs the CUDA backend's KV cache, got "
                    + cache.getClass().getSimpleName());
        }
        if (kv.spec().dtype() != backend.kvDtype()) {
            throw new IllegalArgumentException("a " + kv.spec().dtype() + " KV cache for attention in " + backend.kvDtype());
        }
        if (kv.headDim() != geometry.headDim() || kv.numKvHeads() != geometry.numKvHeads()) {
            throw new IllegalArgumentException("KV cache shape (" + kv.numKvHeads() + " heads × " + kv.headDim()
                    + ") does not match the attention geometry (" + geometry.numKvHeads() + " × " + geometry.headDim() + ")");
        }
        CpuAttention.checkBlockSize(geometry, step.blockSize());
        if (step.blockSize() != kv.blockSize()) {
            throw new IllegalArgumentException("step metadata block size " + step.blockSize() + " ≠ KV cache block size " + kv.blockSize());
        }
        if (step.recorder() != null) {
            throw new UnsupportedOperationException("attention recall is recorded on the CPU backend only (--device cpu)");
        }
        checkSlots(step, kv);
        return new Step(step, kv);
    }

    /** A slot outside the cache would be a write to another allocation: refuse the step instead. */
    private static void checkSlots(StepMetadata m, CudaKvCache kv) {
        long slots = (long) kv.numBlocks() * kv.blockSize();
        for (int s : m.slotMapping()) {
            if (s < 0 || s >= slots) throw new IllegalArgumentException("slot " + s + " outside a KV cache of " + slots + " slots");
        }
        for (int b : m.blockTables()) {
            if (b >= kv.numBlocks()) throw new IllegalArgumentException("block " + b + " outside a KV cache of " + kv.numBlocks() + " blocks");
        }
    }

    /** q, out and LSE for at least {@code rows} tokens. */
    private void ensureRows(int rows) {
        long qBytes = (long) elementBytes * rows * geometry.qDim();
        if (q == null || q.bytes() < qBytes) {
            q = replace(q, qBytes);
            outScratch = replace(outScratch, qBytes);
            lse = replace(lse, 4L * rows * geometry.numHeads());
        }
    }

    private void ensureWorkspace(long bytes) {
        if (workspace == null || workspace.bytes() < bytes) workspace = replace(workspace, bytes);
    }

    private void ensureMetadata(long bytes) {
        if (metadata == null || metadata.bytes() < bytes) metadata = replace(metadata, Math.max(bytes, 1 << 16));
    }

    private CudaMemory replace(CudaMemory old, long bytes) {
        if (old != null) {
            backend.context().synchronize();   // earlier steps' kernels may still use it
            old.close();
            backend.dropGraphs();              // recordings may name it
        }
        return backend.own(backend.context().allocate(Math.max(bytes, 16)));
    }

    /** One step: its metadata on the device, read by every layer. */
    private final class Step implements AttentionStep {
        private final StepMetadata m;
        private final CudaKvCache kv;
        private final CudaMemory positions, slots, cuQ, seqLens, scaleLens, blockTables;
        private final int[] hostCuQ;
        /** Entries per block-table row on the device: the step's widest, padded to {@link #TABLE_WIDTH_QUANTUM}. */
        private final int tableWidth;

        Step(StepMetadata m, CudaKvCache kv) {
            this.m = m;
            this.kv = kv;
            int n = m.numTokens(), s = m.numSeqs(), width = m.maxBlocksPerSeq();
            tableWidth = Math.max(1, ceilDiv(width, TABLE_WIDTH_QUANTUM) * TABLE_WIDTH_QUANTUM);
            int tables = s * tableWidth;
            ensureRows(n);
            // Packed into one host array and one copy: [positions n | slots n | cuQ s+1 | seqLens s | scaleLens s | tables]
            int[] packed = new int[2 * n + 3 * s + 1 + tables];
            System.arraycopy(m.positions(), 0, packed, 0, n);
            System.arraycopy(m.slotMapping(), 0, packed, n, n);
            System.arraycopy(m.cuSeqlensQ(), 0, packed, 2 * n, s + 1);
            System.arraycopy(m.seqLens(), 0, packed, 2 * n + s + 1, s);
            for (int i = 0; i < s; i++) packed[2 * n + 2 * s + 1 + i] = scaleLen(m, i);
            // Padding entries stay block 0: keys past a sequence's length are never read.
            for (int i = 0; i < s; i++) {
                System.arraycopy(m.blockTables(), i * width, packed, 2 * n + 3 * s + 1 + i * tableWidth, width);
            }
            ensureMetadata(4L * packed.length);
            metadata.view(0, 4L * packed.length).copyFrom(packed);
            positions = ints(0, n);
            slots = ints(n, n);
            cuQ = ints(2 * n, s + 1);
            seqLens = ints(2 * n + s + 1, s);
            scaleLens = ints(2 * n + 2 * s + 1, s);
            blockTables = ints(2 * n + 3 * s + 1, Math.max(1, tables));
            hostCuQ = m.cuSeqlensQ();
        }

        private CudaMemory ints(int at, int count) {
            return metadata.view(4L * at, 4L * Math.max(1, count));
        }

        @Override
        public void forward(int layer, DeviceBuffer qkvBuffer, Weight qkvBias, DeviceBuffer outBuffer) {
            backend.enter();
            int n = m.numTokens(), qDim = geometry.qDim(), stride = qDim + 2 * geometry.kvDim();
            CudaBuffer qkv = CudaBuffer.cast(qkvBuffer), out = CudaBuffer.cast(outBuffer);
            if (qkv.cols() != stride || out.cols() != qDim || qkv.rows() < n || out.rows() < n) {
                throw new IllegalArgumentException("attention needs qkv [" + n + ", " + stride + "] and out [" + n + ", " + qDim + "]");
            }
            if (layer < 0 || layer >= kv.numLayers()) {
                throw new IllegalArgumentException("layer " + layer + " outside a KV cache of " + kv.numLayers() + " layers");
            }
            CudaWeight bias = qkvBias == null ? null : CudaWeight.cast(qkvBias).requireVector();
            if (bias != null && bias.cols() != stride) {
                throw new IllegalArgumentException("a q/k/v bias of " + bias.cols() + " for rows of " + stride);
            }
            boolean bf16 = elementBytes == 2;
            CudaMemory qkvIn = qkv.bf16() == bf16 ? qkv.memory() : converted(qkv, (long) n * stride);
            PagedKvLayer layerKv = kv.layer(layer);
            kernels.qkvRopeKvWrite(rope, qkvIn, n, stride, bias == null ? null : bias.data(), q, layerKv, positions, slots);
            CudaMemory o = out.bf16() == bf16 ? out.memory() : outScratch;
            if (tensorCores) runs(layerKv, o);
            else kernels.genericAttention(rope, q, layerKv, batch(0, m.numSeqs()), o, lse);
            if (out.bf16() != bf16) {
                if (bf16) kernels.toF32(outScratch, out.memory(), (long) n * qDim);
                else kernels.toBf16(outScratch, out.memory(), (long) n * qDim);
            }
        }

        /** qkv in the attention's element type, through scratch. */
        private CudaMemory converted(CudaBuffer qkv, long elements) {
            CudaMemory s = backend.scratch(3, elementBytes * elements);
            if (elementBytes == 2) kernels.toBf16(qkv.memory(), s, elements);
            else kernels.toF32(qkv.memory(), s, elements);
            return s;
        }

        /** Runs of consecutive sequences of one kind, one launch each. */
        private void runs(PagedKvLayer layerKv, CudaMemory o) {
            int s0 = 0;
            while (s0 < m.numSeqs()) {
                boolean decode = m.rows(s0) == 1;
                int s1 = s0 + 1;
                while (s1 < m.numSeqs() && (m.rows(s1) == 1) == decode) s1++;
                AttentionBatch b = batch(s0, s1);
                if (decode) {
                    ensureWorkspace(kernels.decodeWorkspaceBytes(b.numSeqs(), geometry, b.maxSeqLen()));
                    kernels.decodeAttention(rope, q, layerKv, b, workspace, o, lse);
                } else {
                    kernels.prefillAttention(rope, q, layerKv, b, o, lse);
                }
                s0 = s1;
            }
        }

        /** Sequences [s0, s1) as a window of the uploaded metadata (rows stay absolute). */
        private AttentionBatch batch(int s0, int s1) {
            int count = s1 - s0, maxLen = 0;
            for (int s = s0; s < s1; s++) maxLen = Math.max(maxLen, m.seqLens()[s]);
            return new AttentionBatch(count, hostCuQ[s1] - hostCuQ[s0], maxLen,
                    cuQ.view(4L * s0, 4L * (count + 1)), seqLens.view(4L * s0, 4L * count),
                    blockTables.view(4L * s0 * tableWidth, 4L * count * tableWidth), tableWidth,
                    scaleLens.view(4L * s0, 4L * count));
        }

        /**
         * A decode batch (one new token per sequence) launches what its cache, batch size, table width and, for
         * the split-K kernel, key split decide; everything else it reads from the metadata buffer. Prefill and
         * mixed steps: null.
         */
        @Override
        public Object replayShape() {
            if (m.numTokens() != m.numSeqs()) return null;
            if (!tensorCores) return new DecodeShape(kv, false, m.numSeqs(), tableWidth, 0, 0);
            int maxLen = 0;
            for (int len : m.seqLens()) maxLen = Math.max(maxLen, len);
            int split = kernels.decodeSplitKeys(m.numSeqs(), geometry.numKvHeads(), maxLen);
            return new DecodeShape(kv, true, m.numSeqs(), tableWidth, split, ceilDiv(maxLen, split));
        }
    }

    /** What decides a decode step's launches (see {@link Step#replayShape}); the cache by identity. */
    private record DecodeShape(CudaKvCache cache, boolean splitK, int numSeqs, int tableWidth, int split, int splits) {}

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    /** The kernels' temperature input: 0 selects the position rule, T > 0 the request rule at T. */
    private int scaleLen(StepMetadata m, int s) {
        if (geometry.dca() == null || m.scaleRule() == DcaScaleRule.POSITION) return 0;
        long t = m.requestLengths()[s];
        if (t <= 0 || t > Integer.MAX_VALUE) throw new IllegalArgumentException("request length " + t + " outside (0, 2³¹)");
        return (int) t;
    }
}
