// sample_tokens — next-token choice on the device for the rows whose logits were computed, in the engine's
// Sampler order (sampling/Sampler.java): greedy argmax below temperature 1e-5; otherwise weights
// w = exp((x − max)/T), min-p, top-k, top-p, and a draw from what is left.
//
//   logits fp32 [m, V] ─max/argmax─► (greedy: id) ─► outIds
//                      └─► w written over the logits row ─► radix select (top-k by rank, top-p by mass)
//                          ─► kept set = a prefix of (w desc, index asc) ─► index-order scan ─► u·Σw ─► outIds
//
// The kept set is always a prefix of the order the CPU sampler sorts by (weight descending, lower index first on
// ties); it is described by a boundary weight b and a tie count: w > b, or w == b among the first `take` such
// elements by index. Both selections are 4-pass radix selects over the float bits (positive floats order like
// their bit patterns), so no sort and no workspace beyond the row itself. The row's logits are overwritten by
// the weights (callers that still need the logits copy them first).
// Per-row inputs: temperature, topK (≤ 0 off), topP (1 off), minP (0 off), seed (int64; the draw is
// u = splitmix64(seed) / 2^64, so a request advances its seed per step to get a new draw).
// grid m, block 1024.
#include "common.cuh"

namespace {
constexpr int NT = 1024;

__device__ __forceinline__ unsigned long long splitmix64(unsigned long long x) {
    x += 0x9E3779B97F4A7C15ull;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    return x ^ (x >> 31);
}

// Inclusive block scan of one value per thread (1024 threads); also returns the block total.
template <typename T>
__device__ __forceinline__ T block_inclusive_scan(T v, T* warpSums, T* total) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
#pragma unroll
    for (int o = 1; o < 32; o <<= 1) {
        T y = __shfl_up_sync(0xffffffffu, v, o);
        if (lane >= o) v += y;
    }
    __syncthreads();
    if (lane == 31) warpSums[warp] = v;
    __syncthreads();
    if (warp == 0) {
        T w = warpSums[lane];
#pragma unroll
        for (int o = 1; o < 32; o <<= 1) {
            T y = __shfl_up_sync(0xffffffffu, w, o);
            if (lane >= o) w += y;
        }
        warpSums[lane] = w;
    }
    __syncthreads();
    const T before = warp > 0 ? warpSums[warp - 1] : (T)0;
    *total = warpSums[31];
    return v + before;
}

__device__ __forceinline__ bool kept(unsigned bits, unsigned bound, int tieRank, int take) {
    return bits > bound || (bits == bound && bits != 0 && tieRank < take);
}
}  // namespace

