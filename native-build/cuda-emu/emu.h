// emu.h: the part of CUDA that cuda/*.cu use, for the CPU emulator of the kernels (native-build/cuda-emu.sh).
//
// Every .cu file is compiled as C++20 by g++ with this header (-O2 -ffp-contract=off -fno-fast-math: no implicit
// FMA, like the GPU build's -fmad=false, so fmaf() is the only fused operation and +, −, ×, /, sqrt round as on the
// GPU). The runtime (runtime.cpp) runs the blocks of a launch one after another and the threads of a block as
// cooperative fibers on one CPU thread, so:
//   - __shared__ is thread_local storage: every fiber of a block sees the same array; the runtime fills the kernel's
//     arrays with a NaN pattern before each block, so a read of shared memory that no thread of the block wrote yet
//     is visible;
//   - threadIdx, blockIdx, blockDim, gridDim are set by the runtime before it resumes a fiber;
//   - __syncthreads() and the warp intrinsics switch to the scheduler, which releases a barrier only when every
//     thread of the block is at it and a warp operation only when every non-exited lane named in its mask is at the
//     same operation with the same mask; anything else is reported as an error naming the kernel.
//   - the kernels are also compiled with alignment checks that trap (a float4 off a 16-byte boundary), which the
//     runtime reports like the GPU's misaligned-address error.
// This is an emulator for checking logic (indexing, tiling, barriers, reductions, edge cases), not a GPU.
#pragma once

#include <math.h>

#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <type_traits>
#include <utility>

#define PZ_CUDA_EMU 1

#ifdef PZ_EMU_LIST
// The listing pass of native-build/cuda-emu.sh (g++ -E): kernels and their launch bounds stay visible as markers.
#define __global__ PZ_EMU_KERNEL
#define __launch_bounds__(...) PZ_EMU_LAUNCH_BOUNDS(__VA_ARGS__)
#else
#define __global__ __attribute__((used))
#define __launch_bounds__(...)
#endif
#define __device__
#define __host__
#define __constant__
#define __forceinline__ inline __attribute__((always_inline))
#define __noinline__ __attribute__((noinline))
#define __align__(n) __attribute__((aligned(n)))
// Block scope: thread_local implies static, one array per CPU thread, shared by the fibers of the block it runs.
#define __shared__ thread_local
// __restrict__ is a g++ keyword already.

// ------------------------------------------------------------------------------------------------ vector types

struct uint3 { unsigned int x, y, z; };
struct dim3 {
    unsigned int x, y, z;
    constexpr dim3(unsigned int x_ = 1, unsigned int y_ = 1, unsigned int z_ = 1) : x(x_), y(y_), z(z_) {}
};
#define PZ_EMU_VEC2(T, N, A) struct __attribute__((aligned(A))) N##2 { T x, y; }; \
    inline N##2 make_##N##2(T x, T y) { return N##2{x, y}; }
#define PZ_EMU_VEC4(T, N, A) struct __attribute__((aligned(A))) N##4 { T x, y, z, w; }; \
    inline N##4 make_##N##4(T x, T y, T z, T w) { return N##4{x, y, z, w}; }
PZ_EMU_VEC2(float, float, 8)
PZ_EMU_VEC4(float, float, 16)
PZ_EMU_VEC2(int, int, 8)
PZ_EMU_VEC4(int, int, 16)
PZ_EMU_VEC2(unsigned int, uint, 8)
PZ_EMU_VEC4(unsigned int, uint, 16)
PZ_EMU_VEC2(double, double, 16)
PZ_EMU_VEC2(long long, longlong, 16)
struct float3 { float x, y, z; };
inline float3 make_float3(float x, float y, float z) { return float3{x, y, z}; }
struct int3 { int x, y, z; };
inline int3 make_int3(int x, int y, int z) { return int3{x, y, z}; }
inline uint3 make_uint3(unsigned x, unsigned y, unsigned z) { return uint3{x, y, z}; }
#undef PZ_EMU_VEC2
#undef PZ_EMU_VEC4

// ------------------------------------------------------------------------------------------------ the runtime's side

