// Shared device helpers for the longctx kernels: bf16 conversion, RoPE angles in double precision, the DCA
// temperature s_f(n), warp/block reductions and the cp.async / ldmatrix / mma.sync wrappers the attention kernels use.
#pragma once
#include <cuda_bf16.h>
#include <stdint.h>

typedef __nv_bfloat16 bf16;

#define LC_LOG2E 1.4426950408889634f
#define LC_LN2 0.6931471805599453f

__device__ __forceinline__ float bf2f(bf16 x) { return __bfloat162float(x); }
__device__ __forceinline__ bf16 f2bf(float x) { return __float2bfloat16_rn(x); }

// Element type T of a kernel built for both storage types (bf16 for speed, fp32 for the float32 reference dtype):
// to_f32 widens, from_f32<T> narrows (round to nearest even for bf16, exact for fp32).
__device__ __forceinline__ float to_f32(float x) { return x; }
__device__ __forceinline__ float to_f32(bf16 x) { return bf2f(x); }
template <typename T> __device__ __forceinline__ T from_f32(float x);
template <> __device__ __forceinline__ float from_f32<float>(float x) { return x; }
template <> __device__ __forceinline__ bf16 from_f32<bf16>(float x) { return f2bf(x); }

// cos/sin of pos · invFreq. The angle is formed and reduced modulo 2π in double, because positions reach 10^6 and
// θ = 10^7 makes the low-frequency pairs' angles large: in float the angle alone would be off by ~0.06 rad.
__device__ __forceinline__ void rope_sincos(long long pos, double invFreq, float* s, float* c) {
    const double TWO_PI = 6.283185307179586476925286766559;
    double a = (double)pos * invFreq;
    double k = rint(a * (1.0 / TWO_PI));
    float r = (float)fma(-k, TWO_PI, a);
    __sincosf(r, s, c);  // |r| ≤ π: the fast path is accurate to ~5e-7 there
}

// s_f(n) = max(1, 0.1·ln(n/P) + 1) when P > 0, else 1 (ALGORITHMS.md §1), in double like the CPU code.
__device__ __forceinline__ float dca_temperature(long long n, int P) {
    if (P <= 0 || n <= 0) return 1.f;
    double s = 0.1 * log((double)n / (double)P) + 1.0;
    return (float)(s > 1.0 ? s : 1.0);
}

// Where the query at absolute position p is rotated for DCA part `part` (0 intra, 1 succ, 2 inter), or p itself
// without DCA (L == 0).
__device__ __forceinline__ long long dca_query_position(long long p, int part, int L, int c) {
    if (L <= 0) return p;
    long long i = p % L;
    if (part == 0) return i;
    if (part == 1) return min((long long)L + i, (long long)c);
    return min(2LL * L - 1, (long long)c);
}

__device__ __forceinline__ float warp_sum(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
#pragma unroll
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Sum over the whole block; every thread gets the result. scratch holds ≥ 32 floats.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    float t = lane < warps ? scratch[lane] : 0.f;
    return warp_sum(t);
}

// ---- tensor-core and async-copy wrappers (sm_80+) ----

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
    return (uint32_t)__cvta_generic_to_shared(p);
}

// 16-byte global → shared copy; src_bytes = 0 zero-fills the destination (rows past the key range).
__device__ __forceinline__ void cp_async16(uint32_t dst, const void* src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" :: "r"(dst), "l"(src), "r"(src_bytes));
}
__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }
template <int N>
__device__ __forceinline__ void cp_async_wait() { asm volatile("cp.async.wait_group %0;\n" :: "n"(N)); }

__device__ __forceinline__ void ldmatrix_x4(uint32_t addr, uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t addr, uint32_t& r0, uint32_t& r1, uint32_t& r2, uint32_t& r3) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3) : "r"(addr));
}

// D += A·B for one m16n8k16 tile, bf16 in, fp32 accumulate.
__device__ __forceinline__ void mma_bf16(float* d, const uint32_t* a, uint32_t b0, uint32_t b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};\n"
        : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ uint32_t pack_bf16(float lo, float hi) {
    __nv_bfloat162 v = __floats2bfloat162_rn(lo, hi);
    return *reinterpret_cast<uint32_t*>(&v);
}

__device__ __forceinline__ float fast_exp2(float x) {
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;\n" : "=f"(y) : "f"(x));
    return y;
}
