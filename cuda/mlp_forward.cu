// mlp_forward.cu: batched forward of B different MLP policies on M states (Backend.mlpForward).
//
// Computes actions[b, m, :] = scale · tanh(W_L · act(... act(W_1 · s + b_1) ...) + b_L) for every policy b < B and
// state m < M, where s = states[m] (shared, states [M, O]) or states[b, m] (per policy, states [B, M, O]).
// theta [B, P] row-major, each row in MlpSpec's layout (per layer W_l[out][in] row-major, then b_l[out]);
// actions [B, M, A]; cache (optional) [B, ΣH, M]: per policy, per hidden unit in layer order, the M activations
// (feature-major, as CpuBackend writes them for mlpBackward).
//
// CPU twin: CpuBackend.mlpForward with ScalarKernels (gemm: each dot product an FMA chain from 0 in input order,
// then + bias, then the activation; FastTanh for tanh). The hidden layers here sum in the same order, so they agree
// bit for bit with the CPU except where the CPU takes its matrix-vector path (M = 1); the output layer of the large
// kernel sums across a warp (fixed tree), which differs from the CPU's order in the last bits.
//
// Versions, picked by CudaBackend.mlpForward:
//   mlp_fwd_block_<O>_<H1>_<H2>_<A>  presets (small 2-4-1, fwd-small's 2-8-1, medium 2-32-32-1, and O = 3 for
//       Pendulum), M >= 64: grid (ceil(M / 256), B), 128 threads, θ_b staged in shared memory, each thread two
//       states with the whole network in registers; the second hidden layer is consumed unit by unit by the output
//       layer, so it is never stored. Small nets are latency problems: no shared-memory round trips per layer.
//   mlp_fwd_flat_<O>_<H1>_<H2>_<A>   the same presets for M < 64 (rollouts: a few states per policy): one thread per
//       (b, m) over the flattened B·M, θ read through the read-only cache.
//   mlp_forward_large  two hidden layers with H2 <= 320, O <= 32, A <= 4 (the large preset 2-400-300-1): a fused
//       per-policy GEMM. Grid (ceil(M / 64), B), 256 threads; the block owns all H2 rows for 64 states: H1 tiles are
//       computed on the fly from the states (layer 1 costs O multiply-adds per unit; W1 and b1 staged in shared memory
//       when H1·(O + 1) <= LG_W1MAX, W2's tiles loaded through TileLoader), the 320 × 64 output tile of
//       W2 · H1 is register-blocked 10 × 8 per thread over k in steps of 8 (double-buffered shared memory, one
//       barrier per step), and the epilogue applies bias and activation and reduces the output layer across the
//       warp, so H1 and H2 never touch global memory unless the cache is asked for (then H2's rows are staged
//       through shared memory into whole 128-byte lines, pz_store_tile_group).
//   mlp_forward_matvec  one state per policy (M = 1: rollouts with one episode per policy, the returns of a dataset,
//       recovery), any architecture that is not a preset with every layer at most MV_MAX wide: one block per policy,
//       256 threads, the layer's input in shared memory; each row is one half-warp's, lane j summing the inputs
//       q ≡ j mod 16 in increasing q by FMA from 0, the 16 partials then added by shuffles 8, 4, 2, 1 apart: exactly
//       the CPU's matrix-vector order (ScalarKernels.matvec and tree16, SimdKernels.matvec16), so the result equals
//       the CPU's bit for bit. A policy's weights are read once, in 64-byte runs per half-warp: a memory-bound
//       kernel, where mlp_forward_large would run a 64-state tile for one state.
//   mlp_forward_generic  any architecture: one thread per (b, m), every hidden layer written to `hidden`
//       [B, ΣH, M] (the cache, or a workspace) and read back by the same thread. The path that always works.
#include "common.cuh"

// ------------------------------------------------------------------------------------------------ presets

template <int O, int H1, int H2, int A>
struct Preset {
    static constexpr int W0 = 0, B0 = O * H1;
    static constexpr int W1 = B0 + H1, B1 = W1 + (H2 > 0 ? H2 * H1 : A * H1);
    static constexpr int W2 = B1 + (H2 > 0 ? H2 : A), B2 = W2 + A * H2;
    static constexpr int P = H2 > 0 ? B2 + A : B1 + A;
};

