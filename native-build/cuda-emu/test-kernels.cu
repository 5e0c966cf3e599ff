// test-kernels.cu: kernels for the CUDA emulator's own tests (tests/policyzip/backend/cuda/CudaEmulatorTest.java), built
// by native-build/cuda-emu.sh into native/cuda-emu/libpzcudaemu-test.so. Several break CUDA's rules on purpose (writes
// outside a buffer, divergent barriers, a missing barrier), which is why they live here and not in cuda/. The others
// pin the semantics of the warp intrinsics and of the thread and block indices.
#include <assert.h>

// Thread i < n + 1 writes out[i]: one element past the end of an n-element buffer.
extern "C" __global__ void write_past_end(float* out, int n) {
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i <= n) out[i] = 1.f;
}

extern "C" __global__ void write_before_start(float* out) {
    if (threadIdx.x == 0) out[-1] = 1.f;
}

// Half the block waits at a barrier the other half never reaches.
extern "C" __global__ void divergent_barrier(float* out) {
    if (threadIdx.x < 16) __syncthreads();
    out[threadIdx.x] = 1.f;
}

// Threads >= n return before a barrier the others wait at.
extern "C" __global__ void exit_before_barrier(float* out, int n) {
    if (threadIdx.x >= (unsigned)n) return;
    __syncthreads();
    out[threadIdx.x] = 1.f;
}

// Lane 0 waits at __syncthreads while lanes 1..31 shuffle with it.
extern "C" __global__ void shuffle_against_barrier(float* out) {
    float v = (float)threadIdx.x;
    if (threadIdx.x == 0) __syncthreads();
    else v = __shfl_xor_sync(0xffffffffu, v, 1);
    out[threadIdx.x] = v;
}

// Lanes of one warp at two different intrinsics.
extern "C" __global__ void diverged_intrinsics(int* out) {
    int t = threadIdx.x;
    out[t] = t < 8 ? (int)__ballot_sync(0xffffffffu, 1) : __shfl_sync(0xffffffffu, t, 0);
}

// Each thread reads its right neighbour's shared value, with or without the barrier between write and read.
extern "C" __global__ void shared_neighbour(float* out, int sync) {
    __shared__ float s[128];
    s[threadIdx.x] = (float)(blockIdx.x * 1000 + threadIdx.x);
    if (sync) __syncthreads();
    out[blockIdx.x * blockDim.x + threadIdx.x] = s[(threadIdx.x + 1) % blockDim.x];
}

// Thread 3 writes out[i]: through a null pointer, or far outside any buffer.
extern "C" __global__ void far_write(float* out, long long i) {
    if (threadIdx.x == 3) out[i] = 1.f;
}

// A float4 load at in + shift floats: misaligned unless shift is a multiple of 4.
extern "C" __global__ void vector_load(float* out, const float* in, int shift) {
    float4 v = *reinterpret_cast<const float4*>(in + shift);
    out[threadIdx.x] = v.x + v.y + v.z + v.w;
}

extern "C" __global__ void int_division(int* out, int d) {
    out[threadIdx.x] = 100 / (d - (int)threadIdx.x);
}

extern "C" __global__ void failing_assert(int* out) {
    assert(threadIdx.x != 5);
    out[threadIdx.x] = 1;
}

// 52,000 bytes of static shared memory: more than a block may have.
extern "C" __global__ void too_much_shared(float* out) {
    __shared__ float big[13000];
    big[threadIdx.x] = 1.f;
    __syncthreads();
    out[threadIdx.x] = big[(threadIdx.x + 1) % blockDim.x];
}

extern "C" __global__ void __launch_bounds__(64) bounded(float* out) {
    out[blockIdx.x * blockDim.x + threadIdx.x] = 1.f;
}

extern "C" __global__ void add_long(long long* out, long long v) {
    out[threadIdx.x] += v;
}