extern "C" __global__ void __launch_bounds__(NT) sample_tokens(float* __restrict__ logits, int V,
        const float* __restrict__ temperature, const int* __restrict__ topK, const float* __restrict__ topP,
        const float* __restrict__ minP, const long long* __restrict__ seeds, int* __restrict__ outIds) {
    __shared__ float sVal[32];
    __shared__ int sIdx[32];
    __shared__ double dHist[256];
    __shared__ int cHist[256];
    __shared__ int sInt[32];
    __shared__ double sDbl[32];
    __shared__ unsigned sPrefix;
    __shared__ double sAbove;
    __shared__ int sAboveCount;
    const int row = blockIdx.x, tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    float* x = logits + (size_t)row * V;

    // 1. max and argmax (lowest index wins ties; NaN never wins; all −∞ gives index 0 like the CPU argmax).
    float best = -INFINITY;
    int bestIdx = -1;
    for (int i = tid; i < V; i += NT) {
        const float v = x[i];
        if (v > best || (bestIdx < 0 && v == -INFINITY)) { best = v; bestIdx = i; }
    }
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(0xffffffffu, best, o);
        const int oi = __shfl_xor_sync(0xffffffffu, bestIdx, o);
        if (oi >= 0 && (bestIdx < 0 || ov > best || (ov == best && oi < bestIdx))) { best = ov; bestIdx = oi; }
    }
    if (lane == 0) { sVal[warp] = best; sIdx[warp] = bestIdx; }
    __syncthreads();
    if (warp == 0) {
        best = sVal[lane]; bestIdx = sIdx[lane];
#pragma unroll
        for (int o = 16; o > 0; o >>= 1) {
            const float ov = __shfl_xor_sync(0xffffffffu, best, o);
            const int oi = __shfl_xor_sync(0xffffffffu, bestIdx, o);
            if (oi >= 0 && (bestIdx < 0 || ov > best || (ov == best && oi < bestIdx))) { best = ov; bestIdx = oi; }
        }
        if (lane == 0) { sVal[0] = best; sIdx[0] = bestIdx; }
    }
    __syncthreads();
    const float maxv = sVal[0];
    const int argmax = sIdx[0];
    const float T = temperature[row];
    if (T < 1e-5f || maxv == -INFINITY) {  // greedy, or nothing finite to weigh (the host rejects that case)
        if (tid == 0) outIds[row] = argmax;
        return;
    }

    // 2. weights in place, min-p, alive count.
    const float invT = 1.f / T, mp = minP[row];
    int alive = 0;
    for (int i = tid; i < V; i += NT) {
        const float v = x[i];
        float w = isnan(v) ? 0.f : expf((v - maxv) * invT);
        if (mp > 0.f && w < mp) w = 0.f;
        x[i] = w;
        alive += w > 0.f;
    }
    for (int o = 16; o > 0; o >>= 1) alive += __shfl_xor_sync(0xffffffffu, alive, o);
    __syncthreads();
    if (lane == 0) sInt[warp] = alive;
    __syncthreads();
    alive = 0;
    for (int w = 0; w < 32; w++) alive += sInt[w];

    // 3. top-k: boundary bits of the k-th largest weight by a rank radix select.
    unsigned boundK = 0;  // kept: bits > boundK, or == boundK among the first takeK by index
    int takeK = 0;
    const int k = topK[row];
    if (k > 0 && k < alive) {
        if (tid == 0) { sPrefix = 0; sAboveCount = 0; }
        for (int pass = 0; pass < 4; pass++) {
            const int shift = 24 - 8 * pass;
            for (int b = tid; b < 256; b += NT) cHist[b] = 0;
            __syncthreads();
            const unsigned prefix = sPrefix;
            for (int i = tid; i < V; i += NT) {
                const unsigned bits = __float_as_uint(x[i]);
                if (bits != 0 && (pass == 0 || (bits >> (shift + 8)) == prefix)) atomicAdd(&cHist[(bits >> shift) & 255], 1);
            }
            __syncthreads();
            if (tid == 0) {
                int above = sAboveCount, bin = 0;
                for (int b = 255; b >= 0; b--) {
                    if (above + cHist[b] >= k) { bin = b; break; }
                    above += cHist[b];
                }
                sAboveCount = above;
                sPrefix = (prefix << 8) | bin;
            }
            __syncthreads();
        }
        boundK = sPrefix;
        takeK = k - sAboveCount;
    }

    // 4. top-p over the top-k set: the smallest prefix whose mass reaches topP · (mass of the set).
    unsigned bound = boundK;
    int take = takeK;
    const float pp = topP[row];
    if (pp < 1.f) {
        const float wK = __uint_as_float(boundK);
        double mass = 0.0;
        for (int i = tid; i < V; i += NT) {
            const unsigned bits = __float_as_uint(x[i]);
            if (bits > boundK) mass += x[i];
        }
        double totalMass;
        mass = block_inclusive_scan(mass, sDbl, &totalMass);
        totalMass += (double)takeK * wK;
        const double target = pp * totalMass;
        if (tid == 0) { sPrefix = 0; sAbove = 0.0; }
        for (int pass = 0; pass < 4; pass++) {
            const int shift = 24 - 8 * pass;
            for (int b = tid; b < 256; b += NT) { dHist[b] = 0.0; cHist[b] = 0; }
            __syncthreads();
            const unsigned prefix = sPrefix;
            for (int i = tid; i < V; i += NT) {
                const unsigned bits = __float_as_uint(x[i]);
                if (bits > boundK && (pass == 0 || (bits >> (shift + 8)) == prefix)) {
                    atomicAdd(&dHist[(bits >> shift) & 255], (double)x[i]);
                    atomicAdd(&cHist[(bits >> shift) & 255], 1);
                }
            }
            __syncthreads();
            if (tid == 0) {
                // The takeK ties at the top-k boundary belong to the set too.
                if (takeK > 0 && (pass == 0 || (boundK >> (shift + 8)) == prefix)) {
                    dHist[(boundK >> shift) & 255] += (double)takeK * wK;
                    cHist[(boundK >> shift) & 255] += takeK;
                }
                double above = sAbove;
                int bin = -1, lastNonEmpty = 0;
                for (int b = 255; b >= 0; b--) {
                    if (cHist[b] == 0) continue;
                    lastNonEmpty = b;
                    if (above + dHist[b] >= target) { bin = b; break; }
                    above += dHist[b];
                }
                if (bin < 0) {  // rounding left the target a hair above the set's mass: take everything
                    bin = lastNonEmpty;
                    above -= dHist[bin];
                }
                sAbove = above;
                sPrefix = (prefix << 8) | bin;
            }
            __syncthreads();
        }
        bound = sPrefix;
        const double wb = (double)__uint_as_float(bound);
        int need = (int)ceil((target - sAbove) / wb);
        if (need < 1) need = 1;
        if (bound == boundK && need > takeK) need = takeK;  // cannot exceed the ties top-k kept
        take = need;
    }

    // 5. Draw u · Σ kept weights, scanning in index order. Each thread owns a contiguous chunk of the row.
    const int chunk = (V + NT - 1) / NT;
    const int c0 = min(V, tid * chunk), c1 = min(V, c0 + chunk);
    int ties = 0;
    for (int i = c0; i < c1; i++) ties += __float_as_uint(x[i]) == bound;
    int tiesTotal;
    int tieRank = block_inclusive_scan(ties, sInt, &tiesTotal) - ties;
    double local = 0.0;
    int lastKept = -1;
    {
        int r = tieRank;
        for (int i = c0; i < c1; i++) {
            const unsigned bits = __float_as_uint(x[i]);
            if (kept(bits, bound, r, take)) { local += x[i]; lastKept = i; }
            r += bits == bound;
        }
    }
    double total;
    const double before = block_inclusive_scan(local, sDbl, &total) - local;
    const double u = (double)(splitmix64((unsigned long long)seeds[row]) >> 11) * (1.0 / 9007199254740992.0) * total;
    // The last kept index of the row, for when rounding puts u past every element.
    int lk = lastKept;
    for (int o = 16; o > 0; o >>= 1) lk = max(lk, __shfl_xor_sync(0xffffffffu, lk, o));
    __syncthreads();
    if (lane == 0) sIdx[warp] = lk;
    __syncthreads();
    if (tid == 0) {
        int m = -1;
        for (int w = 0; w < 32; w++) m = max(m, sIdx[w]);
        outIds[row] = m;
    }
    __syncthreads();
    if (local > 0.0 && u >= before && u < before + local) {
        double acc = before;
        int r = tieRank;
        for (int i = c0; i < c1; i++) {
            const unsigned bits = __float_as_uint(x[i]);
            if (kept(bits, bound, r, take)) {
                acc += x[i];
                if (u < acc) { outIds[row] = i; break; }
            }
            r += bits == bound;
        }
    }
}