// S states of one policy. th: θ_b (shared or global); x: the states; ms: their indices; valid: ms[s] < M.
template <int O, int H1, int H2, int A, int S>
__device__ __forceinline__ void preset_eval(const float* __restrict__ th, const float (&x)[S][O], const int (&ms)[S],
                                            const bool (&valid)[S], int M, float* __restrict__ cache,
                                            float* __restrict__ act_out, int act, float scale) {
    typedef Preset<O, H1, H2, A> L;
    float h1[S][H1];
#pragma unroll
    for (int j = 0; j < H1; j++) {
        float bj = th[L::B0 + j];
#pragma unroll
        for (int s = 0; s < S; s++) {
            float acc = 0.f;
#pragma unroll
            for (int o = 0; o < O; o++) acc = fmaf(th[L::W0 + j * O + o], x[s][o], acc);
            h1[s][j] = pz_hidden(acc + bj, act);
            if (cache != nullptr && valid[s]) cache[(size_t)j * M + ms[s]] = h1[s][j];
        }
    }
    float out[S][A];
    if (H2 == 0) {
#pragma unroll
        for (int a = 0; a < A; a++) {
#pragma unroll
            for (int s = 0; s < S; s++) {
                float acc = 0.f;
#pragma unroll
                for (int j = 0; j < H1; j++) acc = fmaf(th[L::W1 + a * H1 + j], h1[s][j], acc);
                out[s][a] = pz_output(acc + th[L::B1 + a], scale);
            }
        }
    } else {
        float oacc[S][A];
#pragma unroll
        for (int s = 0; s < S; s++)
#pragma unroll
            for (int a = 0; a < A; a++) oacc[s][a] = 0.f;
#pragma unroll 4
        for (int j = 0; j < (H2 > 0 ? H2 : 1); j++) {
            float acc[S];
#pragma unroll
            for (int s = 0; s < S; s++) acc[s] = 0.f;
#pragma unroll
            for (int i = 0; i < H1; i++) {
                float w = th[L::W1 + j * H1 + i];
#pragma unroll
                for (int s = 0; s < S; s++) acc[s] = fmaf(w, h1[s][i], acc[s]);
            }
            float bj = th[L::B1 + j];
#pragma unroll
            for (int s = 0; s < S; s++) {
                float h = pz_hidden(acc[s] + bj, act);
                if (cache != nullptr && valid[s]) cache[(size_t)(H1 + j) * M + ms[s]] = h;
#pragma unroll
                for (int a = 0; a < A; a++) oacc[s][a] = fmaf(th[L::W2 + a * H2 + j], h, oacc[s][a]);
            }
        }
#pragma unroll
        for (int s = 0; s < S; s++)
#pragma unroll
            for (int a = 0; a < A; a++) out[s][a] = pz_output(oacc[s][a] + th[L::B2 + a], scale);
    }
#pragma unroll
    for (int s = 0; s < S; s++) {
        if (!valid[s]) continue;
#pragma unroll
        for (int a = 0; a < A; a++) act_out[(size_t)ms[s] * A + a] = out[s][a];
    }
}

#define PRESET_THREADS 128
#define PRESET_STATES 2

// grid (ceil(M / 256), B), block 128: thread t of block x takes states 256x + t and 256x + t + 128 of policy y.
template <int O, int H1, int H2, int A>
__device__ __forceinline__ void preset_block(const float* __restrict__ theta, const float* __restrict__ states,
                                             int perPolicy, int M, float* __restrict__ actions,
                                             float* __restrict__ cache, int act, float scale) {
    typedef Preset<O, H1, H2, A> L;
    __shared__ __align__(16) float th[L::P];
    const int b = blockIdx.y;
    const float* src = theta + (size_t)b * L::P;
    for (int i = threadIdx.x; i < L::P; i += blockDim.x) th[i] = src[i];
    __syncthreads();
    const float* sb = states + (perPolicy ? (size_t)b * M * O : 0);
    float x[PRESET_STATES][O];
    int ms[PRESET_STATES];
    bool valid[PRESET_STATES];
#pragma unroll
    for (int s = 0; s < PRESET_STATES; s++) {
        ms[s] = blockIdx.x * (PRESET_THREADS * PRESET_STATES) + s * PRESET_THREADS + threadIdx.x;
        valid[s] = ms[s] < M;
#pragma unroll
        for (int o = 0; o < O; o++) x[s][o] = valid[s] ? sb[(size_t)ms[s] * O + o] : 0.f;
    }
    preset_eval<O, H1, H2, A, PRESET_STATES>(th, x, ms, valid, M, cache == nullptr ? nullptr : cache + (size_t)b * (H1 + H2) * M,
                                             actions + (size_t)b * M * A, act, scale);
}