namespace emu {
// The built-in indices of the fiber running on this CPU thread. Plain data (no constructor), so that g++ accesses it
// without TLS wrapper calls (-fno-extern-tls-init).
struct Tls {
    uint3 thread_idx, block_idx, block_dim, grid_dim;
};
extern thread_local Tls tls __attribute__((visibility("hidden")));

enum WarpOp : int { SHFL_IDX, SHFL_UP, SHFL_DOWN, SHFL_XOR, BALLOT, ANY, ALL, SYNCWARP, REDUCE_ADD, REDUCE_MIN,
                    REDUCE_MAX, REDUCE_UMIN, REDUCE_UMAX, REDUCE_AND, REDUCE_OR, REDUCE_XOR, MATCH_ANY, MATCH_ALL, ACTIVE };
enum BarrierKind : int { BAR_SYNC, BAR_COUNT, BAR_AND, BAR_OR };

// Block barrier: returns the count / and / or of pred over the block.
__attribute__((visibility("hidden"))) int barrier(int kind, int pred);
// Warp collective: value is this lane's operand (bits); param is srcLane / delta / laneMask; returns this lane's
// result (bits). `what` names the intrinsic in error messages.
__attribute__((visibility("hidden"))) uint64_t warp(int op, unsigned mask, uint64_t value, int param, int width,
                                                    const char* what);
// Ends the launch with an error (device-side assert, __trap).
[[noreturn]] __attribute__((visibility("hidden"))) void trap(const char* what);
__attribute__((visibility("hidden"))) unsigned active_mask();
__attribute__((visibility("hidden"))) long long clock();

template <class T> inline uint64_t bits(T v) {
    static_assert(std::is_trivially_copyable_v<T> && (sizeof(T) == 4 || sizeof(T) == 8),
                  "warp shuffles move 4- or 8-byte values");
    if constexpr (sizeof(T) == 4) return std::bit_cast<uint32_t>(v);
    else return std::bit_cast<uint64_t>(v);
}
template <class T> inline T from_bits(uint64_t b) {
    if constexpr (sizeof(T) == 4) return std::bit_cast<T>(static_cast<uint32_t>(b));
    else return std::bit_cast<T>(b);
}

// The kernel table that native-build/cuda-emu.sh generates for each .cu file.
struct KernelInfo {
    const char* name;
    const char* source;
    void (*invoke)(void** args);
    int params;
    const unsigned* sizes;          // sizeof each parameter
    const unsigned char* pointers;  // 1 where the parameter is a pointer
    int max_threads;                // __launch_bounds__, 0 if none
    const long* shared_bytes;       // static __shared__ bytes, measured from the compiled code
    const long* shared_list;        // (offset in the TLS segment, bytes) per __shared__ array, then (-1, 0)
};

template <auto K> struct Entry;
template <class... P, void (*K)(P...)> struct Entry<K> {
    static void invoke(void** a) { call(a, std::index_sequence_for<P...>{}); }
    template <std::size_t... I> static void call(void** a, std::index_sequence<I...>) {
        K(*static_cast<std::remove_cv_t<P>*>(a[I])...);
    }
    static constexpr unsigned sizes[sizeof...(P) + 1] = {static_cast<unsigned>(sizeof(P))..., 0};
    static constexpr unsigned char pointers[sizeof...(P) + 1] = {
        static_cast<unsigned char>(std::is_pointer_v<P> ? 1 : 0)..., 0};
};

template <auto K>
constexpr KernelInfo kernel(const char* name, const char* source, int max_threads, const long* shared, const long* list) {
    return KernelInfo{name, source, &Entry<K>::invoke, static_cast<int>(sizeof(Entry<K>::sizes) / sizeof(unsigned)) - 1,
                      Entry<K>::sizes, Entry<K>::pointers, max_threads, shared, list};
}

struct Registration {
    __attribute__((visibility("hidden"))) Registration(const KernelInfo* k, int n);
};
}  // namespace emu

#define threadIdx (::emu::tls.thread_idx)
#define blockIdx (::emu::tls.block_idx)
#define blockDim (::emu::tls.block_dim)
#define gridDim (::emu::tls.grid_dim)
#define warpSize 32

// ------------------------------------------------------------------------------------------------ barriers

inline void __syncthreads() { emu::barrier(emu::BAR_SYNC, 0); }
inline int __syncthreads_count(int p) { return emu::barrier(emu::BAR_COUNT, p != 0); }
inline int __syncthreads_and(int p) { return emu::barrier(emu::BAR_AND, p != 0); }
inline int __syncthreads_or(int p) { return emu::barrier(emu::BAR_OR, p != 0); }
// One thread runs at a time and memory is the host's: fences only stop the compiler from moving accesses.
inline void __threadfence() { std::atomic_signal_fence(std::memory_order_seq_cst); }
inline void __threadfence_block() { std::atomic_signal_fence(std::memory_order_seq_cst); }
inline void __threadfence_system() { std::atomic_signal_fence(std::memory_order_seq_cst); }
[[noreturn]] inline void __trap() { emu::trap("__trap()"); }
inline void __nanosleep(unsigned) {}
inline long long clock64() { return emu::clock(); }

