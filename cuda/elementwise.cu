// elementwise.cu: the element-wise operations of training (Backend.adamStep, Backend.columnAffine,
// Backend.meanSquaredError). Memory-bound: one thread per element, consecutive threads on consecutive elements.
//
// adam_step       one Adam step on n parameters, in place on param, m, v [n]: m = β1·m + (1 − β1)·g,
//                 v = β2·v + (1 − β2)·g·g, param −= lr·(m·c1) / (√(v·c2) + ε), with the bias corrections
//                 c1 = 1/(1 − β1^t), c2 = 1/(1 − β2^t) computed on the host exactly as ScalarKernels.adam does (in
//                 double, rounded to float). Grid ceil(n / 256), 256 threads.
// column_affine   y[r, c] = x[r, c]·scale[c] (shift null) or fma(x[r, c], scale[c], shift[c]); x, y [R, C], y may be
//                 x. Grid ceil(R·C / 256), 256 threads over the flattened R·C.
// mse_partial     d = pred − target (float), grad = (2/n)·d when grad is not null, and per block the sum of d² in
//                 double over its MSE_CHUNK elements (a fixed tree over the block's threads) into partial[block].
//                 Grid ceil(n / MSE_CHUNK), 256 threads.
// mse_finish      out[0] = Σ partial[0, G) in double (fixed strided sums, then a fixed tree): 1 block, 256 threads.
//                 The host reads back that one double and divides by n.
//
// CPU twins: ScalarKernels.adam (and SimdKernels.adam, which is bit-identical to it), CpuBackend.columnAffine,
// CpuBackend.meanSquaredError. Every float operation here is the twin's, in the twin's order (-fmad=false: no
// contraction; IEEE division and square root), so param, m, v, y and grad are bit-identical; only the double sum of
// the loss is added in another order (relative difference ~ 1e-16 · log n).
#include "common.cuh"

extern "C" __global__ void __launch_bounds__(256)
adam_step(float* param, const float* grad, float* m, float* v, int n, float lr, float beta1, float beta2, float eps,
          float c1, float c2) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    // The twin's order of reads and writes (no __restrict__): g, m, v read, m and v written, then param.
    const float gi = grad[i];
    const float mi = beta1 * m[i] + (1.f - beta1) * gi;
    const float vi = beta2 * v[i] + (1.f - beta2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    param[i] = param[i] - __fdiv_rn(lr * (mi * c1), __fsqrt_rn(vi * c2) + eps);
}

extern "C" __global__ void __launch_bounds__(256)
column_affine(const float* x, int R, int C, const float* __restrict__ scale, const float* __restrict__ shift, float* y) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (long long)R * C) return;
    const int c = (int)(i % C);
    const float xv = x[i];
    y[i] = shift == nullptr ? xv * scale[c] : fmaf(xv, scale[c], shift[c]);
}

#define MSE_THREADS 256
#define MSE_PER_THREAD 16
#define MSE_CHUNK (MSE_THREADS * MSE_PER_THREAD)   // elements per block: 4096

// Σ over the block's threads of s, as a fixed pairwise tree in shared memory; the result in thread 0.
__device__ __forceinline__ double block_sum(double s) {
    __shared__ double red[MSE_THREADS];
    red[threadIdx.x] = s;
    __syncthreads();
#pragma unroll
    for (int w = MSE_THREADS / 2; w >= 1; w >>= 1) {
        if (threadIdx.x < w) red[threadIdx.x] += red[threadIdx.x + w];
        __syncthreads();
    }
    return red[0];
}

extern "C" __global__ void __launch_bounds__(MSE_THREADS)
mse_partial(const float* pred, const float* target, int n, float* grad, float scale, double* __restrict__ partial) {
    const long long base = (long long)blockIdx.x * MSE_CHUNK;
    double s = 0.0;
#pragma unroll
    for (int q = 0; q < MSE_PER_THREAD; q++) {
        const long long i = base + q * MSE_THREADS + threadIdx.x;
        if (i < n) {
            const float d = pred[i] - target[i];
            s += (double)d * (double)d;
            if (grad != nullptr) grad[i] = scale * d;
        }
    }
    const double total = block_sum(s);
    if (threadIdx.x == 0) partial[blockIdx.x] = total;
}

extern "C" __global__ void __launch_bounds__(MSE_THREADS)
mse_finish(const double* __restrict__ partial, int G, double* __restrict__ out) {
    double s = 0.0;
    for (int i = threadIdx.x; i < G; i += MSE_THREADS) s += partial[i];
    const double total = block_sum(s);
    if (threadIdx.x == 0) out[0] = total;
}
