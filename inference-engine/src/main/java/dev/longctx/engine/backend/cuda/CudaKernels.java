package dev.longctx.engine.backend.cuda;

import dev.longctx.engine.attention.AttentionGeometry;
import dev.longctx.engine.attention.CpuAttention;
import dev.longctx.engine.model.DcaConfig;

/**
 * Typed launchers for the kernels in {@code src/main/cuda}, one method per kernel. Every method only queues work
 * on the context's stream; shapes are checked here, on the host, so a wrong call fails with a message instead of
 * a device fault. Layouts are row-major; "bf16" buffers hold raw bf16 bits. See each kernel's header comment for
 * its dataflow.
 *
 * <p>Not thread-safe (parameter arrays are reused): one thread drives a context.
 */
public final class CudaKernels {
    /** Query rows per prefill CTA and keys per tile, as compiled into attention.cu. */
    static final int PREFILL_ROWS = 128, KEY_TILE = 64;
    /** The decode kernel packs a GQA group into one 16-row tensor-core tile. */
    public static final int MAX_GROUP = 16;
    /** Rows of threads in decode_merge (attention.cu's MERGE_ROWS): each sums every MERGE_ROWS-th split. */
    private static final int MERGE_ROWS = 16;
    /**
     * Decode CTAs wanted per multiprocessor (see {@link #decodeSplitKeys}); {@code -Dlongctx.cuda.decodeCtasPerSm}
     * overrides it, to re-tune on another GPU.
     */
    static final int DECODE_CTAS_PER_SM = Integer.getInteger("longctx.cuda.decodeCtasPerSm", 8);

    private final CudaContext ctx;
    private final Kernel embed, addRmsNorm, qkvRope, swiglu, prefill128, prefill64, decode128, decode64, decodeMerge, sample;
    private final Kernel generic, f32ToBf16, bf16ToF32, addResidual, addBias, gatherRows;
    /** The fp32 instances of the same kernels, for the float32 dtype. */
    private final Kernel embedF32, addRmsNormF32, qkvRopeF32, swigluF32, genericF32;

    public CudaKernels(CudaContext ctx) {
        this.ctx = ctx;
        var ew = ctx.module("elementwise");
        var at = ctx.module("attention");
        var sa = ctx.module("sampling");
        embed = new Kernel(ew, "embed", "pppii");
        addRmsNorm = new Kernel(ew, "add_rmsnorm", "pppppif");
        qkvRope = new Kernel(ew, "qkv_rope_kv_write", "pipppppppiiii");
        swiglu = new Kernel(ew, "swiglu", "ppji");
        String prefillSig = "ppppppppp" + "iiiii" + "p" + "iii" + "f";
        prefill128 = new Kernel(at, "attn_prefill_d128", prefillSig).maxDynamicSharedMemory(prefillSmem(128));
        prefill64 = new Kernel(at, "attn_prefill_d64", prefillSig).maxDynamicSharedMemory(prefillSmem(64));
        String decodeSig = "ppppppppp" + "iiiiii" + "p" + "iii" + "f";
        decode128 = new Kernel(at, "attn_decode_d128", decodeSig).maxDynamicSharedMemory(decodeSmem(128));
        decode64 = new Kernel(at, "attn_decode_d64", decodeSig).maxDynamicSharedMemory(decodeSmem(64));
        decodeMerge = new Kernel(at, "decode_merge", "pppppp" + "iiii");
        sample = new Kernel(sa, "sample_tokens", "pipppppp");
        generic = new Kernel(at, "attn_generic", "ppppppppp" + "iiiiiii" + "p" + "iii" + "f");
        f32ToBf16 = new Kernel(ew, "f32_to_bf16", "ppj");
        bf16ToF32 = new Kernel(ew, "bf16_to_f32", "ppj");
        addResidual = new Kernel(ew, "add_residual", "ppij");
        addBias = new Kernel(ew, "add_bias", "pipji");
        gatherRows = new Kernel(ew, "gather_rows", "pppj");
        embedF32 = new Kernel(ew, "embed_f32", "pppii");
        addRmsNormF32 = new Kernel(ew, "add_rmsnorm_f32", "pppppif");
        qkvRopeF32 = new Kernel(ew, "qkv_rope_kv_write_f32", "pipppppppiiii");
        swigluF32 = new Kernel(ew, "swiglu_f32", "ppji");
        genericF32 = new Kernel(at, "attn_generic_f32", "ppppppppp" + "iiiiiii" + "p" + "iii" + "f");
    }