// out[16 t + slot] for the global thread t: the warp intrinsics' results (blocks of 64 threads: two full warps).
extern "C" __global__ void warp_ops(int* out) {
    const int t = threadIdx.x, lane = t & 31;
    int* o = out + (size_t)(blockIdx.x * blockDim.x + t) * 16;
    o[0] = __shfl_sync(0xffffffffu, t * 10, 3);
    o[1] = __shfl_sync(0xffffffffu, t * 10, lane + 1, 8);
    o[2] = __shfl_up_sync(0xffffffffu, t, 2);
    o[3] = __shfl_down_sync(0xffffffffu, t, 5, 16);
    o[4] = __shfl_xor_sync(0xffffffffu, t, 6);
    o[5] = (int)__ballot_sync(0xffffffffu, lane % 3 == 0);
    o[6] = __any_sync(0xffffffffu, t == 40);
    o[7] = __all_sync(0xffffffffu, lane < 31);
    o[8] = __reduce_add_sync(0xffffffffu, t);
    o[9] = (int)__reduce_max_sync(0xffffffffu, (unsigned)(t * 7 % 32));
    float s = (float)t;
    for (int off = 16; off >= 1; off >>= 1) s += __shfl_xor_sync(0xffffffffu, s, off);
    o[10] = (int)s;
    o[11] = __reduce_add_sync(lane < 16 ? 0x0000ffffu : 0xffff0000u, 1);
    __syncwarp();
    o[12] = __syncthreads_count(t % 4 == 0);
    o[13] = __syncthreads_or(t == 63);
    o[14] = __syncthreads_and(t < 63);
    double d = __shfl_sync(0xffffffffu, t + 0.25, 31);
    o[15] = (int)(d * 4);
}

// Blocks of 48 threads (the second warp has 16 lanes) where lanes >= 20 of each warp return first: the full-mask
// intrinsics run over the lanes left; reading a returned or missing lane gives an undefined value (the emulator's NaN
// pattern, 0x7FBADBAD).
extern "C" __global__ void partial_warps(int* out) {
    const int t = threadIdx.x, lane = t & 31;
    int* o = out + (size_t)(blockIdx.x * blockDim.x + t) * 4;
    if (lane >= 20) {
        o[0] = o[1] = o[2] = o[3] = -1;
        return;
    }
    o[0] = (int)__ballot_sync(0xffffffffu, 1);
    o[1] = __shfl_sync(0xffffffffu, t, 19);
    o[2] = __shfl_sync(0xffffffffu, t, 25);
    o[3] = (int)__activemask();
}

// out[linear global thread] = its indices, packed: 3D blocks in a 3D grid.
extern "C" __global__ void indices(int* out) {
    unsigned bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    unsigned tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    unsigned threads = blockDim.x * blockDim.y * blockDim.z;
    out[bx * threads + tx] = (int)(threadIdx.x | threadIdx.y << 4 | threadIdx.z << 8 | blockIdx.x << 12 | blockIdx.y << 16
                                   | blockIdx.z << 20);
}

// Thread t reads thread t − 1's shared value (thread 0 its own) with or without the barrier between. In forward order
// thread t − 1 has always run first, so the race shows only in reverse or shuffled order.
extern "C" __global__ void shared_previous(float* out, int sync) {
    __shared__ float s[128];
    s[threadIdx.x] = (float)(blockIdx.x * 1000 + threadIdx.x);
    if (sync) __syncthreads();
    out[blockIdx.x * blockDim.x + threadIdx.x] = s[threadIdx.x == 0 ? 0 : threadIdx.x - 1];
}

// Write after read: each thread reads thread t + 1's value, then overwrites its own, with or without the barrier that
// keeps the overwrite from racing the neighbour's read (the second barrier of a double-buffered loop).
extern "C" __global__ void shared_overwrite(float* out, int sync) {
    __shared__ float s[128];
    int t = threadIdx.x;
    s[t] = (float)t;
    __syncthreads();
    float v = t + 1 < (int)blockDim.x ? s[t + 1] : -2.f;
    if (sync) __syncthreads();
    s[t] = -1.f;
    __syncthreads();
    out[blockIdx.x * blockDim.x + t] = v + s[t];
}

// Block b's thread 0 reads block b − 1's output: a dependency between blocks of one launch, which no GPU orders.
extern "C" __global__ void block_chain(float* out) {
    if (threadIdx.x == 0) out[blockIdx.x] = blockIdx.x == 0 ? 1.f : out[blockIdx.x - 1] + 1.f;
}
