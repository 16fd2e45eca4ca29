// Paged flash attention for prefill and decode, with dense RoPE attention and Dual Chunk Attention (ALGORITHMS.md §1)
// behind the same kernels. bf16 tensor cores (mma.sync m16n8k16, fp32 accumulation), so the same code runs on
// sm_80 and sm_90.
//
// Inputs shared by both kernels (the flattened batch of one step, built by the model runner):
//   q            bf16 [numTokens, H, D]   queries with bias, NOT rotated (each DCA part rotates them itself)
//   kCache/vCache bf16 [numBlocks][blockSize][Hkv][D]   keys already rotated at p (p mod L under DCA)
//   cuSeqlensQ   int32 [numSeqs + 1]   the new tokens of sequence s are rows [cuSeqlensQ[s], cuSeqlensQ[s+1])
//   seqLens      int32 [numSeqs]       keys of s after this step's KV write; its new tokens are the last ones,
//                                      so the row r of s sits at position seqLens[s] − qlen_s + r
//   blockTables  int32 [numSeqs][maxBlocksPerSeq]
//   scaleLens    int32 [numSeqs]       DCA temperature rule: 0 = `position` (row at p uses s_f(p+1)),
//                                      T > 0 = `request` (every row uses s_f(T))
//   invFreq      double [D/2]          RoPE inverse frequencies, the host's values
//   dcaL, dcaC, dcaP                   L = c − l, c, P; dcaL = 0 means plain RoPE attention
// Outputs: O bf16 [numTokens, H, D] and LSE fp32 [numTokens, H] (natural log of Σ exp(scaled logit)).
//
// DCA as one online softmax over the union of the parts: a query tile never straddles a DCA chunk, so each part
// (inter: keys [0, prev−L) with q at min(2L−1, c); succ: [prev−L, prev) with q at min(L+i, c); intra:
// [prev, p] causal with q at i) is a contiguous key range with one rotation rule. The kernel rotates the Q tile
// into shared memory for a part, streams that part's keys, and keeps the running max/sum/accumulator across
// parts: exactly the LSE merge of §1, without writing per-part outputs. GQA reads K/V of head h / (H/Hkv) in
// place; repeated K/V are never materialised.
#include "common.cuh"