    /** Whether the tensor-core prefill and decode kernels are built for this head_dim (else {@link #genericAttention}). */
    public static boolean tensorCoreHeadDim(int headDim) { return headDim == 64 || headDim == 128; }

    public CudaContext context() { return ctx; }

    /**
     * {@code out[t, :] = table[ids[t], :]} widened to fp32 (the residual stream). ids int32 [n]; table bf16
     * [vocab, dim]; out fp32 [n, dim]. An id outside [0, vocab) yields a NaN row: validate ids on the host.
     */
    public void embed(CudaMemory ids, int n, CudaMemory table, int vocab, int dim, CudaMemory out) {
        embed(ids, n, table, true, vocab, dim, out);
    }

    /** {@link #embed} from a bf16 ({@code tableBf16}) or fp32 table. */
    public void embed(CudaMemory ids, int n, CudaMemory table, boolean tableBf16, int vocab, int dim, CudaMemory out) {
        require(ids.bytes() >= 4L * n && table.bytes() >= (tableBf16 ? 2L : 4L) * vocab * dim && out.bytes() >= 4L * n * dim,
                "embed buffers too small");
        (tableBf16 ? embed : embedF32).ptr(0, ids).ptr(1, table).ptr(2, out).i32(3, vocab).i32(4, dim)
                .launch(ctx, n, 1, 1, 256, 0);
    }

    /**
     * The fused residual add + RMSNorm between sub-layers: {@code residual += delta} (when delta is not null),
     * {@code out = residual / sqrt(mean(residual²) + eps) · weight}, fp32 math. residual fp32 [n, dim] (updated in
     * place); delta bf16 [n, dim] or null; weight fp32 [dim]; out bf16 [n, dim].
     */
    public void addRmsNorm(CudaMemory residual, CudaMemory delta, CudaMemory weight, float eps, int n, int dim,
                           CudaMemory out) {
        addRmsNorm(residual, delta, weight, eps, n, dim, out, true);
    }

    /** {@link #addRmsNorm} with delta and out both bf16 ({@code bf16}) or both fp32. */
    public void addRmsNorm(CudaMemory residual, CudaMemory delta, CudaMemory weight, float eps, int n, int dim,
                           CudaMemory out, boolean bf16) {
        long e = bf16 ? 2 : 4;
        require(residual.bytes() >= 4L * n * dim && out.bytes() >= e * n * dim && weight.bytes() >= 4L * dim
                && (delta == null || delta.bytes() >= e * n * dim), "addRmsNorm buffers too small");
        (bf16 ? addRmsNorm : addRmsNormF32).ptr(0, residual).ptr(1, delta).ptr(2, weight).ptr(3, out).ptr(4, null)
                .i32(5, dim).f32(6, eps).launch(ctx, n, 1, 1, 256, 0);
    }

    /**
     * The final norm for only the rows that need logits: {@code out[i] = RMSNorm(residual[rows[i]] + delta[rows[i]])
     * · weight}; the residual is read, not written. rows int32 [m]; out bf16 [m, dim] (the lm_head GEMM operand).
     */
    public void gatherRmsNorm(CudaMemory residual, CudaMemory delta, CudaMemory rows, int m, CudaMemory weight,
                              float eps, int dim, CudaMemory out) {
        require(rows.bytes() >= 4L * m && out.bytes() >= 2L * m * dim && weight.bytes() >= 4L * dim, "gatherRmsNorm buffers too small");
        addRmsNorm.ptr(0, residual).ptr(1, delta).ptr(2, weight).ptr(3, out).ptr(4, rows).i32(5, dim).f32(6, eps)
                .launch(ctx, m, 1, 1, 256, 0);
    }