// ------------------------------------------------------------------------------------------------ warp intrinsics

template <class T> inline T __shfl_sync(unsigned mask, T v, int src, int width = 32) {
    return emu::from_bits<T>(emu::warp(emu::SHFL_IDX, mask, emu::bits(v), src, width, "__shfl_sync"));
}
template <class T> inline T __shfl_up_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return emu::from_bits<T>(emu::warp(emu::SHFL_UP, mask, emu::bits(v), (int)delta, width, "__shfl_up_sync"));
}
template <class T> inline T __shfl_down_sync(unsigned mask, T v, unsigned delta, int width = 32) {
    return emu::from_bits<T>(emu::warp(emu::SHFL_DOWN, mask, emu::bits(v), (int)delta, width, "__shfl_down_sync"));
}
template <class T> inline T __shfl_xor_sync(unsigned mask, T v, int laneMask, int width = 32) {
    return emu::from_bits<T>(emu::warp(emu::SHFL_XOR, mask, emu::bits(v), laneMask, width, "__shfl_xor_sync"));
}
inline unsigned __ballot_sync(unsigned mask, int p) {
    return (unsigned)emu::warp(emu::BALLOT, mask, p != 0, 0, 32, "__ballot_sync");
}
inline int __any_sync(unsigned mask, int p) { return (int)emu::warp(emu::ANY, mask, p != 0, 0, 32, "__any_sync"); }
inline int __all_sync(unsigned mask, int p) { return (int)emu::warp(emu::ALL, mask, p != 0, 0, 32, "__all_sync"); }
inline void __syncwarp(unsigned mask = 0xffffffffu) { emu::warp(emu::SYNCWARP, mask, 0, 0, 32, "__syncwarp"); }
inline unsigned __activemask() { return emu::active_mask(); }
inline unsigned __reduce_add_sync(unsigned mask, unsigned v) {
    return (unsigned)emu::warp(emu::REDUCE_ADD, mask, v, 0, 32, "__reduce_add_sync");
}
inline int __reduce_add_sync(unsigned mask, int v) {
    return (int)(unsigned)emu::warp(emu::REDUCE_ADD, mask, (unsigned)v, 0, 32, "__reduce_add_sync");
}
inline unsigned __reduce_min_sync(unsigned mask, unsigned v) {
    return (unsigned)emu::warp(emu::REDUCE_UMIN, mask, v, 0, 32, "__reduce_min_sync");
}
inline int __reduce_min_sync(unsigned mask, int v) {
    return (int)(unsigned)emu::warp(emu::REDUCE_MIN, mask, (unsigned)v, 0, 32, "__reduce_min_sync");
}
inline unsigned __reduce_max_sync(unsigned mask, unsigned v) {
    return (unsigned)emu::warp(emu::REDUCE_UMAX, mask, v, 0, 32, "__reduce_max_sync");
}
inline int __reduce_max_sync(unsigned mask, int v) {
    return (int)(unsigned)emu::warp(emu::REDUCE_MAX, mask, (unsigned)v, 0, 32, "__reduce_max_sync");
}
inline unsigned __reduce_and_sync(unsigned mask, unsigned v) {
    return (unsigned)emu::warp(emu::REDUCE_AND, mask, v, 0, 32, "__reduce_and_sync");
}
inline unsigned __reduce_or_sync(unsigned mask, unsigned v) {
    return (unsigned)emu::warp(emu::REDUCE_OR, mask, v, 0, 32, "__reduce_or_sync");
}
inline unsigned __reduce_xor_sync(unsigned mask, unsigned v) {
    return (unsigned)emu::warp(emu::REDUCE_XOR, mask, v, 0, 32, "__reduce_xor_sync");
}
template <class T> inline unsigned __match_any_sync(unsigned mask, T v) {
    return (unsigned)emu::warp(emu::MATCH_ANY, mask, emu::bits(v), 0, 32, "__match_any_sync");
}
template <class T> inline unsigned __match_all_sync(unsigned mask, T v, int* pred) {
    uint64_t r = emu::warp(emu::MATCH_ALL, mask, emu::bits(v), 0, 32, "__match_all_sync");
    *pred = r != 0;
    return (unsigned)r;
}