namespace {

constexpr int BN = 64;        // keys per tile
constexpr int NTHREADS = 128; // 4 warps

// Shared-memory tiles are [rows][D] bf16 with 16-byte chunks XOR-swizzled by (row & 7): ldmatrix reads 8 rows of
// one chunk column at once, and without the swizzle those 8 rows (D·2 bytes apart) would hit the same banks.
template <int D>
__device__ __forceinline__ int swz(int r, int chunk) { return r * D + ((chunk ^ (r & 7)) << 3); }

// Issues cp.async for keys [k0, k0 + BN) ∩ [.., kTo) of one KV head into sK/sV; rows past kTo are zero-filled
// (a zero V row times p = 0 stays 0, whereas stale data could be NaN).
template <int D>
__device__ __forceinline__ void load_kv_tile(bf16* sK, bf16* sV, const bf16* __restrict__ kc, const bf16* __restrict__ vc,
                                             const int* __restrict__ bt, int blockSize, int Hkv, int kvh,
                                             long long k0, long long kTo) {
    constexpr int CH = D / 8;
    for (int idx = threadIdx.x; idx < BN * CH; idx += NTHREADS) {
        const int r = idx / CH, c = idx % CH;
        const long long key = k0 + r;
        const bool valid = key < kTo;
        size_t off = 0;
        if (valid) {
            const int blk = bt[key / blockSize];
            off = (((size_t)blk * blockSize + (size_t)(key % blockSize)) * Hkv + kvh) * D + c * 8;
        }
        cp_async16(smem_addr(sK + swz<D>(r, c)), kc + off, valid ? 16 : 0);
        cp_async16(smem_addr(sV + swz<D>(r, c)), vc + off, valid ? 16 : 0);
    }
}

// Rotates `rows` query rows (head h, positions from posOf(row)) into the swizzled bf16 tile sQ; rows ≥ rows are zero.
template <int D, int ROWS, typename PosFn, typename SrcFn>
__device__ __forceinline__ void rotate_q_tile(bf16* sQ, int rows, const double* __restrict__ invFreq, PosFn posOf, SrcFn srcOf) {
    constexpr int HALF = D / 2;
    for (int idx = threadIdx.x; idx < ROWS * HALF; idx += NTHREADS) {
        const int r = idx / HALF, i = idx % HALF;
        float y1 = 0.f, y2 = 0.f;
        if (r < rows) {
            const bf16* src = srcOf(r);
            const float x1 = bf2f(src[i]), x2 = bf2f(src[i + HALF]);
            float s, c;
            rope_sincos(posOf(r), invFreq[i], &s, &c);
            y1 = x1 * c - x2 * s;
            y2 = x2 * c + x1 * s;
        }
        sQ[swz<D>(r, i >> 3) + (i & 7)] = f2bf(y1);
        sQ[swz<D>(r, (i + HALF) >> 3) + ((i + HALF) & 7)] = f2bf(y2);
    }
}

// ---------------------------------------------------------------------------------------------------------------
// Prefill: one CTA = 128 query rows × one query head; 4 warps × 32 rows; K/V tiles of 64 keys, double-buffered
// with cp.async.
//
//   q (unrotated) ─rotate per part─► sQ ─ldmatrix─► A │
//   paged K ─cp.async─► sK ─ldmatrix──────────────► B ├─mma─► S (fp32, regs) ─scale, mask, online softmax─► P (bf16 regs)
//   paged V ─cp.async─► sV ─ldmatrix.trans─────────────────────────────────────────────────────────── B ─mma─► O acc
//   end: O / l ─► out bf16;  (m + log2 l)·ln2 ─► lse
//
// The grid's y index enumerates query tiles from the end of the last sequence backwards (tiles are cut at DCA
// chunk boundaries), so the longest causal tiles start first.
template <int D>
__device__ __forceinline__ void prefill_impl(const bf16* __restrict__ q, bf16* __restrict__ out, float* __restrict__ lse,
                                             const bf16* __restrict__ kc, const bf16* __restrict__ vc,
                                             const int* __restrict__ cuQ, const int* __restrict__ seqLens,
                                             const int* __restrict__ blockTables, const int* __restrict__ scaleLens,
                                             int numSeqs, int H, int Hkv, int blockSize, int maxBlocks,
                                             const double* __restrict__ invFreq, int dcaL, int dcaC, int dcaP, float smScale) {
    constexpr int BM = 128;
    constexpr int NT = D / 8;   // n8 tiles over the head dim
    constexpr int KS = D / 16;  // k16 steps over the head dim
    extern __shared__ __align__(128) unsigned char smem_raw[];
    bf16* sQ = reinterpret_cast<bf16*>(smem_raw);
    bf16* sK = sQ + BM * D;
    bf16* sV = sK + 2 * BN * D;

    const int h = blockIdx.x;
    const int kvh = h / (H / Hkv);

    // Find this CTA's tile: sequence s, absolute rows [r0, r1).
    int tile = blockIdx.y, s = -1;
    long long r0 = 0, r1 = 0;
    for (int si = numSeqs - 1; si >= 0 && s < 0; --si) {
        const int qlen = cuQ[si + 1] - cuQ[si];
        const long long start = (long long)seqLens[si] - qlen;
        long long e = seqLens[si];
        while (e > start) {
            const long long b = dcaL > 0 ? max(start, ((e - 1) / dcaL) * (long long)dcaL) : start;
            const int nt = (int)((e - b + BM - 1) / BM);
            if (tile < nt) {
                s = si;
                r1 = e - (long long)tile * BM;
                r0 = max(b, r1 - BM);
                break;
            }
            tile -= nt;
            e = b;
        }
    }
    if (s < 0) return;

    const int qlen = cuQ[s + 1] - cuQ[s];
    const long long start = (long long)seqLens[s] - qlen;
    const long long tokBase = cuQ[s] - start;  // token row of absolute position p is tokBase + p
    const int nRows = (int)(r1 - r0);
    const int* bt = blockTables + (size_t)s * maxBlocks;
    const int sl = scaleLens[s];
    const long long prev = dcaL > 0 ? (r0 / dcaL) * dcaL : 0;

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int g = lane >> 2, t4 = lane & 3;
    const long long warpFirst = r0 + warp * 32;
    const long long warpLast = min(warpFirst + 31, r1 - 1);
    const bool warpActive = warpFirst < r1;

    // Row i of this lane (i = mt·2 + half) is tile row warp·32 + rowOff(i); absolute position r0 + that.
    auto rowOff = [&](int i) { return warp * 32 + (i >> 1) * 16 + g + (i & 1) * 8; };
    float rowScale[4];
#pragma unroll
    for (int i = 0; i < 4; i++) {
        const long long pos = r0 + rowOff(i);
        const float sf = dcaL > 0 ? dca_temperature(sl > 0 ? (long long)sl : pos + 1, dcaP) : 1.f;
        rowScale[i] = smScale * sf * sf * LC_LOG2E;
    }
    float m[4], l[4];
    float acc[2][NT][4];
#pragma unroll
    for (int i = 0; i < 4; i++) { m[i] = -INFINITY; l[i] = 0.f; }
#pragma unroll
    for (int mt = 0; mt < 2; mt++)
#pragma unroll
        for (int nt = 0; nt < NT; nt++)
#pragma unroll
            for (int e = 0; e < 4; e++) acc[mt][nt][e] = 0.f;

    const int firstPart = dcaL > 0 ? 2 : 0;
    for (int part = firstPart; part >= 0; --part) {
        long long kFrom, kTo;
        bool causal;
        if (dcaL <= 0) { kFrom = 0; kTo = r1; causal = true; }
        else if (part == 2) { if (prev < 2LL * dcaL) continue; kFrom = 0; kTo = prev - dcaL; causal = false; }
        else if (part == 1) { if (prev < dcaL) continue; kFrom = prev - dcaL; kTo = prev; causal = false; }
        else { kFrom = prev; kTo = r1; causal = true; }

        __syncthreads();  // sQ and the K/V buffers are free
        rotate_q_tile<D, BM>(sQ, nRows, invFreq,
            [&](int r) { return dca_query_position(r0 + r, part, dcaL, dcaC); },
            [&](int r) { return q + ((size_t)(tokBase + r0 + r) * H + h) * D; });

        const int nTiles = (int)((kTo - kFrom + BN - 1) / BN);
        load_kv_tile<D>(sK, sV, kc, vc, bt, blockSize, Hkv, kvh, kFrom, kTo);
        cp_async_commit();
        for (int kt = 0; kt < nTiles; kt++) {
            const int buf = kt & 1;
            if (kt + 1 < nTiles)
                load_kv_tile<D>(sK + (buf ^ 1) * BN * D, sV + (buf ^ 1) * BN * D, kc, vc, bt, blockSize, Hkv, kvh,
                                kFrom + (long long)(kt + 1) * BN, kTo);
            cp_async_commit();
            cp_async_wait<1>();
            __syncthreads();
            const long long k0 = kFrom + (long long)kt * BN;
            if (warpActive && !(causal && k0 > warpLast)) {
                const bf16* tK = sK + buf * BN * D;
                const bf16* tV = sV + buf * BN * D;
                float sacc[2][8][4];
#pragma unroll
                for (int mt = 0; mt < 2; mt++)
#pragma unroll
                    for (int nt = 0; nt < 8; nt++)
#pragma unroll
                        for (int e = 0; e < 4; e++) sacc[mt][nt][e] = 0.f;
#pragma unroll 2
                for (int kk = 0; kk < KS; kk++) {
                    uint32_t a[2][4];
#pragma unroll
                    for (int mt = 0; mt < 2; mt++) {
                        const int r = warp * 32 + mt * 16 + (lane & 15);
                        ldmatrix_x4(smem_addr(sQ + swz<D>(r, kk * 2 + (lane >> 4))), a[mt][0], a[mt][1], a[mt][2], a[mt][3]);
                    }
#pragma unroll
                    for (int np = 0; np < 4; np++) {
                        uint32_t b0, b1, b2, b3;
                        const int r = np * 16 + (lane >> 4) * 8 + (lane & 7);
                        ldmatrix_x4(smem_addr(tK + swz<D>(r, kk * 2 + ((lane >> 3) & 1))), b0, b1, b2, b3);
#pragma unroll
                        for (int mt = 0; mt < 2; mt++) {
                            mma_bf16(sacc[mt][2 * np], a[mt], b0, b1);
                            mma_bf16(sacc[mt][2 * np + 1], a[mt], b2, b3);
                        }
                    }
                }
                // Masks in tile-relative ints: key column col is valid if col < lim and, when causal, col ≤ diag(row).
                const bool needMask = (k0 + BN > kTo) || (causal && k0 + BN - 1 > warpFirst);
                const int lim = (int)min((long long)BN, kTo - k0);
                const int diagBase = (int)max(-2LL * BM, min((long long)BN, r0 - k0));  // k0 ≤ r0 + BM − 1 here
                float tmax[4] = {-INFINITY, -INFINITY, -INFINITY, -INFINITY};
#pragma unroll
                for (int mt = 0; mt < 2; mt++)
#pragma unroll
                    for (int nt = 0; nt < 8; nt++)
#pragma unroll
                        for (int e = 0; e < 4; e++) {
                            const int ri = mt * 2 + (e >> 1);
                            float x = sacc[mt][nt][e] * rowScale[ri];
                            if (needMask) {
                                const int col = nt * 8 + t4 * 2 + (e & 1);
                                if (col >= lim || (causal && col > diagBase + rowOff(ri))) x = -INFINITY;
                            }
                            sacc[mt][nt][e] = x;
                            tmax[ri] = fmaxf(tmax[ri], x);
                        }
                float corr[4], mref[4];
#pragma unroll
                for (int i = 0; i < 4; i++) {
                    tmax[i] = fmaxf(tmax[i], __shfl_xor_sync(0xffffffffu, tmax[i], 1));
                    tmax[i] = fmaxf(tmax[i], __shfl_xor_sync(0xffffffffu, tmax[i], 2));
                    const float mn = fmaxf(m[i], tmax[i]);
                    mref[i] = mn == -INFINITY ? 0.f : mn;
                    corr[i] = fast_exp2(m[i] - mref[i]);
                    m[i] = mn;
                    l[i] *= corr[i];
                }
#pragma unroll
                for (int mt = 0; mt < 2; mt++)
#pragma unroll
                    for (int nt = 0; nt < NT; nt++)
#pragma unroll
                        for (int e = 0; e < 4; e++) acc[mt][nt][e] *= corr[mt * 2 + (e >> 1)];
#pragma unroll
                for (int mt = 0; mt < 2; mt++)
#pragma unroll
                    for (int nt = 0; nt < 8; nt++)
#pragma unroll
                        for (int e = 0; e < 4; e++) {
                            const int ri = mt * 2 + (e >> 1);
                            const float p = fast_exp2(sacc[mt][nt][e] - mref[ri]);
                            sacc[mt][nt][e] = p;
                            l[ri] += p;
                        }
#pragma unroll
                for (int j = 0; j < 4; j++) {
                    uint32_t a[2][4];
#pragma unroll
                    for (int mt = 0; mt < 2; mt++) {
                        a[mt][0] = pack_bf16(sacc[mt][2 * j][0], sacc[mt][2 * j][1]);
                        a[mt][1] = pack_bf16(sacc[mt][2 * j][2], sacc[mt][2 * j][3]);
                        a[mt][2] = pack_bf16(sacc[mt][2 * j + 1][0], sacc[mt][2 * j + 1][1]);
                        a[mt][3] = pack_bf16(sacc[mt][2 * j + 1][2], sacc[mt][2 * j + 1][3]);
                    }
#pragma unroll
                    for (int dp = 0; dp < KS; dp++) {
                        uint32_t b0, b1, b2, b3;
                        const int r = j * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                        ldmatrix_x4_trans(smem_addr(tV + swz<D>(r, dp * 2 + (lane >> 4))), b0, b1, b2, b3);
#pragma unroll
                        for (int mt = 0; mt < 2; mt++) {
                            mma_bf16(acc[mt][2 * dp], a[mt], b0, b1);
                            mma_bf16(acc[mt][2 * dp + 1], a[mt], b2, b3);
                        }
                    }
                }
            }
            __syncthreads();  // the buffer just read is refilled next iteration
        }
        cp_async_wait<0>();
    }

    if (!warpActive) return;
#pragma unroll
    for (int i = 0; i < 4; i++) {
        l[i] += __shfl_xor_sync(0xffffffffu, l[i], 1);
        l[i] += __shfl_xor_sync(0xffffffffu, l[i], 2);
    }
#pragma unroll
    for (int mt = 0; mt < 2; mt++)
#pragma unroll
        for (int hh = 0; hh < 2; hh++) {
            const int ri = mt * 2 + hh;
            if (r0 + rowOff(ri) >= r1) continue;
            const size_t row = (size_t)(tokBase + r0 + rowOff(ri)) * H + h;
            const float inv = l[ri] > 0.f ? 1.f / l[ri] : 0.f;
            bf16* o = out + row * D;
#pragma unroll
            for (int nt = 0; nt < NT; nt++)
                *reinterpret_cast<uint32_t*>(o + nt * 8 + t4 * 2) =
                    pack_bf16(acc[mt][nt][hh * 2] * inv, acc[mt][nt][hh * 2 + 1] * inv);
            if (t4 == 0) lse[row] = l[ri] > 0.f ? (m[ri] + __log2f(l[ri])) * LC_LN2 : -INFINITY;
        }
}

// ---------------------------------------------------------------------------------------------------------------
// Decode, split-K: one CTA = one sequence's single new query × the G = H/Hkv query heads of one KV head × one
// split of its keys. The G heads are the rows of one m16 tile (rows ≥ G are zero), so each K/V byte is read once
// per KV head and the dot products run on the tensor cores. 4 warps share each 64-key tile, 16 keys per warp.
//
//   q ─rotate per DCA part─► sQ (16 × D) ─► A regs ─┐
//   paged K/V tiles ─cp.async (double buffer)─► smem ┴─mma─► per-warp online softmax ─► combine 4 warps
//   ─► partial O (fp32, normalised) + LSE per split ─► decode_merge ─► O bf16, LSE
template <int D>
__device__ __forceinline__ void decode_impl(const bf16* __restrict__ q, float* __restrict__ partO, float* __restrict__ partLse,
                                            const bf16* __restrict__ kc, const bf16* __restrict__ vc,
                                            const int* __restrict__ cuQ, const int* __restrict__ seqLens,
                                            const int* __restrict__ blockTables, const int* __restrict__ scaleLens,
                                            int H, int Hkv, int blockSize, int maxBlocks, int splitKeys, int maxSplits,
                                            const double* __restrict__ invFreq, int dcaL, int dcaC, int dcaP, float smScale) {
    constexpr int NT = D / 8, KS = D / 16;
    extern __shared__ __align__(128) unsigned char smem_raw[];
    bf16* sQ = reinterpret_cast<bf16*>(smem_raw);
    bf16* sK = sQ + 16 * D;
    bf16* sV = sK + 2 * BN * D;

    const int split = blockIdx.x, kvh = blockIdx.y, s = blockIdx.z;
    const int G = H / Hkv;
    const long long n = seqLens[s];
    const long long a = (long long)split * splitKeys;
    if (a >= n) return;
    const long long b = min(n, a + splitKeys);
    const long long p = n - 1;
    const size_t tok = cuQ[s];
    const int* bt = blockTables + (size_t)s * maxBlocks;
    const int sl = scaleLens[s];
    const float sf = dcaL > 0 ? dca_temperature(sl > 0 ? (long long)sl : n, dcaP) : 1.f;
    const float scale = smScale * sf * sf * LC_LOG2E;

    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int t4 = lane & 3;
    float m[2] = {-INFINITY, -INFINITY}, l[2] = {0.f, 0.f};
    float acc[NT][4];
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++) acc[nt][e] = 0.f;