    /**
     * After the fused QKV GEMM: adds the biases, writes q [n, H, D] bf16 (unrotated: attention rotates it per DCA
     * part), rotates k at p (p mod L under DCA) and writes k and v into the paged cache at {@code slots[t]}
     * (negative: no write). qkv bf16 [n, qkvStride] with q, k, v at columns 0, H·D, (H + Hkv)·D; bias fp32
     * [(H + 2Hkv)·D] or null; positions and slots int32 [n]. With an fp32 cache ({@link PagedKvLayer#bf16()} false)
     * qkv and q are fp32 too.
     */
    public void qkvRopeKvWrite(RopeTable rope, CudaMemory qkv, int n, int qkvStride, CudaMemory bias, CudaMemory q,
                               PagedKvLayer kv, CudaMemory positions, CudaMemory slots) {
        AttentionGeometry g = rope.geometry();
        checkKv(g, kv);
        int width = (g.numHeads() + 2 * g.numKvHeads()) * g.headDim();
        long e = kv.elementBytes();
        require(qkvStride >= width && qkv.bytes() >= e * n * qkvStride && q.bytes() >= e * n * g.qDim()
                && positions.bytes() >= 4L * n && slots.bytes() >= 4L * n && (bias == null || bias.bytes() >= 4L * width),
                "qkvRopeKvWrite buffers too small");
        (kv.bf16() ? qkvRope : qkvRopeF32).ptr(0, qkv).i32(1, qkvStride).ptr(2, bias).ptr(3, q).ptr(4, kv.k()).ptr(5, kv.v()).ptr(6, positions)
                .ptr(7, slots).ptr(8, rope.invFreq()).i32(9, g.numHeads()).i32(10, g.numKvHeads()).i32(11, g.headDim())
                .i32(12, dcaL(g)).launch(ctx, n, 1, 1, 128, 0);
    }

    /** {@code out[r, j] = silu(gu[r, j]) · gu[r, inter + j]}: gu bf16 [n, 2·inter] (gate then up), out bf16 [n, inter]. */
    public void swiglu(CudaMemory gateUp, long n, int inter, CudaMemory out) {
        require(gateUp.bytes() >= 4L * n * inter && out.bytes() >= 2L * n * inter, "swiglu buffers too small");
        long work = inter % 8 == 0 ? n * inter / 8 : n * inter;
        int grid = (int) Math.max(1, Math.min((work + 255) / 256, 32L * ctx.multiprocessors()));
        swiglu.ptr(0, gateUp).ptr(1, out).i64(2, n).i32(3, inter).launch(ctx, grid, 1, 1, 256, 0);
    }

    /** {@link #swiglu} with gu fp32 [n, 2·inter] and out fp32 [n, inter]. */
    public void swigluF32(CudaMemory gateUp, long n, int inter, CudaMemory out) {
        require(gateUp.bytes() >= 8L * n * inter && out.bytes() >= 4L * n * inter, "swiglu buffers too small");
        swigluF32.ptr(0, gateUp).ptr(1, out).i64(2, n).i32(3, inter).launch(ctx, gridFor(n * inter), 1, 1, 256, 0);
    }

