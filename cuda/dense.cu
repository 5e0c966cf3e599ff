// dense.cu: dense layers with shared weights, forward and backward (Backend.denseForward, Backend.denseBackward).
//
// Row-major throughout: x [R, I], W [J, I], b [J], y [R, J] = act(x · Wᵀ + b); backward from dy [R, J]:
// dz = dy ⊙ act'(y) [R, J], dW [J, I] = dzᵀ · x, db [J] = Σ_r dz[r, :], dx [R, I] = dz · W.
//
// One GEMM family computes every product, C [M, N] = Σ_k A(m, k) · B(k, n), in three operand layouts:
//   dense_gemm_nt  A(m, k) = A[m·lda + k], B(k, n) = B[n·ldb + k]   forward:  y = act(x · Wᵀ + b)
//   dense_gemm_nn  A(m, k) = A[m·lda + k], B(k, n) = B[k·ldb + n]   backward: dx = dz · W
//   dense_gemm_tn  A(m, k) = A[k·lda + m], B(k, n) = B[k·ldb + n]   backward: dW = dzᵀ · x
// Each block owns a 64 × 64 tile of C: 128 threads, 8 rows × 4 columns per thread, k in steps of 16 through
// double-buffered shared memory (k-major tiles with a padded row of 68 floats, one barrier per step; the next step's
// global loads are in flight during the current step's 512 FMAs). Per k a thread does 3 128-bit shared loads for 32
// FMAs. Global loads: float4 where the operand's base is 16-byte aligned and its row stride a multiple of 4 (checked
// in the kernel, once per block, so slices at any offset work), otherwise coalesced scalar loads; every edge (M, N, K
// not multiples of the tile, K = 1) is zero-filled per element. The grid is linear over (split, tile), exactly the
// tiles that exist (a 2 × 256 layer is 4 blocks), with the dimension of fewer tiles fastest, so consecutive blocks
// share the larger operand's tile through L2 (the decoder's W [P, 256] is read from DRAM once, not once per row tile).
//
// Split-K (a huge reduction into a small output: the encoder's first layer x [B, P] · Wᵀ with K = P, the decoder's
// last layer's dx with K = P): CudaBackend picks S slices of kSlice (a multiple of 16) from the shapes alone; block
// (s, tile) sums its slice into partial s of ws [S, M, N], and dense_splitk_reduce adds the S partials in order of s,
// then the bias and activation. No atomics: the result is the same on every run and every device.
//
// dense_act_grad  dz = dy ⊙ act'(y) (ScalarKernels.activationGrad with scale 1; dz not written for the identity,
//                 whose dz is dy itself) and db[j] = Σ_r dz[r, j] in order of r: one thread per column, grid
//                 ceil(J / 128), 128 threads (coalesced across j).
//
// Numerics (CPU twin: CpuBackend.denseForward/denseBackward with ScalarKernels): each output of an unsplit GEMM is an
// FMA chain from 0 in order of k (zero-filled k beyond K only adds +0), then + bias, then the activation, which is
// ScalarKernels.gemm's order: bit-identical to the CPU except where the CPU takes its matrix-vector path (a chunk of
// one column: rows = 1 with J ≡ 1 mod 128, I = 1 for dW, I ≡ 1 mod 128 for dx). Split sums differ from the CPU's single
// chain in rounding only (relative error ~ 2⁻²⁴·√K of the CPU's own). db is bit-identical.
#include "common.cuh"

#define GT 64          // outputs per block along M and along N
#define GK 16          // k per shared-memory step
#define GS 68          // shared row stride in floats: 16-byte aligned rows, at most 2-way bank conflicts on stores
#define GTHREADS 128

__device__ __forceinline__ bool pz_aligned16(const void* p) { return (reinterpret_cast<unsigned long long>(p) & 15) == 0; }

// One operand's 64 × 16 tiles, moved global → registers → shared memory by all 128 threads (8 floats each).
//   KC (k contiguous: element (r, k) at base[r·ld + k]): vector, 2 float4 along k at rows tid/4 + 32q, k = 4·(tid % 4);
//       scalar, rows tid/16 + 8q, k = tid % 16 (a warp reads 2 rows × 64 contiguous bytes). Stored transposed,
//       S[k][r].
//   !KC (r contiguous: element (k, r) at base[k·ld + r]): vector, 2 float4 along r at k = tid/16 + 8q,
//       r = 4·(tid % 16); scalar, k = tid/64 + 2q, r = tid % 64 (a warp reads 128 contiguous bytes). Stored as is.
// r counts along M (operand A) or N (operand B); rLeft and kLeft are the valid extents from the tile's origin.
template <bool KC>
struct TileIo {
    const float* p;   // this thread's first element in the current tile
    long long qs;     // distance between its consecutive groups (q)
    long long step;   // advance per k step
    int r, k;         // this thread's first row (along M or N) and k within the tile
    bool vec;