    const long long kcur = dcaL > 0 ? (p / dcaL) * dcaL : 0;  // first key of the query's own DCA chunk
    const int firstPart = dcaL > 0 ? 2 : 0;
    for (int part = firstPart; part >= 0; --part) {
        long long kFrom, kTo;
        if (dcaL <= 0) { kFrom = 0; kTo = n; }
        else if (part == 2) { kFrom = 0; kTo = kcur - dcaL; }
        else if (part == 1) { kFrom = kcur - dcaL; kTo = kcur; }
        else { kFrom = kcur; kTo = n; }
        const long long lo = max(kFrom, a), hi = min(kTo, b);
        if (lo >= hi) continue;

        __syncthreads();
        const long long qpos = dca_query_position(p, part, dcaL, dcaC);
        rotate_q_tile<D, 16>(sQ, G, invFreq, [&](int) { return qpos; },
                             [&](int r) { return q + (tok * H + (size_t)kvh * G + r) * D; });
        __syncthreads();
        uint32_t qa[KS][4];
#pragma unroll
        for (int kk = 0; kk < KS; kk++)
            ldmatrix_x4(smem_addr(sQ + swz<D>(lane & 15, kk * 2 + (lane >> 4))), qa[kk][0], qa[kk][1], qa[kk][2], qa[kk][3]);

        const int nTiles = (int)((hi - lo + BN - 1) / BN);
        load_kv_tile<D>(sK, sV, kc, vc, bt, blockSize, Hkv, kvh, lo, hi);
        cp_async_commit();
        for (int kt = 0; kt < nTiles; kt++) {
            const int buf = kt & 1;
            if (kt + 1 < nTiles)
                load_kv_tile<D>(sK + (buf ^ 1) * BN * D, sV + (buf ^ 1) * BN * D, kc, vc, bt, blockSize, Hkv, kvh,
                                lo + (long long)(kt + 1) * BN, hi);
            cp_async_commit();
            cp_async_wait<1>();
            __syncthreads();
            const long long k0 = lo + (long long)kt * BN + warp * 16;
            if (k0 < hi) {
                const bf16* tK = sK + buf * BN * D;
                const bf16* tV = sV + buf * BN * D;
                float sacc[2][4] = {{0.f, 0.f, 0.f, 0.f}, {0.f, 0.f, 0.f, 0.f}};
#pragma unroll
                for (int kk = 0; kk < KS; kk++) {
                    uint32_t b0, b1, b2, b3;
                    const int r = warp * 16 + (lane >> 4) * 8 + (lane & 7);
                    ldmatrix_x4(smem_addr(tK + swz<D>(r, kk * 2 + ((lane >> 3) & 1))), b0, b1, b2, b3);
                    mma_bf16(sacc[0], qa[kk], b0, b1);
                    mma_bf16(sacc[1], qa[kk], b2, b3);
                }
                float tmax[2] = {-INFINITY, -INFINITY};
#pragma unroll
                for (int nt = 0; nt < 2; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        float x = sacc[nt][e] * scale;
                        if (k0 + nt * 8 + t4 * 2 + (e & 1) >= hi) x = -INFINITY;
                        sacc[nt][e] = x;
                        tmax[e >> 1] = fmaxf(tmax[e >> 1], x);
                    }
                float mref[2], corr[2];
#pragma unroll
                for (int i = 0; i < 2; i++) {
                    tmax[i] = fmaxf(tmax[i], __shfl_xor_sync(0xffffffffu, tmax[i], 1));
                    tmax[i] = fmaxf(tmax[i], __shfl_xor_sync(0xffffffffu, tmax[i], 2));
                    const float mn = fmaxf(m[i], tmax[i]);
                    mref[i] = mn == -INFINITY ? 0.f : mn;
                    corr[i] = fast_exp2(m[i] - mref[i]);
                    m[i] = mn;
                    l[i] *= corr[i];
                }
#pragma unroll
                for (int nt = 0; nt < 2; nt++)
#pragma unroll
                    for (int e = 0; e < 4; e++) {
                        const float pr = fast_exp2(sacc[nt][e] - mref[e >> 1]);
                        sacc[nt][e] = pr;
                        l[e >> 1] += pr;
                    }
                uint32_t pa[4] = {pack_bf16(sacc[0][0], sacc[0][1]), pack_bf16(sacc[0][2], sacc[0][3]),
                                  pack_bf16(sacc[1][0], sacc[1][1]), pack_bf16(sacc[1][2], sacc[1][3])};
#pragma unroll
                for (int dp = 0; dp < KS; dp++) {
                    uint32_t b0, b1, b2, b3;
                    const int r = warp * 16 + (lane & 7) + ((lane >> 3) & 1) * 8;
                    ldmatrix_x4_trans(smem_addr(tV + swz<D>(r, dp * 2 + (lane >> 4))), b0, b1, b2, b3);
                    acc[2 * dp][0] *= corr[0]; acc[2 * dp][1] *= corr[0]; acc[2 * dp][2] *= corr[1]; acc[2 * dp][3] *= corr[1];
                    acc[2 * dp + 1][0] *= corr[0]; acc[2 * dp + 1][1] *= corr[0];
                    acc[2 * dp + 1][2] *= corr[1]; acc[2 * dp + 1][3] *= corr[1];
                    mma_bf16(acc[2 * dp], pa, b0, b1);
                    mma_bf16(acc[2 * dp + 1], pa, b2, b3);
                }
            }
            __syncthreads();
        }
        cp_async_wait<0>();
    }