    /**
     * Prefill (and chunked-prefill) attention over the paged cache, every sequence of the batch in one launch:
     * dense causal RoPE attention, or DCA's intra/succ/inter parts merged by one online softmax (ALGORITHMS.md §1),
     * with the per-sequence temperature rule of {@link AttentionBatch#scaleLens}. q bf16 [numTokens, H, D]
     * (unrotated); out bf16 [numTokens, H, D]; lse fp32 [numTokens, H] (natural log). The step's K/V must already
     * be in the cache ({@link #qkvRopeKvWrite}). Any query length works, decode too; {@link #decodeAttention} is
     * faster for one-token sequences.
     */
    public void prefillAttention(RopeTable rope, CudaMemory q, PagedKvLayer kv, AttentionBatch b, CudaMemory out,
                                 CudaMemory lse) {
        AttentionGeometry g = rope.geometry();
        checkKv(g, kv);
        checkOutputs(g, q, b, out, lse);
        require(tensorCoreHeadDim(g.headDim()), "the prefill kernel is built for head_dim 64 and 128, not " + g.headDim());
        require(kv.bf16(), "the tensor-core kernels read a bf16 KV cache");
        int L = dcaL(g);
        // Tiles are cut at DCA chunk boundaries: at most N/128 + (pieces) of them, pieces ≤ seqs + N/L + seqs. Spare
        // CTAs find no tile and exit.
        long tiles = ceilDiv(b.numTokens(), PREFILL_ROWS) + b.numSeqs() + (L > 0 ? ceilDiv(b.numTokens(), L) + b.numSeqs() : 0);
        require(tiles <= 65535, "prefill of " + b.numTokens() + " tokens needs more than 65535 query tiles");
        Kernel k = g.headDim() == 128 ? prefill128 : prefill64;
        k.ptr(0, q).ptr(1, out).ptr(2, lse).ptr(3, kv.k()).ptr(4, kv.v()).ptr(5, b.cuSeqlensQ()).ptr(6, b.seqLens())
                .ptr(7, b.blockTables()).ptr(8, b.scaleLens()).i32(9, b.numSeqs()).i32(10, g.numHeads())
                .i32(11, g.numKvHeads()).i32(12, kv.blockSize()).i32(13, b.maxBlocksPerSeq()).ptr(14, rope.invFreq());
        setDca(k, 15, g).f32(18, smScale(g)).launch(ctx, g.numHeads(), (int) tiles, 1, 128, prefillSmem(g.headDim()));
    }

    /**
     * Decode attention: every sequence of the batch has exactly one new query (row cuSeqlensQ[s]) at position
     * seqLens[s] − 1. Its keys are split into segments computed in parallel and merged by LSE (split-K), each
     * segment with the DCA query variant of the part its keys belong to. workspace ≥
     * {@link #decodeWorkspaceBytes}; out bf16 [numTokens, H, D]; lse fp32 [numTokens, H].
     */
    public void decodeAttention(RopeTable rope, CudaMemory q, PagedKvLayer kv, AttentionBatch b, CudaMemory workspace,
                                CudaMemory out, CudaMemory lse) {
        AttentionGeometry g = rope.geometry();
        checkKv(g, kv);
        checkOutputs(g, q, b, out, lse);
        require(tensorCoreHeadDim(g.headDim()), "the decode kernel is built for head_dim 64 and 128, not " + g.headDim());
        require(kv.bf16(), "the tensor-core kernels read a bf16 KV cache");
        require(g.groupSize() <= MAX_GROUP, "decode supports at most " + MAX_GROUP + " query heads per KV head, got " + g.groupSize());
        int split = decodeSplitKeys(b.numSeqs(), g.numKvHeads(), b.maxSeqLen());
        int splits = ceilDiv(b.maxSeqLen(), split);
        long partO = 4L * b.numSeqs() * g.numHeads() * splits * g.headDim();
        require(workspace.bytes() >= decodeWorkspaceBytes(b.numSeqs(), g, b.maxSeqLen()), "decode workspace too small");
        CudaMemory o = workspace.view(0, partO);
        CudaMemory l = workspace.view(partO, 4L * b.numSeqs() * g.numHeads() * splits);
        Kernel k = g.headDim() == 128 ? decode128 : decode64;
        k.ptr(0, q).ptr(1, o).ptr(2, l).ptr(3, kv.k()).ptr(4, kv.v()).ptr(5, b.cuSeqlensQ()).ptr(6, b.seqLens())
                .ptr(7, b.blockTables()).ptr(8, b.scaleLens()).i32(9, g.numHeads()).i32(10, g.numKvHeads())
                .i32(11, kv.blockSize()).i32(12, b.maxBlocksPerSeq()).i32(13, split).i32(14, splits).ptr(15, rope.invFreq());
        setDca(k, 16, g).f32(19, smScale(g)).launch(ctx, splits, g.numKvHeads(), b.numSeqs(), 128, decodeSmem(g.headDim()));
        decodeMerge.ptr(0, o).ptr(1, l).ptr(2, b.cuSeqlensQ()).ptr(3, b.seqLens()).ptr(4, out).ptr(5, lse)
                .i32(6, g.numHeads()).i32(7, g.headDim()).i32(8, split).i32(9, splits)
                .launch(ctx, b.numSeqs(), g.numHeads(), 1, MERGE_ROWS * g.headDim() / 4,
                        4 * (splits + MERGE_ROWS * g.headDim() + 32));
    }