    __device__ __forceinline__ TileIo(const float* base, int ld, int r0, int kBegin, int tid) {
        vec = pz_aligned16(base) && (ld & 3) == 0;
        if (KC) {
            r = vec ? tid >> 2 : tid >> 4;
            k = vec ? (tid & 3) << 2 : tid & 15;
            qs = (long long)(vec ? 32 : 8) * ld;
            step = GK;
            p = base + (long long)(r0 + r) * ld + kBegin + k;
        } else {
            k = vec ? tid >> 4 : tid >> 6;
            r = vec ? (tid & 15) << 2 : tid & 63;
            qs = (long long)(vec ? 8 : 2) * ld;
            step = (long long)GK * ld;
            p = base + (long long)(kBegin + k) * ld + r0 + r;
        }
    }

    __device__ __forceinline__ void load(int rLeft, int kLeft, float (&g)[8]) const {
        if (KC) {
            if (vec) {
#pragma unroll
                for (int q = 0; q < 2; q++) {
                    const float* s = p + q * qs;
                    bool rv = r + 32 * q < rLeft;
                    if (rv && k + 3 < kLeft) {
                        float4 v = *reinterpret_cast<const float4*>(s);
                        g[4 * q] = v.x; g[4 * q + 1] = v.y; g[4 * q + 2] = v.z; g[4 * q + 3] = v.w;
                    } else {
#pragma unroll
                        for (int c = 0; c < 4; c++) g[4 * q + c] = rv && k + c < kLeft ? s[c] : 0.f;
                    }
                }
            } else {
#pragma unroll
                for (int q = 0; q < 8; q++) g[q] = r + 8 * q < rLeft && k < kLeft ? p[q * qs] : 0.f;
            }
        } else {
            if (vec) {
#pragma unroll
                for (int q = 0; q < 2; q++) {
                    const float* s = p + q * qs;
                    bool kv = k + 8 * q < kLeft;
                    if (kv && r + 3 < rLeft) {
                        float4 v = *reinterpret_cast<const float4*>(s);
                        g[4 * q] = v.x; g[4 * q + 1] = v.y; g[4 * q + 2] = v.z; g[4 * q + 3] = v.w;
                    } else {
#pragma unroll
                        for (int c = 0; c < 4; c++) g[4 * q + c] = kv && r + c < rLeft ? s[c] : 0.f;
                    }
                }
            } else {
#pragma unroll
                for (int q = 0; q < 8; q++) g[q] = k + 2 * q < kLeft && r < rLeft ? p[q * qs] : 0.f;
            }
        }
    }

    __device__ __forceinline__ void store(float (*S)[GS], const float (&g)[8]) const {
        if (KC) {
            if (vec) {
#pragma unroll
                for (int q = 0; q < 2; q++)
#pragma unroll
                    for (int c = 0; c < 4; c++) S[k + c][r + 32 * q] = g[4 * q + c];
            } else {
#pragma unroll
                for (int q = 0; q < 8; q++) S[k][r + 8 * q] = g[q];
            }
        } else {
            if (vec) {
#pragma unroll
                for (int q = 0; q < 2; q++)
                    *reinterpret_cast<float4*>(&S[k + 8 * q][r]) = make_float4(g[4 * q], g[4 * q + 1], g[4 * q + 2], g[4 * q + 3]);
            } else {
#pragma unroll
                for (int q = 0; q < 8; q++) S[k + 2 * q][r] = g[q];
            }
        }
    }
};