    // Combine the 4 warps' (m, l, O) in shared memory (the K/V buffers are free now).
    __syncthreads();
    float* sO = reinterpret_cast<float*>(sK);      // [4][16][D]
    float* sM = sO + 4 * 16 * D;                    // [4][16]
    float* sL = sM + 4 * 16;                        // [4][16]
#pragma unroll
    for (int i = 0; i < 2; i++) {
        l[i] += __shfl_xor_sync(0xffffffffu, l[i], 1);
        l[i] += __shfl_xor_sync(0xffffffffu, l[i], 2);
        if (t4 == 0) {
            sM[warp * 16 + (lane >> 2) + i * 8] = m[i];
            sL[warp * 16 + (lane >> 2) + i * 8] = l[i];
        }
    }
#pragma unroll
    for (int nt = 0; nt < NT; nt++)
#pragma unroll
        for (int e = 0; e < 4; e++)
            sO[(warp * 16 + (lane >> 2) + (e >> 1) * 8) * D + nt * 8 + t4 * 2 + (e & 1)] = acc[nt][e];
    __syncthreads();
    for (int idx = threadIdx.x; idx < G * D; idx += NTHREADS) {
        const int r = idx / D, c = idx % D;
        float M = -INFINITY;
#pragma unroll
        for (int w = 0; w < 4; w++) M = fmaxf(M, sM[w * 16 + r]);
        float L = 0.f, O = 0.f;
        if (M != -INFINITY) {
#pragma unroll
            for (int w = 0; w < 4; w++) {
                const float f = fast_exp2(sM[w * 16 + r] - M);
                L += sL[w * 16 + r] * f;
                O += sO[(w * 16 + r) * D + c] * f;
            }
        }
        const size_t slot = ((size_t)s * H + (size_t)kvh * G + r) * maxSplits + split;
        partO[slot * D + c] = L > 0.f ? O / L : 0.f;
        if (c == 0) partLse[slot] = L > 0.f ? (M + __log2f(L)) * LC_LN2 : -INFINITY;
    }
}

}  // namespace