// grid ceil(B·M / 128), block 128: one thread per (b, m) of the flattened B·M.
template <int O, int H1, int H2, int A>
__device__ __forceinline__ void preset_flat(const float* __restrict__ theta, const float* __restrict__ states,
                                            int perPolicy, int B, int M, float* __restrict__ actions,
                                            float* __restrict__ cache, int act, float scale) {
    typedef Preset<O, H1, H2, A> L;
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)B * M) return;
    int b = (int)(i / M);
    float x[1][O];
    int ms[1] = {(int)(i - (size_t)b * M)};
    bool valid[1] = {true};
    const float* s = states + ((perPolicy ? (size_t)b * M : 0) + ms[0]) * O;
#pragma unroll
    for (int o = 0; o < O; o++) x[0][o] = __ldg(s + o);
    preset_eval<O, H1, H2, A, 1>(theta + (size_t)b * L::P, x, ms, valid, M,
                                 cache == nullptr ? nullptr : cache + (size_t)b * (H1 + H2) * M, actions + (size_t)b * M * A,
                                 act, scale);
}

#define PRESET(O, H1, H2, A)                                                                                         \
    extern "C" __global__ void __launch_bounds__(PRESET_THREADS) mlp_fwd_block_##O##_##H1##_##H2##_##A(              \
        const float* __restrict__ theta, const float* __restrict__ states, int perPolicy, int M,                    \
        float* __restrict__ actions, float* __restrict__ cache, int act, float scale) {                            \
        preset_block<O, H1, H2, A>(theta, states, perPolicy, M, actions, cache, act, scale);                        \
    }                                                                                                                \
    extern "C" __global__ void __launch_bounds__(PRESET_THREADS) mlp_fwd_flat_##O##_##H1##_##H2##_##A(               \
        const float* __restrict__ theta, const float* __restrict__ states, int perPolicy, int B, int M,             \
        float* __restrict__ actions, float* __restrict__ cache, int act, float scale) {                            \
        preset_flat<O, H1, H2, A>(theta, states, perPolicy, B, M, actions, cache, act, scale);                      \
    }

// The list CudaBackend looks for (CudaKernels.PRESETS must name the same ones).
PRESET(2, 4, 0, 1)
PRESET(2, 8, 0, 1)
PRESET(2, 32, 32, 1)
PRESET(3, 4, 0, 1)
PRESET(3, 32, 32, 1)

// ------------------------------------------------------------------------------------------------ large

#define LG_THREADS 256
#define LG_BN 64        // states per block
#define LG_TM 10        // rows per thread, r + 32·i
#define LG_TN 8         // states per thread, contiguous
#define LG_BK 8         // k per shared-memory step
#define LG_ROWS 320     // 32 · LG_TM: the largest H2
#define LG_ASTRIDE 324  // As row stride: the transposed stores (k, row) hit 32 different banks
#define LG_OMAX 32
#define LG_AMAX 4       // mlp_forward_large needs A <= 4: checked by the host
#define LG_W1MAX 3072   // W1 and b1 in shared memory up to this many floats (12 KB; 44 KB of static shared in all)

// Σ_o w[o]·s[o] for o < OO, an FMA chain from 0 in order.
template <int OO>
__device__ __forceinline__ float large_dot(const float* __restrict__ w, const float* __restrict__ s) {
    float acc = 0.f;
#pragma unroll
    for (int o = 0; o < OO; o++) acc = fmaf(w[o], s[o], acc);
    return acc;
}

