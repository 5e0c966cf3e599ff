// common.cuh: device twins of the CPU backend's scalar arithmetic, shared by every kernel in cuda/.
//
// Bit-for-bit twins: native-build/build-kernels.sh compiles with -fmad=false, so the compiler never contracts a
// multiply and an add into an FMA on its own; every FMA below is written as fmaf() where the Java code calls
// Math.fma, and every other operation is a single correctly rounded IEEE operation (division and double sqrt are
// IEEE-rounded without --use_fast_math). NaN and signed-zero behaviour follows java.lang.Math, not fmaxf/fminf
// (fminf(c, NaN) is c; Math.min(c, NaN) is NaN).
#pragma once

// Activation codes: policyzip.policy.Activation ordinals (RELU, TANH, IDENTITY).
#define PZ_RELU 0
#define PZ_TANH 1
#define PZ_IDENTITY 2

// Math.max(0f, v): NaN stays NaN, -0 becomes +0.
__device__ __forceinline__ float pz_max0(float v) {
    return v > 0.f ? v : (v != v ? v : 0.f);
}

// FastTanh.tanh (java/policyzip/backend/cpu/FastTanh.java): a [13/6] rational approximation on x clamped to
// ±7.9053 (Eigen's generic_fast_tanh_float coefficients), x itself for |x| < 4e-4, ±1 for |x| >= 9.
__device__ __forceinline__ float pz_tanh(float x) {
    if (x != x) return x;
    const float clamp = 7.90531110763549805f;
    float xc = x > clamp ? clamp : (x < -clamp ? -clamp : x);
    float x2 = xc * xc;
    float p = fmaf(x2, -2.76076847742355e-16f, 2.00018790482477e-13f);
    p = fmaf(p, x2, -8.60467152213735e-11f);
    p = fmaf(p, x2, 5.12229709037114e-08f);
    p = fmaf(p, x2, 1.48572235717979e-05f);
    p = fmaf(p, x2, 6.37261928875436e-04f);
    p = fmaf(p, x2, 4.89352455891786e-03f);
    p = p * xc;
    float q = fmaf(x2, 1.19825839466702e-06f, 1.18534705686654e-04f);
    q = fmaf(q, x2, 2.26843463243900e-03f);
    q = fmaf(q, x2, 4.89352518554385e-03f);
    float r = p / q;
    float ax = fabsf(x);
    if (ax < 0.0004f) return x;
    if (ax >= 9.f) return copysignf(1.f, x);
    return r;
}

// ScalarKernels.activate: the hidden activation of z (already z = Σ + bias).
__device__ __forceinline__ float pz_hidden(float z, int act) {
    if (act == PZ_RELU) return z > 0.f ? z : (z != z ? z : 0.f);   // Math.max(z, 0f)
    if (act == PZ_TANH) return pz_tanh(z);
    return z;
}

// The output layer: scale · tanh(z).
__device__ __forceinline__ float pz_output(float z, float scale) {
    return scale * pz_tanh(z);
}

// One group of 32 rows of a 256-thread block's register tile of 32·TM rows × 64 columns, in which lane r of warp c
// holds rows r + 32i (i < TM) and columns 8c .. 8c + 7 (mlp_forward_large's and mlp_bwd_dw's layout), stored to the
// row-major dst (row stride ld) through shared memory. Stored directly, each warp instruction would write 32 rows
// (32 sectors for 128 bytes: an uncoalesced store, replayed 32 times); here v[j] (row r + 32i, column 8c + j) goes to
// T [32][65] (stride 65: the 32 lanes of a column write 32 banks) and is read back so that each warp stores 32
// consecutive columns of one row (one 128-byte line). Rows >= rows and columns >= cols are not stored, except that with
// tail != null column cols goes to tail[row] (mlp_bwd_dw's bias column, db). T may alias
// shared memory the block is done with: the first barrier orders every earlier use of it before the writes. Call it
// from all 256 threads, group by group. (One pointer stepped by 4 rows: 8 addresses kept live made ptxas spill.)
__device__ __forceinline__ void pz_store_tile_group(float (*T)[65], int i, const float (&v)[8], float* __restrict__ dst,
                                                    int ld, int rows, int cols, float* __restrict__ tail) {
    const int tid = threadIdx.x, r = tid & 31, c = tid >> 5, col = tid & 63, r0 = tid >> 6;
    __syncthreads();
#pragma unroll
    for (int j = 0; j < 8; j++) T[r][8 * c + j] = v[j];
    __syncthreads();
    float* p = dst + (size_t)(32 * i + r0) * ld + col;
#pragma unroll
    for (int q = 0; q < 8; q++) {
        const int row = 32 * i + r0 + 4 * q;
        if (row < rows) {
            if (col < cols) *p = T[r0 + 4 * q][col];
            else if (tail != nullptr && col == cols) tail[row] = T[r0 + 4 * q][col];
        }
        p += (size_t)4 * ld;
    }
}

// ------------------------------------------------------------------------------------------------ tile loads
// The global → register half of the register-blocked GEMMs' double-buffered tiles (mlp_forward_large's W2 and the
// layered backward's operands): 256-thread blocks, k in steps of BG_BK.
#define BG_THREADS 256
#define BG_BK 8      // k per shared-memory step