    /**
     * Prefill and decode rows of every sequence of a step in one launch, for any even head_dim ≤ 256, without
     * tensor cores (one warp per row and head): for head dims the tensor-core kernels lack. Same inputs and outputs
     * as {@link #prefillAttention}; the batch must be the whole step (its rows 0 .. numTokens). With an fp32 cache
     * q and out are fp32 too (the float32 dtype).
     */
    public void genericAttention(RopeTable rope, CudaMemory q, PagedKvLayer kv, AttentionBatch b, CudaMemory out,
                                 CudaMemory lse) {
        AttentionGeometry g = rope.geometry();
        checkKv(g, kv);
        checkOutputs(g, q, b, out, lse, kv.elementBytes());
        long warps = (long) b.numTokens() * g.numHeads();
        Kernel generic = kv.bf16() ? this.generic : genericF32;
        require(ceilDiv(warps, 4) <= Integer.MAX_VALUE, "a step of " + b.numTokens() + " tokens is too large for one launch");
        generic.ptr(0, q).ptr(1, out).ptr(2, lse).ptr(3, kv.k()).ptr(4, kv.v()).ptr(5, b.cuSeqlensQ()).ptr(6, b.seqLens())
                .ptr(7, b.blockTables()).ptr(8, b.scaleLens()).i32(9, b.numSeqs()).i32(10, b.numTokens())
                .i32(11, g.numHeads()).i32(12, g.numKvHeads()).i32(13, g.headDim()).i32(14, kv.blockSize())
                .i32(15, b.maxBlocksPerSeq()).ptr(16, rope.invFreq());
        setDca(generic, 17, g).f32(20, smScale(g)).launch(ctx, (int) ceilDiv(warps, 4), 1, 1, 128, 0);
    }

    /** {@code dst[i] = bf16(src[i])}, i < n: src fp32, dst bf16. */
    public void toBf16(CudaMemory src, CudaMemory dst, long n) {
        require(src.bytes() >= 4 * n && dst.bytes() >= 2 * n, "toBf16 buffers too small");
        f32ToBf16.ptr(0, src).ptr(1, dst).i64(2, n).launch(ctx, gridFor(n), 1, 1, 256, 0);
    }

    /** {@code dst[i] = float(src[i])}, i < n: src bf16, dst fp32. */
    public void toF32(CudaMemory src, CudaMemory dst, long n) {
        require(src.bytes() >= 2 * n && dst.bytes() >= 4 * n, "toF32 buffers too small");
        bf16ToF32.ptr(0, src).ptr(1, dst).i64(2, n).launch(ctx, gridFor(n), 1, 1, 256, 0);
    }

    /** {@code acc[i] += delta[i]}, i < n: acc fp32, delta bf16 ({@code deltaBf16}) or fp32. */
    public void addResidual(CudaMemory acc, CudaMemory delta, boolean deltaBf16, long n) {
        require(acc.bytes() >= 4 * n && delta.bytes() >= (deltaBf16 ? 2 : 4) * n, "addResidual buffers too small");
        addResidual.ptr(0, acc).ptr(1, delta).i32(2, deltaBf16 ? 1 : 0).i64(3, n).launch(ctx, gridFor(n), 1, 1, 256, 0);
    }

