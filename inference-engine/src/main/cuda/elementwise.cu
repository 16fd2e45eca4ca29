// Element-wise and row-wise kernels of the Qwen2 forward pass. Layouts (all row-major, 64-bit offsets):
//   activations [n, dim]; the residual stream stays fp32 across layers (bf16 would round it 2·numLayers times, and
//   it is only read/written by these memory-bound kernels, never by a GEMM); GEMM operands are bf16.
//   KV cache per layer: K and V each [numBlocks][blockSize][numKvHeads][headDim] bf16; a token's slot is
//   block·blockSize + offset, so its row starts at slot·numKvHeads·headDim.
// Under the float32 dtype (a reference precision: weights, GEMM operands and KV in fp32) the same kernels run with
// fp32 where they have bf16: the *_f32 entry points below are the fp32 instances of the same templates.
#include "common.cuh"

// embed: out[t, :] = float(table[ids[t], :]).   ids int32 [n]; table bf16 [vocab, dim]; out fp32 [n, dim].
// An id outside [0, vocab) writes NaN (the host validates ids; NaN makes a miss impossible to overlook).
// grid n, block 256. embed_f32: the table is fp32.
template <typename T>
__device__ __forceinline__ void embed_impl(const int* __restrict__ ids, const T* __restrict__ table,
                                           float* __restrict__ out, int vocab, int dim) {
    const size_t t = blockIdx.x;
    const int id = ids[t];
    float* dst = out + t * (size_t)dim;
    if (id < 0 || id >= vocab) {
        for (int j = threadIdx.x; j < dim; j += blockDim.x) dst[j] = __int_as_float(0x7fc00000);
        return;
    }
    const T* src = table + (size_t)id * dim;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) dst[j] = to_f32(src[j]);
}

extern "C" __global__ void embed(const int* __restrict__ ids, const bf16* __restrict__ table, float* __restrict__ out,
                                 int vocab, int dim) { embed_impl(ids, table, out, vocab, dim); }
extern "C" __global__ void embed_f32(const int* __restrict__ ids, const float* __restrict__ table, float* __restrict__ out,
                                     int vocab, int dim) { embed_impl(ids, table, out, vocab, dim); }

// add_rmsnorm — the fused "residual += delta; out = RMSNorm(residual) · weight" between sub-layers:
//
//   residual fp32 [n, dim] ──(+ delta bf16, optional)──► residual' ──► Σx² (fp32) ──► x·rsqrt(mean+eps)·w ──► out bf16
//
// One pass reads the residual and delta once and writes both the new residual and the GEMM operand; unfused it
// would be an add kernel plus a norm kernel and an extra round trip of the fp32 stream.
// rows == null: every row r < gridDim.x, residual updated in place.
// rows != null: output row i is source row rows[i] (the logits rows); the residual is then only read, not written,
// so the final norm costs only the rows that need logits.
// weight fp32 [dim]. grid = number of output rows, block 256. add_rmsnorm_f32: delta and out are fp32.
template <typename T>
__device__ __forceinline__ void add_rmsnorm_impl(float* __restrict__ residual, const T* __restrict__ delta,
                                                 const float* __restrict__ weight, T* __restrict__ out,
                                                 const int* __restrict__ rows, int dim, float eps) {
    __shared__ float scratch[32];
    const size_t src = rows ? (size_t)rows[blockIdx.x] : (size_t)blockIdx.x;
    float* x = residual + src * dim;
    const T* d = delta ? delta + src * dim : nullptr;
    const bool write = rows == nullptr && d != nullptr;
    float ss = 0.f;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) {
        float v = x[j] + (d ? to_f32(d[j]) : 0.f);
        if (write) x[j] = v;
        ss += v * v;
    }
    ss = block_sum(ss, scratch);
    const float inv = rsqrtf(ss / dim + eps);
    T* o = out + (size_t)blockIdx.x * dim;
    for (int j = threadIdx.x; j < dim; j += blockDim.x) {
        float v = write ? x[j] : x[j] + (d ? to_f32(d[j]) : 0.f);
        o[j] = from_f32<T>(v * inv * weight[j]);
    }
}

extern "C" __global__ void add_rmsnorm(float* __restrict__ residual, const bf16* __restrict__ delta,
                                       const float* __restrict__ weight, bf16* __restrict__ out,
                                       const int* __restrict__ rows, int dim, float eps) {
    add_rmsnorm_impl(residual, delta, weight, out, rows, dim, eps);
}
extern "C" __global__ void add_rmsnorm_f32(float* __restrict__ residual, const float* __restrict__ delta,
                                           const float* __restrict__ weight, float* __restrict__ out,
                                           const int* __restrict__ rows, int dim, float eps) {
    add_rmsnorm_impl(residual, delta, weight, out, rows, dim, eps);
}