template <bool ONE_ACTION>
__device__ __forceinline__ void large_forward(const float* __restrict__ theta, int P, const float* __restrict__ states,
                                              int perPolicy, int M, int O, int H1, int H2, int A,
                                              float* __restrict__ actions, float* __restrict__ cache, int act,
                                              float scale) {
    __shared__ __align__(16) float As[2][LG_BK][LG_ASTRIDE];   // W2 tile, transposed: As[k][row]
    __shared__ __align__(16) float Bs[2][LG_BK][LG_BN];        // H1 tile: Bs[k][state]
    __shared__ float Ss[LG_BN * LG_OMAX];                      // the block's states [64, O]
    __shared__ float W1s[LG_W1MAX];                            // W1 and b1, when H1 · (O + 1) fits

    const int tid = threadIdx.x, r = tid & 31, c = tid >> 5;
    const int b = blockIdx.y, m0 = blockIdx.x * LG_BN;
    const float* th = theta + (size_t)b * P;
    const float* W1 = th;                    // [H1, O]
    const float* b1 = W1 + (size_t)H1 * O;   // [H1]
    const float* W2 = b1 + H1;               // [H2, H1]
    const float* b2 = W2 + (size_t)H2 * H1;  // [H2]
    const float* W3 = b2 + H2;               // [A, H2]
    const float* b3 = W3 + (size_t)A * H2;   // [A]
    float* cb = cache == nullptr ? nullptr : cache + (size_t)b * (H1 + H2) * M;

    const float* sb = states + (perPolicy ? (size_t)b * M * O : 0);
    for (int e = tid; e < LG_BN * O; e += LG_THREADS) {
        int n = e / O;
        Ss[e] = m0 + n < M ? sb[(size_t)m0 * O + e] : 0.f;
    }
    // W1 [H1, O] and b1 [H1] are contiguous in θ: staged in shared memory when they fit (the large preset: 1,200
    // floats), so that the layer-1 units each step computes read no global memory (their loads would stall every
    // warp right after the step's barrier).
    const int w1n = H1 * (O + 1);
    const bool w1Shared = w1n <= LG_W1MAX;
    if (w1Shared)
        for (int e = tid; e < w1n; e += LG_THREADS) W1s[e] = W1[e];
    __syncthreads();

    // Tile loads: the W2 tile through TileLoader (common.cuh: k = tid % 8, rows tid / 8 + 32q, one pointer advanced
    // per step); the H1 tile computed, thread t taking elements e = t + 256q (k = e / 64, state = e % 64).
    typedef TileLoader<LG_ROWS, true, false> LA;
    static_assert(LA::NQ == LG_ROWS * LG_BK / LG_THREADS && LG_BK == BG_BK && LG_THREADS == BG_THREADS, "tile shape");
    LA la(Opnd{W2, H1, 1, H2, -1}, 0);
    float ra[LA::NQ];                         // 10
    float rb[LG_BN * LG_BK / LG_THREADS];     // 2
    // Unit k of layer 1 on state n: act(Σ_o W1[k, o]·s[n, o] + b1[k]), an FMA chain from 0 in input order (unrolled
    // for O <= 4: MountainCar's 2 and Pendulum's 3 skip the generic loop's trip logic).
    auto unit1 = [&](const float* __restrict__ w, const float* __restrict__ bias, int k, int n) {
        float acc;
        switch (O) {
            case 1: acc = large_dot<1>(w + k, Ss + n); break;
            case 2: acc = large_dot<2>(w + 2 * k, Ss + 2 * n); break;
            case 3: acc = large_dot<3>(w + 3 * k, Ss + 3 * n); break;
            case 4: acc = large_dot<4>(w + 4 * k, Ss + 4 * n); break;
            default:
                acc = 0.f;
                for (int o = 0; o < O; o++) acc = fmaf(w[k * O + o], Ss[n * O + o], acc);
        }
        return pz_hidden(acc + bias[k], act);
    };
    auto load = [&](int k0) {
        la.load(k0, H1, ra);
#pragma unroll
        for (int q = 0; q < LG_BN * LG_BK / LG_THREADS; q++) {
            int e = tid + q * LG_THREADS, k = k0 + e / LG_BN, n = e % LG_BN;
            float h = 0.f;
            if (k < H1) {
                h = w1Shared ? unit1(W1s, W1s + H1 * O, k, n) : unit1(W1, b1, k, n);
                if (cb != nullptr && m0 + n < M) cb[(size_t)k * M + m0 + n] = h;
            }
            rb[q] = h;
        }
    };
    auto store = [&](int buf) {
#pragma unroll
        for (int q = 0; q < LA::NQ; q++) As[buf][LA::kOf(q)][LA::xOf(q)] = ra[q];
#pragma unroll
        for (int q = 0; q < LG_BN * LG_BK / LG_THREADS; q++) {
            int e = tid + q * LG_THREADS;
            Bs[buf][e / LG_BN][e % LG_BN] = rb[q];
        }
    };

    float acc[LG_TM][LG_TN];
#pragma unroll
    for (int i = 0; i < LG_TM; i++)
#pragma unroll
        for (int j = 0; j < LG_TN; j++) acc[i][j] = 0.f;

    const int steps = (H1 + LG_BK - 1) / LG_BK;
    load(0);
    store(0);
    __syncthreads();
    for (int t = 0; t < steps; t++) {
        const int cur = t & 1;
        if (t + 1 < steps) load((t + 1) * LG_BK);
        pz_tile_fma<LG_TM, LG_ASTRIDE, LG_BN>(As[cur], Bs[cur], r, c, acc);
        if (t + 1 < steps) store(cur ^ 1);
        __syncthreads();
    }

    // Epilogue: h2 = act(acc + b2) in place (rows >= H2 are padding and stay unused), for one action with the output
    // layer's partial sums over this thread's 10 rows in the same pass (A > 1: a pass per action); the sums across
    // the warp's 32 lanes (a fixed tree) give the actions. Then the cache's H2 rows, 32 at a time through shared
    // memory (the main loop is done with As), so that each warp stores 32 consecutive states of one row (a 128-byte
    // line) rather than one state of 32 rows.
    float part[LG_TN];
#pragma unroll
    for (int j = 0; j < LG_TN; j++) part[j] = 0.f;
#pragma unroll
    for (int i = 0; i < LG_TM; i++) {
        const int row = r + 32 * i;
        if (row < H2) {
            const float bias = b2[row], w3 = ONE_ACTION ? W3[row] : 0.f;
#pragma unroll
            for (int j = 0; j < LG_TN; j++) {
                acc[i][j] = pz_hidden(acc[i][j] + bias, act);
                if (ONE_ACTION) part[j] = fmaf(w3, acc[i][j], part[j]);
            }
        }
    }
    for (int a = 0; a < (ONE_ACTION ? 1 : A); a++) {
        if (!ONE_ACTION) {
#pragma unroll
            for (int j = 0; j < LG_TN; j++) part[j] = 0.f;
#pragma unroll
            for (int i = 0; i < LG_TM; i++) {
                const int row = r + 32 * i;
                if (row >= H2) continue;
                const float w3 = W3[(size_t)a * H2 + row];
#pragma unroll
                for (int j = 0; j < LG_TN; j++) part[j] = fmaf(w3, acc[i][j], part[j]);
            }
        }
#pragma unroll
        for (int j = 0; j < LG_TN; j++)
#pragma unroll
            for (int off = 16; off >= 1; off >>= 1) part[j] += __shfl_xor_sync(0xffffffffu, part[j], off);
        if (r == 0) {
#pragma unroll
            for (int j = 0; j < LG_TN; j++) {
                int m = m0 + c * LG_TN + j;
                if (m < M) actions[((size_t)b * M + m) * A + a] = pz_output(part[j] + b3[a], scale);
            }
        }
    }
    if (cb != nullptr) {
        static_assert(32 * 65 <= 2 * LG_BK * LG_ASTRIDE, "the staging tile fits in As");
        float (*T)[65] = reinterpret_cast<float(*)[65]>(&As[0][0][0]);
        float* dst = cb + (size_t)H1 * M + m0;
#pragma unroll
        for (int i = 0; i < LG_TM; i++) pz_store_tile_group(T, i, acc[i], dst, M, H2, M - m0, nullptr);
    }
}