#define PREFILL_ARGS const bf16* q, bf16* out, float* lse, const bf16* kc, const bf16* vc, const int* cuQ, \
    const int* seqLens, const int* blockTables, const int* scaleLens, int numSeqs, int H, int Hkv, int blockSize, \
    int maxBlocks, const double* invFreq, int dcaL, int dcaC, int dcaP, float smScale
#define PREFILL_PASS q, out, lse, kc, vc, cuQ, seqLens, blockTables, scaleLens, numSeqs, H, Hkv, blockSize, maxBlocks, \
    invFreq, dcaL, dcaC, dcaP, smScale

// grid (H, query tiles), block 128, dynamic smem (128 + 4·64)·D·2 bytes.
extern "C" __global__ void __launch_bounds__(NTHREADS, 2) attn_prefill_d128(PREFILL_ARGS) { prefill_impl<128>(PREFILL_PASS); }
extern "C" __global__ void __launch_bounds__(NTHREADS, 2) attn_prefill_d64(PREFILL_ARGS) { prefill_impl<64>(PREFILL_PASS); }

#define DECODE_ARGS const bf16* q, float* partO, float* partLse, const bf16* kc, const bf16* vc, const int* cuQ, \
    const int* seqLens, const int* blockTables, const int* scaleLens, int H, int Hkv, int blockSize, int maxBlocks, \
    int splitKeys, int maxSplits, const double* invFreq, int dcaL, int dcaC, int dcaP, float smScale
