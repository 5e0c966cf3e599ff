// policy_init.cu: θ of B random policies regenerated from their 64-bit seeds on the device (Backend.initPolicies).
//
// theta [B, P]: parameter p of layer l for seed s is bound_l · (2u − 1) with u = (mix64(s + (p + 1)·φ) >> 40)·2⁻²⁴,
// φ = 0x9E3779B97F4A7C15 (SplitMix64's p-th output), bound_l = (float) (1 / sqrt(in_l)) computed by the host.
// layers [L, 2] int: per layer, the end of its parameters (biasOffset + out) and the raw bits of its bound.
// Grid (ceil(P / 256), B), 256 threads, one thread per parameter.
//
// CPU twin: PolicyInit.initialize. Bit-identical: the integer steps are exact, the conversion of a 24-bit integer
// and the scaling by 2⁻²⁴, 2u and 2u − 1 are exact, and bound · (2u − 1) is one correctly rounded multiply (no
// contraction: native-build compiles with -fmad=false).
#include "common.cuh"

__device__ __forceinline__ unsigned long long pz_mix64(unsigned long long z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

extern "C" __global__ void __launch_bounds__(256)
policy_init(const unsigned long long* __restrict__ seeds, int P, const int* __restrict__ layers, int L,
            float* __restrict__ theta) {
    int p = blockIdx.x * blockDim.x + threadIdx.x;
    if (p >= P) return;
    int l = 0;
    while (l < L - 1 && p >= layers[2 * l]) l++;
    float bound = __int_as_float(layers[2 * l + 1]);
    unsigned long long r = pz_mix64(seeds[blockIdx.y] + (unsigned long long)(p + 1) * 0x9E3779B97F4A7C15ull);
    float u = (float)(r >> 40) * 0x1p-24f;
    theta[(size_t)blockIdx.y * P + p] = bound * (2.f * u - 1.f);
}