// qkv_rope_kv_write — after the fused QKV GEMM:
//
//   qkv bf16 [n, qkvStride] = [ q (H·D) | k (Hkv·D) | v (Hkv·D) ] ─(+ bias fp32)─┬─► q bf16 [n, H, D] (not rotated)
//                                                                              ├─► K rotated at p (p mod L under DCA)
//                                                                              │     ─► kCache row slots[t]
//                                                                              └─► V ─► vCache row slots[t]
//
// Keys are rotated once, here, and cached rotated (ALGORITHMS.md §1: the cache holds keys at p mod L). Queries
// are left unrotated: attention rotates them itself, once per DCA part (intra/succ/inter use different
// positions), so one q buffer serves all three variants. slots[t] < 0 skips the cache write (padding rows).
// positions int32 [n] absolute; invFreq double [D/2] (θ^(−2i/D), the host's values); dcaL = L or 0 without DCA.
// grid n, block 128. qkv_rope_kv_write_f32: qkv, q and the cache are fp32.
template <typename T>
__device__ __forceinline__ void qkv_rope_kv_write_impl(const T* __restrict__ qkv, int qkvStride, const float* __restrict__ bias,
                                                       T* __restrict__ q, T* __restrict__ kCache, T* __restrict__ vCache,
                                                       const int* __restrict__ positions, const int* __restrict__ slots,
                                                       const double* __restrict__ invFreq, int numHeads, int numKvHeads,
                                                       int headDim, int dcaL) {
    const size_t t = blockIdx.x;
    const T* row = qkv + t * (size_t)qkvStride;
    const int qDim = numHeads * headDim, kvDim = numKvHeads * headDim, half = headDim / 2;
    T* qo = q + t * (size_t)qDim;
    for (int e = threadIdx.x; e < qDim; e += blockDim.x) qo[e] = from_f32<T>(to_f32(row[e]) + (bias ? bias[e] : 0.f));
    const int slot = slots[t];
    if (slot < 0) return;
    const long long pos = positions[t];
    const long long kpos = dcaL > 0 ? pos % dcaL : pos;
    T* kd = kCache + (size_t)slot * kvDim;
    T* vd = vCache + (size_t)slot * kvDim;
    for (int pr = threadIdx.x; pr < numKvHeads * half; pr += blockDim.x) {
        const int h = pr / half, i = pr % half;
        const int e1 = qDim + h * headDim + i, e2 = e1 + half;
        const float k1 = to_f32(row[e1]) + (bias ? bias[e1] : 0.f);
        const float k2 = to_f32(row[e2]) + (bias ? bias[e2] : 0.f);
        float s, c;
        rope_sincos(kpos, invFreq[i], &s, &c);
        kd[h * headDim + i] = from_f32<T>(k1 * c - k2 * s);
        kd[h * headDim + i + half] = from_f32<T>(k2 * c + k1 * s);
    }
    for (int e = threadIdx.x; e < kvDim; e += blockDim.x) {
        const int ev = qDim + kvDim + e;
        vd[e] = from_f32<T>(to_f32(row[ev]) + (bias ? bias[ev] : 0.f));
    }
}

#define QKV_ARGS(T) const T* __restrict__ qkv, int qkvStride, const float* __restrict__ bias, T* __restrict__ q, \
    T* __restrict__ kCache, T* __restrict__ vCache, const int* __restrict__ positions, const int* __restrict__ slots, \
    const double* __restrict__ invFreq, int numHeads, int numKvHeads, int headDim, int dcaL
#define QKV_PASS qkv, qkvStride, bias, q, kCache, vCache, positions, slots, invFreq, numHeads, numKvHeads, headDim, dcaL
extern "C" __global__ void qkv_rope_kv_write(QKV_ARGS(bf16)) { qkv_rope_kv_write_impl(QKV_PASS); }
extern "C" __global__ void qkv_rope_kv_write_f32(QKV_ARGS(float)) { qkv_rope_kv_write_impl(QKV_PASS); }

// swiglu: out[r, j] = silu(gu[r, j]) · gu[r, inter + j], fp32 math.   gu bf16 [n, 2·inter] (the fused gate/up GEMM
// output, gate first); out bf16 [n, inter]. 8 elements (16 bytes) per thread when inter % 8 == 0. n·inter passes
// 2^31 at 113K tokens for the 7B model, so indices are 64-bit. Grid-stride; any grid.
__device__ __forceinline__ float silu_mul(float g, float u) { return g / (1.f + __expf(-g)) * u; }