#define DECODE_PASS q, partO, partLse, kc, vc, cuQ, seqLens, blockTables, scaleLens, H, Hkv, blockSize, maxBlocks, \
    splitKeys, maxSplits, invFreq, dcaL, dcaC, dcaP, smScale

// grid (maxSplits, Hkv, numSeqs), block 128, dynamic smem max((16 + 4·64)·D·2, (4·16·D + 128)·4) bytes.
extern "C" __global__ void __launch_bounds__(NTHREADS) attn_decode_d128(DECODE_ARGS) { decode_impl<128>(DECODE_PASS); }
extern "C" __global__ void __launch_bounds__(NTHREADS) attn_decode_d64(DECODE_ARGS) { decode_impl<64>(DECODE_PASS); }

// decode_merge: O = Σ_i softmax_i(LSE_i)·O_i over a sequence's splits (ALGORITHMS.md §1's merge, applied to key
// splits instead of parts). partO fp32 [numSeqs][H][maxSplits][D], partLse [numSeqs][H][maxSplits];
// out bf16 [numTokens, H, D], lse fp32 [numTokens, H] at token row cuSeqlensQ[s].
// grid (numSeqs, H), block MERGE_ROWS · D/4 threads, dynamic smem (maxSplits + MERGE_ROWS · D + 32) · 4 bytes.
// At batch 1 and 128K keys there are only H CTAs, each over ~500 splits: the split weights are computed once into
// shared memory, and MERGE_ROWS rows of threads each sum every MERGE_ROWS-th split with float4 loads, so the loads
// of many splits are in flight at once instead of one dependent chain per column.
constexpr int MERGE_ROWS = 16;