// mlp_forward_large_a1 for A = 1 (every env so far); mlp_forward_large for 1 <= A <= 4, whose epilogue keeps all 80
// accumulators live across the actions (ptxas reports a few spills there, see native-build/ptxas-report.txt).
extern "C" __global__ void __launch_bounds__(LG_THREADS, 2)
mlp_forward_large_a1(const float* __restrict__ theta, int P, const float* __restrict__ states, int perPolicy, int M,
                     int O, int H1, int H2, int A, float* __restrict__ actions, float* __restrict__ cache, int act,
                     float scale) {
    large_forward<true>(theta, P, states, perPolicy, M, O, H1, H2, A, actions, cache, act, scale);
}
extern "C" __global__ void __launch_bounds__(LG_THREADS, 2)
mlp_forward_large(const float* __restrict__ theta, int P, const float* __restrict__ states, int perPolicy, int M,
                  int O, int H1, int H2, int A, float* __restrict__ actions, float* __restrict__ cache, int act,
                  float scale) {
    large_forward<false>(theta, P, states, perPolicy, M, O, H1, H2, A, actions, cache, act, scale);
}

// ------------------------------------------------------------------------------------------------ matvec (M = 1)

#define MV_MAX 1024   // widest layer input or output of mlp_forward_matvec (CudaBackend.MATVEC_MAX_WIDTH)

