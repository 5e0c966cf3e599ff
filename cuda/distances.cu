// distances.cu: squared Euclidean distances between descriptor sets, and the k-nearest-neighbour selection of
// novelty search (Backend.pairwiseSquaredDistances, Backend.knnSquaredDistances).
//
// row_sq_norms        n[i] = ‖x_i‖² for x [R, D]: one thread per row, an FMA chain from 0 in order of the
//                     coordinates (CpuBackend.rowNorm). Grid ceil(R / 128), 128 threads.
// pairwise_sq_dist    out[i, j] = max(0, (xx_i + yy_j) − 2 x_i·y_j) for x [R1, D], y [R2, D], out [R1, ldo] (row
//                     stride ldo >= R2); xx, yy from row_sq_norms. With selfOffset >= 0, out[i, selfOffset + i] = +∞
//                     (the k-NN's self-exclusion: +∞ is never selected, as the CPU never inserts a skipped column).
//                     Tiled GEMM: grid (ceil(R2 / 64), ceil(R1 / 64)), 256 threads, 64 × 64 outputs per block,
//                     4 × 4 per thread, D in steps of 16 through shared memory. Each dot product is an FMA chain from
//                     0 in order of d, like ScalarKernels.gemm; (a + b) − 2c equals the CPU k-NN's
//                     fma(−2, c, a + b) exactly, since 2c is exact. Not where the CPU's block of y rows is one row
//                     wide (pairwise with R2 ≡ 1 mod 128, a k-NN pool block ≡ 1 mod 32 rows): ScalarKernels.gemm then
//                     takes its matrix-vector path (16 interleaved partial sums), so those columns differ from the CPU
//                     in the last bits (found on the CPU emulator, native-build/cuda-emu.sh).
// knn_select          out[i, 0..k) = the k smallest values of row i of dist [Q, ldd] (first P columns), ascending,
//                     ties kept with their multiplicity, NaN never taken (ScalarKernels.knnUpdate's rule). One warp per
//                     query: each lane keeps a sorted list of its columns' k smallest (k <= 64, local memory), then k
//                     rounds of a warp-wide minimum (lowest lane wins ties) pop the merged list. Grid ceil(Q / 4),
//                     128 threads.
//
// CPU twins: CpuBackend.pairwiseSquaredDistances and CpuBackend.knnSquaredDistances (scalar kernels).
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(128)
row_sq_norms(const float* __restrict__ x, int R, int D, float* __restrict__ out) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= R) return;
    const float* row = x + (size_t)i * D;
    float s = 0.f;
    for (int d = 0; d < D; d++) s = fmaf(row[d], row[d], s);
    out[i] = s;
}

#define DT 64          // outputs per block side
#define DK 16          // coordinates per shared-memory step
#define DSTRIDE 68     // tile row stride: float4-aligned

extern "C" __global__ void __launch_bounds__(256)
pairwise_sq_dist(const float* __restrict__ x, int R1, const float* __restrict__ y, int R2, int D,
                 const float* __restrict__ xx, const float* __restrict__ yy, float* __restrict__ out, long long ldo,
                 int selfOffset) {
    __shared__ __align__(16) float Xs[DK][DSTRIDE];   // Xs[d][row of x]
    __shared__ __align__(16) float Ys[DK][DSTRIDE];   // Ys[d][row of y]
    const int tid = threadIdx.x, tx = tid & 15, ty = tid >> 4;
    const int i0 = blockIdx.y * DT, j0 = blockIdx.x * DT;
    float acc[4][4];
#pragma unroll
    for (int a = 0; a < 4; a++)
#pragma unroll
        for (int b = 0; b < 4; b++) acc[a][b] = 0.f;

    for (int d0 = 0; d0 < D; d0 += DK) {
        // 64 rows × 16 coordinates of each operand: element e = tid + 256q, d = e % 16, row = e / 16.
#pragma unroll
        for (int q = 0; q < DT * DK / 256; q++) {
            int e = tid + q * 256, d = d0 + (e & (DK - 1)), row = e / DK;
            Xs[e & (DK - 1)][row] = i0 + row < R1 && d < D ? x[(size_t)(i0 + row) * D + d] : 0.f;
            Ys[e & (DK - 1)][row] = j0 + row < R2 && d < D ? y[(size_t)(j0 + row) * D + d] : 0.f;
        }
        __syncthreads();
#pragma unroll
        for (int k = 0; k < DK; k++) {
            float4 a = *reinterpret_cast<const float4*>(&Xs[k][ty * 4]);
            float4 b = *reinterpret_cast<const float4*>(&Ys[k][tx * 4]);
            float av[4] = {a.x, a.y, a.z, a.w}, bv[4] = {b.x, b.y, b.z, b.w};
#pragma unroll
            for (int p = 0; p < 4; p++)
#pragma unroll
                for (int q = 0; q < 4; q++) acc[p][q] = fmaf(av[p], bv[q], acc[p][q]);
        }
        __syncthreads();
    }
#pragma unroll
    for (int p = 0; p < 4; p++) {
        int i = i0 + ty * 4 + p;
        if (i >= R1) continue;
#pragma unroll
        for (int q = 0; q < 4; q++) {
            int j = j0 + tx * 4 + q;
            if (j >= R2) continue;
            float v = pz_max0((xx[i] + yy[j]) - 2.f * acc[p][q]);
            if (selfOffset >= 0 && j == selfOffset + i) v = __int_as_float(0x7f800000);
            out[(size_t)i * ldo + j] = v;
        }
    }
}

#define KNN_KMAX 64

extern "C" __global__ void __launch_bounds__(128)
knn_select(const float* __restrict__ dist, int Q, int P, long long ldd, int k, float* __restrict__ out) {
    const int query = (blockIdx.x * blockDim.x + threadIdx.x) >> 5, lane = threadIdx.x & 31;
    if (query >= Q) return;   // uniform across the warp
    const float inf = __int_as_float(0x7f800000);
    float top[KNN_KMAX];
    for (int r = 0; r < k; r++) top[r] = inf;
    const float* row = dist + (size_t)query * ldd;
    for (int j = lane; j < P; j += 32) {
        float d = row[j];
        if (d < top[k - 1]) {   // false for NaN and for +∞ (self)
            int i = k - 1;
            while (i > 0 && top[i - 1] > d) { top[i] = top[i - 1]; i--; }
            top[i] = d;
        }
    }
    int head = 0;
    for (int r = 0; r < k; r++) {
        float v = head < k ? top[head] : inf;
        int who = lane;
#pragma unroll
        for (int off = 16; off >= 1; off >>= 1) {
            float ov = __shfl_xor_sync(0xffffffffu, v, off);
            int ow = __shfl_xor_sync(0xffffffffu, who, off);
            if (ov < v || (ov == v && ow < who)) { v = ov; who = ow; }
        }
        if (lane == who) head++;
        if (lane == 0) out[(size_t)query * k + r] = v;
    }
}