__device__ __forceinline__ float block_reduce(float v, float* red, bool max) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float u = __shfl_xor_sync(0xffffffffu, v, o);
        v = max ? fmaxf(v, u) : v + u;
    }
    __syncthreads();  // red may still be read by a previous reduction
    if ((threadIdx.x & 31) == 0) red[threadIdx.x >> 5] = v;
    __syncthreads();
    v = red[0];
    for (int w = 1; w < (int)(blockDim.x >> 5); w++) v = max ? fmaxf(v, red[w]) : v + red[w];
    return v;
}

extern "C" __global__ void decode_merge(const float* __restrict__ partO, const float* __restrict__ partLse,
                                        const int* __restrict__ cuQ, const int* __restrict__ seqLens,
                                        bf16* __restrict__ out, float* __restrict__ lse, int H, int D,
                                        int splitKeys, int maxSplits) {
    extern __shared__ float merge_smem[];
    float* sW = merge_smem;                 // [maxSplits] split weights exp(LSE_i − M)
    float* sO = sW + maxSplits;             // [MERGE_ROWS][D] per-row partial sums
    float* sRed = sO + MERGE_ROWS * D;      // [32] reduction scratch
    const int s = blockIdx.x, h = blockIdx.y, tid = threadIdx.x, nt = blockDim.x;
    const int ns = (seqLens[s] + splitKeys - 1) / splitKeys;
    const size_t base = ((size_t)s * H + h) * maxSplits;

    float M = -INFINITY;
    for (int i = tid; i < ns; i += nt) M = fmaxf(M, partLse[base + i]);
    M = block_reduce(M, sRed, true);
    float L = 0.f;
    for (int i = tid; i < ns; i += nt) {
        const float w = M == -INFINITY ? 0.f : __expf(partLse[base + i] - M);
        sW[i] = w;
        L += w;
    }
    L = block_reduce(L, sRed, false);  // its barriers also publish sW

    const int row = tid / (D / 4), c = (tid % (D / 4)) * 4;
    float4 o = make_float4(0.f, 0.f, 0.f, 0.f);
#pragma unroll 4
    for (int i = row; i < ns; i += MERGE_ROWS) {
        const float4 v = *reinterpret_cast<const float4*>(partO + (base + i) * D + c);
        const float w = sW[i];
        o.x += w * v.x; o.y += w * v.y; o.z += w * v.z; o.w += w * v.w;
    }
    sO[row * D + c] = o.x; sO[row * D + c + 1] = o.y; sO[row * D + c + 2] = o.z; sO[row * D + c + 3] = o.w;
    __syncthreads();
    const size_t outRow = (size_t)cuQ[s] * H + h;
    for (int cc = tid; cc < D; cc += nt) {
        float acc = 0.f;
#pragma unroll
        for (int r = 0; r < MERGE_ROWS; r++) acc += sO[r * D + cc];
        out[outRow * D + cc] = f2bf(L > 0.f ? acc / L : 0.f);
        if (cc == 0) lse[outRow] = L > 0.f ? M + __logf(L) : -INFINITY;
    }
}