// sizes [L + 1] = O, H_1, ..., A; states [O] (shared) or [B, O] (per policy); actions [B, A]; hidden [B, ΣH] or null.
// Grid B (this launch's policies), 256 threads: warp w takes rows 2w and 2w + 1 of every 16, a half-warp per row, both
// halves through the same loop trips so that the full-warp shuffles always have all 32 lanes.
extern "C" __global__ void __launch_bounds__(256)
mlp_forward_matvec(const float* __restrict__ theta, int P, const float* __restrict__ states, int perPolicy,
                   const int* __restrict__ sizes, int L, int HU, float* __restrict__ actions, float* __restrict__ hidden,
                   int act, float scale) {
    __shared__ float buf[2][MV_MAX];
    const int b = blockIdx.x, tid = threadIdx.x, lane = tid & 15, half = (tid >> 4) & 1, warp = tid >> 5;
    const int O = sizes[0], A = sizes[L];
    const float* th = theta + (size_t)b * P;
    const float* xs = states + (perPolicy ? (size_t)b * O : 0);
    for (int q = tid; q < O; q += blockDim.x) buf[0][q] = xs[q];
    __syncthreads();
    size_t woff = 0;
    int uOff = 0, cur = 0;
    for (int l = 0; l < L; l++) {
        const int in = sizes[l], out = sizes[l + 1];
        const float* W = th + woff;
        const float* bias = W + (size_t)in * out;
        const bool last = l == L - 1;
        for (int r0 = 2 * warp; r0 < out; r0 += 16) {
            const int r = r0 + half;
            float part = 0.f;
            if (r < out) {
                const float* w = W + (size_t)r * in;
#pragma unroll 4   // several loads in flight per lane; the FMA chain's order is unchanged
                for (int q = lane; q < in; q += 16) part = fmaf(w[q], buf[cur][q], part);
            }
            // ScalarKernels.tree16: t[i] += t[i + 8], then + 4, + 2, + 1; lane 0 of each half ends with the sum.
            part += __shfl_down_sync(0xffffffffu, part, 8, 16);
            part += __shfl_down_sync(0xffffffffu, part, 4, 16);
            part += __shfl_down_sync(0xffffffffu, part, 2, 16);
            part += __shfl_down_sync(0xffffffffu, part, 1, 16);
            if (r < out && lane == 0) {
                const float z = part + bias[r];
                if (last) {
                    actions[(size_t)b * A + r] = pz_output(z, scale);
                } else {
                    const float h = pz_hidden(z, act);
                    buf[cur ^ 1][r] = h;
                    if (hidden != nullptr) hidden[(size_t)b * HU + uOff + r] = h;
                }
            }
        }
        __syncthreads();
        woff += (size_t)in * out + out;
        if (!last) uOff += out;
        cur ^= 1;
    }
}

// ------------------------------------------------------------------------------------------------ generic

// sizes [L + 1] = O, H_1, ..., A; hidden [B, ΣH, M]. Pointers are those of the first policy of this launch.
extern "C" __global__ void __launch_bounds__(128)
mlp_forward_generic(const float* __restrict__ theta, int P, const float* __restrict__ states, int perPolicy, int B,
                    int M, const int* __restrict__ sizes, int L, int HU, float* __restrict__ actions,
                    float* __restrict__ hidden, int act, float scale) {
    size_t i = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (size_t)B * M) return;
    int b = (int)(i / M), m = (int)(i - (size_t)b * M);
    const int O = sizes[0], A = sizes[L];
    const float* th = theta + (size_t)b * P;
    const float* xs = states + ((perPolicy ? (size_t)b * M : 0) + m) * O;
    float* hb = hidden + (size_t)b * HU * M;
    size_t woff = 0;
    int uPrev = 0, uOff = 0;
    for (int l = 0; l < L; l++) {
        int in = sizes[l], out = sizes[l + 1];
        const float* W = th + woff;
        const float* bias = W + (size_t)in * out;
        bool last = l == L - 1;
        for (int j = 0; j < out; j++) {
            float acc = 0.f;
            for (int q = 0; q < in; q++) {
                float xq = l == 0 ? xs[q] : hb[(size_t)(uPrev + q) * M + m];
                acc = fmaf(W[(size_t)j * in + q], xq, acc);
            }
            float z = acc + bias[j];
            if (last) actions[((size_t)b * M + m) * A + j] = pz_output(z, scale);
            else hb[(size_t)(uOff + j) * M + m] = pz_hidden(z, act);
        }
        woff += (size_t)in * out + out;
        if (!last) { uPrev = uOff; uOff += out; }
    }
}