    /** {@code x[r, :] += bias} for r < rows: x bf16 ({@code xBf16}) or fp32 [rows, cols], bias fp32 [cols]. */
    public void addBias(CudaMemory x, boolean xBf16, CudaMemory bias, long rows, int cols) {
        require(x.bytes() >= (xBf16 ? 2 : 4) * rows * cols && bias.bytes() >= 4L * cols, "addBias buffers too small");
        addBias.ptr(0, x).i32(1, xBf16 ? 1 : 0).ptr(2, bias).i64(3, rows).i32(4, cols)
                .launch(ctx, gridFor(rows * cols), 1, 1, 256, 0);
    }

    /** {@code out[i, :] = src[rows[i], :]}, i < m, rows of {@code rowBytes} (even) bytes; rows int32 [m]. */
    public void gatherRows(CudaMemory src, CudaMemory rows, int m, long rowBytes, CudaMemory out) {
        require(rowBytes % 2 == 0 && rows.bytes() >= 4L * m && out.bytes() >= rowBytes * m, "gatherRows buffers too small");
        gatherRows.ptr(0, src).ptr(1, rows).ptr(2, out).i64(3, rowBytes / 2).launch(ctx, m, 1, 1, 256, 0);
    }

    private int gridFor(long n) {
        return (int) Math.max(1, Math.min((n + 255) / 256, 32L * ctx.multiprocessors()));
    }

    /** Workspace bytes {@link #decodeAttention} needs for this many sequences of at most maxSeqLen keys. */
    public long decodeWorkspaceBytes(int numSeqs, AttentionGeometry g, int maxSeqLen) {
        int splits = ceilDiv(maxSeqLen, decodeSplitKeys(numSeqs, g.numKvHeads(), maxSeqLen));
        return 4L * numSeqs * g.numHeads() * splits * (g.headDim() + 1);
    }

    /**
     * Keys per decode split: enough splits for {@link #DECODE_CTAS_PER_SM} CTAs per multiprocessor over (sequences ×
     * KV heads) — a few waves of 3 resident CTAs, so the last wave is short, and many tiles in flight per SM — never
     * under 128 keys (a split's fixed cost is its Q rotation and its share of the merge), a multiple of the 64-key
     * tile. Measured on the H200, 7B geometry, 128K keys, batch 1, whole decode step (BENCHMARKS.md §4): 8 CTAs per
     * SM (512-key splits) 7.98 ms, against 8.19 at 4, 8.36 at 12 and 8.52 at 16; 32 was 1.3 ms slower than 8 in an
     * earlier call.
     */
    int decodeSplitKeys(int numSeqs, int numKvHeads, int maxSeqLen) {
        long wantSplits = Math.max(1, ceilDiv((long) DECODE_CTAS_PER_SM * ctx.multiprocessors(), (long) numSeqs * numKvHeads));
        long keys = ceilDiv(maxSeqLen, wantSplits);
        return (int) Math.max(128, ceilDiv(keys, KEY_TILE) * KEY_TILE);
    }

    /**
     * Samples one token per logits row (see sampling.cu): greedy below temperature 1e-5, else min-p, top-k, top-p
     * and a draw, in the CPU sampler's order. logits fp32 [m, vocab] — overwritten by the weights; outIds int32 [m].
     */
    public void sample(CudaMemory logits, int m, int vocab, SamplingInputs p, CudaMemory outIds) {
        require(logits.bytes() >= 4L * m * vocab && outIds.bytes() >= 4L * m && p.seeds().bytes() >= 8L * m
                && p.temperature().bytes() >= 4L * m && p.topK().bytes() >= 4L * m && p.topP().bytes() >= 4L * m
                && p.minP().bytes() >= 4L * m, "sample buffers too small");
        sample.ptr(0, logits).i32(1, vocab).ptr(2, p.temperature()).ptr(3, p.topK()).ptr(4, p.topP()).ptr(5, p.minP())
                .ptr(6, p.seeds()).ptr(7, outIds).launch(ctx, m, 1, 1, 1024, 0);
    }