// attn_generic — the same attention as attn_prefill/attn_decode (dense RoPE or DCA's three parts, both temperature
// rules, paged K/V, every sequence of the step in one launch, prefill and decode rows mixed) for any even head_dim
// up to 256, without tensor cores: one warp per (token row, query head), each lane holding head dims lane + 32·j,
// keys one at a time with an online softmax in fp32 (q rotated in fp32, never rounded to bf16). For models whose
// head_dim the tensor-core kernels are not built for (64 and 128 are): the default tiny model's 32, the test
// fixtures' 16 and 20. Slow for long contexts; correct for all.
// Rows must be every token of the step: cuSeqlensQ[0] = 0, cuSeqlensQ[numSeqs] = numTokens, no empty sequence.
// grid ceil(numTokens·H / 4), block 128. attn_generic_f32: q, out and the cache are fp32 (the float32 dtype), and
// exp/log are the accurate ones, so it matches an fp32 reference to rounding.
template <typename T>
__device__ __forceinline__ void attn_generic_impl(
        const T* __restrict__ q, T* __restrict__ out, float* __restrict__ lse, const T* __restrict__ kc,
        const T* __restrict__ vc, const int* __restrict__ cuQ, const int* __restrict__ seqLens,
        const int* __restrict__ blockTables, const int* __restrict__ scaleLens, int numSeqs, int numTokens, int H,
        int Hkv, int D, int blockSize, int maxBlocks, const double* __restrict__ invFreq, int dcaL, int dcaC, int dcaP,
        float smScale) {
    constexpr bool EXACT = sizeof(T) == 4;
    constexpr int PER = 8;  // head dims per lane: D ≤ 256
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const long long item = (long long)blockIdx.x * 4 + warp;
    if (item >= (long long)numTokens * H) return;
    const int row = (int)(item / H), h = (int)(item % H);
    int lo = 0, hi = numSeqs - 1;  // the sequence owning the row: the last s with cuQ[s] ≤ row
    while (lo < hi) {
        const int mid = (lo + hi + 1) >> 1;
        if (cuQ[mid] <= row) lo = mid; else hi = mid - 1;
    }
    const int s = lo;
    const long long p = (long long)seqLens[s] - (cuQ[s + 1] - cuQ[s]) + (row - cuQ[s]);
    const int kvh = h / (H / Hkv);
    const int* bt = blockTables + (size_t)s * maxBlocks;
    const int sl = scaleLens[s];
    const float sf = dcaL > 0 ? dca_temperature(sl > 0 ? (long long)sl : p + 1, dcaP) : 1.f;
    const float scale = smScale * sf * sf;
    const int half = D / 2;
    const T* qrow = q + ((size_t)row * H + h) * D;

    float acc[PER], qr[PER];
#pragma unroll
    for (int j = 0; j < PER; j++) acc[j] = 0.f;
    float m = -INFINITY, l = 0.f;
    const long long prev = dcaL > 0 ? (p / dcaL) * dcaL : 0;  // first key of the row's own DCA chunk
    for (int part = dcaL > 0 ? 2 : 0; part >= 0; --part) {
        long long kFrom, kTo;
        if (dcaL <= 0) { kFrom = 0; kTo = p + 1; }
        else if (part == 2) { kFrom = 0; kTo = prev - dcaL; }       // inter: chunks before the previous one
        else if (part == 1) { kFrom = prev - dcaL; kTo = prev; }    // succ: the previous chunk
        else { kFrom = prev; kTo = p + 1; }                         // intra: causal in the own chunk
        if (kFrom < 0 || kFrom >= kTo) continue;
        const long long qpos = dca_query_position(p, part, dcaL, dcaC);
#pragma unroll
        for (int j = 0; j < PER; j++) {
            const int i = lane + 32 * j;
            float v = 0.f;
            if (i < D) {
                const int pi = i < half ? i : i - half;
                float sn, cs;
                rope_sincos(qpos, invFreq[pi], &sn, &cs);
                const float x1 = to_f32(qrow[pi]), x2 = to_f32(qrow[pi + half]);
                v = i < half ? x1 * cs - x2 * sn : x2 * cs + x1 * sn;
            }
            qr[j] = v;
        }
        for (long long k = kFrom; k < kTo; k++) {
            const size_t off = (((size_t)bt[k / blockSize] * blockSize + (size_t)(k % blockSize)) * Hkv + kvh) * D;
            float dot = 0.f;
#pragma unroll
            for (int j = 0; j < PER; j++) {
                const int i = lane + 32 * j;
                if (i < D) dot += qr[j] * to_f32(kc[off + i]);
            }
            const float x = warp_sum(dot) * scale;
            const float mn = fmaxf(m, x);
            const float corr = EXACT ? expf(m - mn) : __expf(m - mn);  // 0 for the first key (m = −∞)
            const float pr = EXACT ? expf(x - mn) : __expf(x - mn);
            l = l * corr + pr;
#pragma unroll
            for (int j = 0; j < PER; j++) {
                const int i = lane + 32 * j;
                if (i < D) acc[j] = acc[j] * corr + pr * to_f32(vc[off + i]);
            }
            m = mn;
        }
    }
    const float inv = l > 0.f ? 1.f / l : 0.f;
    T* o = out + ((size_t)row * H + h) * D;
#pragma unroll
    for (int j = 0; j < PER; j++) {
        const int i = lane + 32 * j;
        if (i < D) o[i] = from_f32<T>(acc[j] * inv);
    }
    if (lane == 0) lse[(size_t)row * H + h] = l > 0.f ? m + (EXACT ? logf(l) : __logf(l)) : -INFINITY;
}

#define GENERIC_ARGS(T) const T* __restrict__ q, T* __restrict__ out, float* __restrict__ lse, const T* __restrict__ kc, \
    const T* __restrict__ vc, const int* __restrict__ cuQ, const int* __restrict__ seqLens, \
    const int* __restrict__ blockTables, const int* __restrict__ scaleLens, int numSeqs, int numTokens, int H, int Hkv, \
    int D, int blockSize, int maxBlocks, const double* __restrict__ invFreq, int dcaL, int dcaC, int dcaP, float smScale
#define GENERIC_PASS q, out, lse, kc, vc, cuQ, seqLens, blockTables, scaleLens, numSeqs, numTokens, H, Hkv, D, blockSize, \
    maxBlocks, invFreq, dcaL, dcaC, dcaP, smScale
extern "C" __global__ void __launch_bounds__(128) attn_generic(GENERIC_ARGS(bf16)) { attn_generic_impl(GENERIC_PASS); }
extern "C" __global__ void __launch_bounds__(128) attn_generic_f32(GENERIC_ARGS(float)) { attn_generic_impl(GENERIC_PASS); }