// ------------------------------------------------------------------------------------------------ memory

template <class T> inline T __ldg(const T* p) { return *p; }
template <class T> inline T __ldcg(const T* p) { return *p; }
template <class T> inline T __ldca(const T* p) { return *p; }
template <class T> inline T __ldcs(const T* p) { return *p; }
template <class T> inline T __ldlu(const T* p) { return *p; }
template <class T> inline T __ldcv(const T* p) { return *p; }
template <class T> inline void __stcg(T* p, T v) { *p = v; }
template <class T> inline void __stcs(T* p, T v) { *p = v; }
template <class T> inline void __stwb(T* p, T v) { *p = v; }
template <class T> inline void __stwt(T* p, T v) { *p = v; }

// Atomics: one fiber runs at a time and launches do not overlap, so a plain read-modify-write is atomic here.
// Integer arithmetic wraps as on the GPU.
#define PZ_EMU_ATOMIC(NAME, T, EXPR)                                                                                \
    inline T NAME(T* a, T v) { T o = *a; *a = (EXPR); return o; }
PZ_EMU_ATOMIC(atomicAdd, int, (int)((unsigned)o + (unsigned)v))
PZ_EMU_ATOMIC(atomicAdd, unsigned int, o + v)
PZ_EMU_ATOMIC(atomicAdd, unsigned long long, o + v)
PZ_EMU_ATOMIC(atomicAdd, float, o + v)
PZ_EMU_ATOMIC(atomicAdd, double, o + v)
PZ_EMU_ATOMIC(atomicSub, int, (int)((unsigned)o - (unsigned)v))
PZ_EMU_ATOMIC(atomicSub, unsigned int, o - v)
PZ_EMU_ATOMIC(atomicExch, int, v)
PZ_EMU_ATOMIC(atomicExch, unsigned int, v)
PZ_EMU_ATOMIC(atomicExch, unsigned long long, v)
PZ_EMU_ATOMIC(atomicExch, float, v)
PZ_EMU_ATOMIC(atomicMin, int, v < o ? v : o)
PZ_EMU_ATOMIC(atomicMin, unsigned int, v < o ? v : o)
PZ_EMU_ATOMIC(atomicMin, long long, v < o ? v : o)
PZ_EMU_ATOMIC(atomicMin, unsigned long long, v < o ? v : o)
PZ_EMU_ATOMIC(atomicMax, int, v > o ? v : o)
PZ_EMU_ATOMIC(atomicMax, unsigned int, v > o ? v : o)
PZ_EMU_ATOMIC(atomicMax, long long, v > o ? v : o)
PZ_EMU_ATOMIC(atomicMax, unsigned long long, v > o ? v : o)
PZ_EMU_ATOMIC(atomicAnd, int, o & v)
PZ_EMU_ATOMIC(atomicAnd, unsigned int, o & v)
PZ_EMU_ATOMIC(atomicAnd, unsigned long long, o & v)
PZ_EMU_ATOMIC(atomicOr, int, o | v)
PZ_EMU_ATOMIC(atomicOr, unsigned int, o | v)
PZ_EMU_ATOMIC(atomicOr, unsigned long long, o | v)
PZ_EMU_ATOMIC(atomicXor, int, o ^ v)
PZ_EMU_ATOMIC(atomicXor, unsigned int, o ^ v)
PZ_EMU_ATOMIC(atomicXor, unsigned long long, o ^ v)
PZ_EMU_ATOMIC(atomicInc, unsigned int, o >= v ? 0u : o + 1)
PZ_EMU_ATOMIC(atomicDec, unsigned int, (o == 0 || o > v) ? v : o - 1)
#undef PZ_EMU_ATOMIC
inline int atomicCAS(int* a, int c, int v) { int o = *a; if (o == c) *a = v; return o; }
inline unsigned atomicCAS(unsigned* a, unsigned c, unsigned v) { unsigned o = *a; if (o == c) *a = v; return o; }
inline unsigned long long atomicCAS(unsigned long long* a, unsigned long long c, unsigned long long v) {
    unsigned long long o = *a; if (o == c) *a = v; return o;
}

// ------------------------------------------------------------------------------------------------ arithmetic