// A GEMM operand: element (x, k) at p[x·sx + k·sk] for x < n and k < K; 1 at x == ones (the bias column) and
// k < K; 0 elsewhere. Offsets are int: one policy's operand is a slice of a buffer of Java-int length.
struct Opnd {
    const float* p;
    int sx, sk, n, ones;
    // Element (x, k) for a k < K (the caller checks k; TileLoader steps a pointer instead).
    __device__ __forceinline__ float at(int x, int k) const { return x < n ? p[x * sx + k * sk] : (x == ones ? 1.f : 0.f); }
};

// One thread's share of an operand tile [ROWS rows × BG_BK k] (NQ = ROWS·8/256 elements), with its addressing
// reduced to one pointer that advances by 8·sk per step, the count of its valid rows and the index of its ones row.
// KC (contiguous along k: the dz and cache rows of dW): k = tid % 8 fixed, rows (tid / 8) + 32q, so 8 threads read
// 8 consecutive k of a row. Otherwise (contiguous along the row index: dz^T and W of dx; needs 256 % ROWS == 0):
// row tid % ROWS fixed, k = tid / ROWS + q·(256 / ROWS).
template <int ROWS, bool KC, bool ONES>
struct TileLoader {
    static constexpr int NQ = ROWS * BG_BK / BG_THREADS, KSTEP = KC ? 0 : BG_THREADS / ROWS;
    static_assert(KC || BG_THREADS % ROWS == 0, "row-contiguous tiles need 256 % ROWS == 0");
    const float* ptr;   // element (first row, first k) of this thread at the current step
    int step;           // between consecutive q: 32 rows (KC) or KSTEP k
    int adv;            // per step: 8·sk
    int kk;             // this thread's first k within the step
    int nq;             // KC: q < nq are rows < n; otherwise NQ or 0 (the row is < n or not)
    int qOnes;          // KC: the q whose row is the ones row, or -1; otherwise 0 (the row is it) or -1

    __device__ __forceinline__ TileLoader(const Opnd& o, int row0) {
        const int tid = threadIdx.x;
        int x;
        if (KC) {
            kk = tid & (BG_BK - 1);
            x = row0 + tid / BG_BK;
            step = 32 * o.sx;
            nq = o.n > x ? min(NQ, (o.n - x + 31) / 32) : 0;
            qOnes = ONES && o.ones >= x && (o.ones - x) % 32 == 0 && (o.ones - x) / 32 < NQ ? (o.ones - x) / 32 : -1;
        } else {
            kk = tid / ROWS;
            x = row0 + tid % ROWS;
            step = KSTEP * o.sk;
            nq = x < o.n ? NQ : 0;
            qOnes = ONES && x == o.ones ? 0 : -1;
        }
        ptr = o.p + (x < o.n ? x * o.sx + kk * o.sk : 0);
        adv = BG_BK * o.sk;
    }
    // The elements of the step starting at k0; then advances to the next step.
    __device__ __forceinline__ void load(int k0, int K, float (&r)[NQ]) {
#pragma unroll
        for (int q = 0; q < NQ; q++) {
            const bool kok = k0 + kk + q * KSTEP < K;
            const bool mem = KC ? q < nq : nq > 0;
            const bool one = ONES && (KC ? q == qOnes : qOnes == 0);
            r[q] = kok && mem ? ptr[q * step] : (kok && one ? 1.f : 0.f);
        }
        ptr += adv;
    }
    // Where element q goes in the [BG_BK][stride] tile.
    __device__ __forceinline__ static int kOf(int q) { return KC ? threadIdx.x & (BG_BK - 1) : threadIdx.x / ROWS + q * KSTEP; }
    __device__ __forceinline__ static int xOf(int q) { return KC ? threadIdx.x / BG_BK + 32 * q : threadIdx.x % ROWS; }
};


// One shared-memory step of the register-blocked GEMMs (mlp_forward_large, the layered backward): for k < BG_BK,
// acc[i][j] += A[k][r + 32i] · B[k][8c + j] (lane r, warp c; A and B k-major tiles with row strides AS and BS), each
// an FMA in order of k. Per k: TM scalar loads of A (32 lanes, 32 consecutive words: no bank conflict), two float4
// broadcasts of B, TM · 8 FMAs.
template <int TM, int AS, int BS>
__device__ __forceinline__ void pz_tile_fma(const float (*__restrict__ A)[AS], const float (*__restrict__ B)[BS], int r, int c,
                                            float (&acc)[TM][8]) {
#pragma unroll
    for (int k = 0; k < BG_BK; k++) {
        float a[TM], bv[8];
#pragma unroll
        for (int i = 0; i < TM; i++) a[i] = A[k][r + 32 * i];
        const float4 b0 = *reinterpret_cast<const float4*>(&B[k][8 * c]);
        const float4 b1 = *reinterpret_cast<const float4*>(&B[k][8 * c + 4]);
        bv[0] = b0.x; bv[1] = b0.y; bv[2] = b0.z; bv[3] = b0.w;
        bv[4] = b1.x; bv[5] = b1.y; bv[6] = b1.z; bv[7] = b1.w;
#pragma unroll
        for (int i = 0; i < TM; i++)
#pragma unroll
            for (int j = 0; j < 8; j++) acc[i][j] = fmaf(a[i], bv[j], acc[i][j]);
    }
}