// C [M, N] (row stride ldc) = Σ_{k in this block's slice} A(m, k)·B(k, n); with bias != null, act(C + bias[n]).
// Block b: split s = b / (tilesM·tilesN), then the tile, fastest along the dimension with fewer tiles. Split s covers
// k in [s·kSlice, min(K, (s+1)·kSlice)) and writes C + s·cSplitStride.
template <bool AK, bool BK>
__device__ __forceinline__ void gemm_block(const float* __restrict__ A, int lda, const float* __restrict__ B, int ldb,
                                           float* __restrict__ C, int ldc, long long cSplitStride, int M, int N, int K,
                                           int kSlice, int tilesM, int tilesN, const float* __restrict__ bias, int act) {
    __shared__ __align__(16) float As[2][GK][GS];   // As[.][k][m]
    __shared__ __align__(16) float Bs[2][GK][GS];   // Bs[.][k][n]
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const int tiles = tilesM * tilesN;
    const int s = blockIdx.x / tiles, t = blockIdx.x - s * tiles;
    int tm, tn;
    if (tilesM <= tilesN) { tm = t % tilesM; tn = t / tilesM; } else { tn = t % tilesN; tm = t / tilesN; }
    const int m0 = tm * GT, n0 = tn * GT;
    const int kBegin = s * kSlice, kCount = min(K - kBegin, kSlice);

    TileIo<AK> ia(A, lda, m0, kBegin, tid);
    TileIo<BK> ib(B, ldb, n0, kBegin, tid);
    float ga[8], gb[8];
    float acc[8][4];
#pragma unroll
    for (int i = 0; i < 8; i++)
#pragma unroll
        for (int j = 0; j < 4; j++) acc[i][j] = 0.f;

    ia.load(M - m0, kCount, ga);
    ib.load(N - n0, kCount, gb);
    ia.store(As[0], ga);
    ib.store(Bs[0], gb);
    __syncthreads();
    const int steps = (kCount + GK - 1) / GK;
    for (int st = 0; st < steps; st++) {
        const int cur = st & 1;
        const bool more = st + 1 < steps;
        if (more) {
            ia.p += ia.step;
            ib.p += ib.step;
            ia.load(M - m0, kCount - (st + 1) * GK, ga);
            ib.load(N - n0, kCount - (st + 1) * GK, gb);
        }
#pragma unroll
        for (int kk = 0; kk < GK; kk++) {
            float4 a0 = *reinterpret_cast<const float4*>(&As[cur][kk][ty * 8]);
            float4 a1 = *reinterpret_cast<const float4*>(&As[cur][kk][ty * 8 + 4]);
            float4 b = *reinterpret_cast<const float4*>(&Bs[cur][kk][tx * 4]);
            float av[8] = {a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w}, bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
            for (int i = 0; i < 8; i++)
#pragma unroll
                for (int j = 0; j < 4; j++) acc[i][j] = fmaf(av[i], bv[j], acc[i][j]);
        }
        if (more) {
            ia.store(As[cur ^ 1], ga);
            ib.store(Bs[cur ^ 1], gb);
        }
        __syncthreads();
    }

    float* Cs = C + s * cSplitStride;
    const int n = n0 + tx * 4;
    const bool vc = pz_aligned16(Cs) && (ldc & 3) == 0 && n + 3 < N;
    float bj[4];
#pragma unroll
    for (int j = 0; j < 4; j++) bj[j] = bias != nullptr && n + j < N ? bias[n + j] : 0.f;
#pragma unroll
    for (int i = 0; i < 8; i++) {
        const int m = m0 + ty * 8 + i;
        if (m >= M) break;
        float v[4];
#pragma unroll
        for (int j = 0; j < 4; j++) v[j] = bias != nullptr ? pz_hidden(acc[i][j] + bj[j], act) : acc[i][j];
        float* row = Cs + (long long)m * ldc + n;
        if (vc) {
            *reinterpret_cast<float4*>(row) = make_float4(v[0], v[1], v[2], v[3]);
        } else {
#pragma unroll
            for (int j = 0; j < 4; j++) if (n + j < N) row[j] = v[j];
        }
    }
}

// MINB blocks per SM: the register cap (65536 / (128 · MINB)) at which ptxas needs no spills (96 or 128 registers).
#define GEMM_KERNEL(name, AK, BK, MINB)                                                                               \
    extern "C" __global__ void __launch_bounds__(GTHREADS, MINB)                                                      \
    name(const float* __restrict__ A, int lda, const float* __restrict__ B, int ldb, float* __restrict__ C, int ldc,  \
         long long cSplitStride, int M, int N, int K, int kSlice, int tilesM, int tilesN,                             \
         const float* __restrict__ bias, int act) {                                                                   \
        gemm_block<AK, BK>(A, lda, B, ldb, C, ldc, cSplitStride, M, N, K, kSlice, tilesM, tilesN, bias, act);         \
    }

GEMM_KERNEL(dense_gemm_nt, true, true, 5)
GEMM_KERNEL(dense_gemm_nn, true, false, 5)
GEMM_KERNEL(dense_gemm_tn, false, false, 4)

// C[m, n] = Σ_s ws[s, m, n] in order of s; with bias != null, act(C + bias[n]). Grid ceil(M·N / 256), 256 threads.
extern "C" __global__ void __launch_bounds__(256)
dense_splitk_reduce(const float* __restrict__ ws, int S, int M, int N, float* __restrict__ C, int ldc,
                    const float* __restrict__ bias, int act) {
    const long long idx = (long long)blockIdx.x * blockDim.x + threadIdx.x, mn = (long long)M * N;
    if (idx >= mn) return;
    const int m = (int)(idx / N), n = (int)(idx - (long long)m * N);
    float sum = ws[idx];
    for (int s = 1; s < S; s++) sum += ws[s * mn + idx];
    if (bias != nullptr) sum = pz_hidden(sum + bias[n], act);
    C[(long long)m * ldc + n] = sum;
}

// dz = dy ⊙ act'(y) (dz null: not written) and db[j] = Σ_r dz[r, j] in order of r; y, dy, dz [R, J].
extern "C" __global__ void __launch_bounds__(128)
dense_act_grad(const float* __restrict__ y, const float* __restrict__ dy, int R, int J, int act, float* __restrict__ dz,
               float* __restrict__ db) {
    const int j = blockIdx.x * blockDim.x + threadIdx.x;
    if (j >= J) return;
    float sum = 0.f;
#pragma unroll 8
    for (int r = 0; r < R; r++) {
        const long long o = (long long)r * J + j;
        const float g = dy[o];
        float d;
        if (act == PZ_RELU) {
            d = y[o] > 0.f ? g : 0.f;
        } else if (act == PZ_TANH) {
            const float u = y[o];          // ScalarKernels.activationGrad with scale 1: u·(1/1) = u, 1·(1 − u²)
            d = g * (1.f - u * u);
        } else {
            d = g;
        }
        if (dz != nullptr) dz[o] = d;
        sum += d;
    }
    db[j] = sum;
}