extern "C" __global__ void swiglu(const bf16* __restrict__ gu, bf16* __restrict__ out, long long n, int inter) {
    const long long stride = (long long)gridDim.x * blockDim.x;
    if ((inter & 7) == 0) {
        const int per = inter / 8;
        const long long total = n * per;
        for (long long v = (long long)blockIdx.x * blockDim.x + threadIdx.x; v < total; v += stride) {
            const long long r = v / per;
            const int c = (int)(v % per) * 8;
            const uint4 g4 = *reinterpret_cast<const uint4*>(gu + r * 2 * inter + c);
            const uint4 u4 = *reinterpret_cast<const uint4*>(gu + r * 2 * inter + inter + c);
            const bf16* g = reinterpret_cast<const bf16*>(&g4);
            const bf16* u = reinterpret_cast<const bf16*>(&u4);
            uint4 o4;
            bf16* o = reinterpret_cast<bf16*>(&o4);
#pragma unroll
            for (int k = 0; k < 8; k++) o[k] = f2bf(silu_mul(bf2f(g[k]), bf2f(u[k])));
            *reinterpret_cast<uint4*>(out + r * inter + c) = o4;
        }
    } else {
        const long long total = n * inter;
        for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
            const long long r = e / inter, c = e % inter;
            out[e] = f2bf(silu_mul(bf2f(gu[r * 2 * inter + c]), bf2f(gu[r * 2 * inter + inter + c])));
        }
    }
}

// swiglu_f32: the same with gu fp32 [n, 2·inter] and out fp32 [n, inter]. Grid-stride; any grid.
extern "C" __global__ void swiglu_f32(const float* __restrict__ gu, float* __restrict__ out, long long n, int inter) {
    const long long total = n * inter;
    for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += (long long)gridDim.x * blockDim.x) {
        const long long r = e / inter, c = e % inter;
        const float g = gu[r * 2 * inter + c];
        out[e] = g / (1.f + expf(-g)) * gu[r * 2 * inter + inter + c];
    }
}

// ---- Adapters for the backend's generic ops (Backend's contract allows fp32 or bf16 buffers anywhere). The forward
// pass allocates every buffer in the type its kernel wants and never needs them; tests and tools may. ----

// f32_to_bf16 / bf16_to_f32: dst[i] = src[i] converted (round to nearest even), i < n. Grid-stride; any grid.
extern "C" __global__ void f32_to_bf16(const float* __restrict__ src, bf16* __restrict__ dst, long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        dst[i] = f2bf(src[i]);
}

extern "C" __global__ void bf16_to_f32(const bf16* __restrict__ src, float* __restrict__ dst, long long n) {
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        dst[i] = bf2f(src[i]);
}

// add_residual: acc[i] += delta[i], i < n; acc fp32, delta bf16 (deltaBf16 != 0) or fp32. The residual add where no
// norm follows (the last layer's MLP output). Grid-stride; any grid.
extern "C" __global__ void add_residual(float* __restrict__ acc, const void* __restrict__ delta, int deltaBf16, long long n) {
    const bf16* db = reinterpret_cast<const bf16*>(delta);
    const float* df = reinterpret_cast<const float*>(delta);
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x)
        acc[i] += deltaBf16 ? bf2f(db[i]) : df[i];
}

// add_bias: x[r, c] += bias[c] for r < rows, c < cols; x bf16 (xBf16 != 0) or fp32, bias fp32. Grid-stride.
extern "C" __global__ void add_bias(void* __restrict__ x, int xBf16, const float* __restrict__ bias, long long rows, int cols) {
    bf16* xb = reinterpret_cast<bf16*>(x);
    float* xf = reinterpret_cast<float*>(x);
    const long long n = rows * cols;
    for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (long long)gridDim.x * blockDim.x) {
        const float b = bias[i % cols];
        if (xBf16) xb[i] = f2bf(bf2f(xb[i]) + b);
        else xf[i] += b;
    }
}

// gather_rows: out row i = src row rows[i] (rowElems 16-bit elements each: an fp32 row counts twice), i < gridDim.x.
// The hidden rows whose logits are wanted. grid m, block 256.
extern "C" __global__ void gather_rows(const unsigned short* __restrict__ src, const int* __restrict__ rows,
                                       unsigned short* __restrict__ out, long long rowElems) {
    const unsigned short* from = src + (long long)rows[blockIdx.x] * rowElems;
    unsigned short* to = out + (long long)blockIdx.x * rowElems;
    for (long long j = threadIdx.x; j < rowElems; j += blockDim.x) to[j] = from[j];
}