    /**
     * Workspace bytes {@link #decodeAttention} needs for up to {@code numSeqs} sequences of any length: the split
     * rule makes at most wantSplits + 1 splits per sequence, so sequences × splits stay below
     * DECODE_CTAS_PER_SM·SMs / Hkv + 2·numSeqs + 1 whatever the context.
     */
    public long decodeWorkspaceBound(int numSeqs, AttentionGeometry g) {
        long pairs = ceilDiv((long) DECODE_CTAS_PER_SM * ctx.multiprocessors(), g.numKvHeads()) + 2L * numSeqs + 1;
        return 4L * pairs * g.numHeads() * (g.headDim() + 1);
    }

    /** RoPE inverse frequencies on the device for one attention geometry (uploaded once per model). */
    public RopeTable ropeTable(AttentionGeometry g) {
        if (g.headDim() % 2 != 0 || g.headDim() > 256) {
            throw new IllegalArgumentException("the CUDA attention kernels take an even head_dim of at most 256, got " + g.headDim());
        }
        if (g.numHeads() % g.numKvHeads() != 0) {
            throw new IllegalArgumentException(g.numHeads() + " query heads are not a multiple of " + g.numKvHeads() + " KV heads");
        }
        double[] inv = invFreq(g.headDim(), g.ropeTheta());
        CudaMemory b = ctx.allocate(8L * inv.length);
        b.copyFrom(inv);
        return new RopeTable(g, b);
    }

    /** The device copy of θ^(−2i/d), i < d/2, with its geometry; close it with the model. */
    public record RopeTable(AttentionGeometry geometry, CudaMemory invFreq) implements AutoCloseable {
        @Override
        public void close() { invFreq.close(); }
    }

    /** Exactly the CPU's {@code Rope} frequencies, so both backends rotate by the same angles. */
    static double[] invFreq(int headDim, double theta) {
        double[] inv = new double[headDim / 2];
        for (int i = 0; i < inv.length; i++) inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / headDim);
        return inv;
    }

    static int prefillSmem(int headDim) { return (PREFILL_ROWS + 4 * KEY_TILE) * headDim * 2; }

    static int decodeSmem(int headDim) { return Math.max((16 + 4 * KEY_TILE) * headDim * 2, (4 * 16 * headDim + 128) * 4); }

    private static Kernel setDca(Kernel k, int at, AttentionGeometry g) {
        DcaConfig d = g.dca();
        return d == null ? k.i32(at, 0).i32(at + 1, 0).i32(at + 2, 0)
                : k.i32(at, d.chunkLen()).i32(at + 1, d.chunkSize()).i32(at + 2, d.originalMaxPositionEmbeddings());
    }

    private static int dcaL(AttentionGeometry g) { return g.dca() == null ? 0 : g.dca().chunkLen(); }

    private static float smScale(AttentionGeometry g) { return (float) (1.0 / Math.sqrt(g.headDim())); }

    private static void checkKv(AttentionGeometry g, PagedKvLayer kv) {
        if (kv.numKvHeads() != g.numKvHeads() || kv.headDim() != g.headDim()) {
            throw new IllegalArgumentException("KV cache shape (" + kv.numKvHeads() + " heads × " + kv.headDim()
                    + ") does not match the attention geometry (" + g.numKvHeads() + " × " + g.headDim() + ")");
        }
        CpuAttention.checkBlockSize(g, kv.blockSize());
    }

    private static void checkOutputs(AttentionGeometry g, CudaMemory q, AttentionBatch b, CudaMemory out, CudaMemory lse) {
        checkOutputs(g, q, b, out, lse, 2);
    }

    private static void checkOutputs(AttentionGeometry g, CudaMemory q, AttentionBatch b, CudaMemory out, CudaMemory lse,
                                     long elementBytes) {
        long rows = b.numTokens(), e = elementBytes;
        require(q.bytes() >= e * rows * g.qDim() && out.bytes() >= e * rows * g.qDim() && lse.bytes() >= 4L * rows * g.numHeads(),
                "attention q/out/lse buffers are smaller than " + rows + " tokens × " + g.numHeads() + " heads need");
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException(message);
    }

    private static int ceilDiv(int a, int b) { return (a + b - 1) / b; }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }
}