inline float __int_as_float(int i) { return std::bit_cast<float>(i); }
inline int __float_as_int(float f) { return std::bit_cast<int>(f); }
inline float __uint_as_float(unsigned u) { return std::bit_cast<float>(u); }
inline unsigned __float_as_uint(float f) { return std::bit_cast<unsigned>(f); }
inline double __longlong_as_double(long long i) { return std::bit_cast<double>(i); }
inline long long __double_as_longlong(double d) { return std::bit_cast<long long>(d); }
inline int __double2hiint(double d) { return (int)(std::bit_cast<unsigned long long>(d) >> 32); }
inline int __double2loint(double d) { return (int)(unsigned)std::bit_cast<unsigned long long>(d); }
inline double __hiloint2double(int hi, int lo) {
    return std::bit_cast<double>(((unsigned long long)(unsigned)hi << 32) | (unsigned)lo);
}

// IEEE round-to-nearest operations: exactly the GPU's (the _rn intrinsics and the default operators agree).
inline float __fmaf_rn(float a, float b, float c) { return fmaf(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline float __fmul_rn(float a, float b) { return a * b; }
inline float __fdiv_rn(float a, float b) { return a / b; }
inline float __frcp_rn(float a) { return 1.f / a; }
inline float __fsqrt_rn(float a) { return sqrtf(a); }
inline double __fma_rn(double a, double b, double c) { return fma(a, b, c); }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline float __saturatef(float x) { return x > 0.f ? (x < 1.f ? x : 1.f) : 0.f; }   // NaN → 0
// Not bit-exact with the GPU: its approximate versions have their own error bounds (see cuda/README.md, "The CUDA emulator").
inline float __fdividef(float a, float b) { return a / b; }
inline float __expf(float x) { return expf(x); }
inline float __logf(float x) { return logf(x); }
inline float __sinf(float x) { return sinf(x); }
inline float __cosf(float x) { return cosf(x); }
inline float __powf(float a, float b) { return powf(a, b); }
inline float __tanhf(float x) { return tanhf(x); }
inline float rsqrtf(float x) { return 1.f / sqrtf(x); }
inline double rsqrt(double x) { return 1.0 / sqrt(x); }

inline int __float2int_rn(float x) { return (int)nearbyintf(x); }
inline int __float2int_rz(float x) { return (int)x; }
inline int __float2int_rd(float x) { return (int)floorf(x); }
inline int __float2int_ru(float x) { return (int)ceilf(x); }
inline unsigned __float2uint_rn(float x) { return (unsigned)nearbyintf(x); }
inline float __int2float_rn(int i) { return (float)i; }
inline float __uint2float_rn(unsigned u) { return (float)u; }
inline float __ll2float_rn(long long i) { return (float)i; }
inline float __ull2float_rn(unsigned long long u) { return (float)u; }

inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __clzll(long long x) { return x == 0 ? 64 : __builtin_clzll((unsigned long long)x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
inline unsigned __brev(unsigned x) {
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0F0F0F0Fu) | ((x & 0x0F0F0F0Fu) << 4);
    x = ((x >> 8) & 0x00FF00FFu) | ((x & 0x00FF00FFu) << 8);
    return (x >> 16) | (x << 16);
}
inline unsigned __umulhi(unsigned a, unsigned b) { return (unsigned)(((unsigned long long)a * b) >> 32); }
inline int __mulhi(int a, int b) { return (int)(((long long)a * b) >> 32); }
inline unsigned long long __umul64hi(unsigned long long a, unsigned long long b) {
    return (unsigned long long)(((unsigned __int128)a * b) >> 64);
}
inline int __mul24(int a, int b) { return (int)((unsigned)((a << 8) >> 8) * (unsigned)((b << 8) >> 8)); }
inline unsigned __umul24(unsigned a, unsigned b) { return (a & 0xFFFFFFu) * (b & 0xFFFFFFu); }

// CUDA's overloaded min/max of the device library (integer and floating point).
inline int min(int a, int b) { return a < b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline unsigned long long min(unsigned long long a, unsigned long long b) { return a < b ? a : b; }
inline float min(float a, float b) { return fminf(a, b); }
inline double min(double a, double b) { return fmin(a, b); }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline unsigned long long max(unsigned long long a, unsigned long long b) { return a > b ? a : b; }
inline float max(float a, float b) { return fmaxf(a, b); }
inline double max(double a, double b) { return fmax(a, b); }
