// mlp_backward.cu: batched backward of B different MLP policies on M states (Backend.mlpBackward).
//
// From dA = dL/d(actions) [B, M, A], the forward's actions [B, M, A] and its hidden activations cache [B, ΣH, M]
// (feature-major: per policy, per hidden unit in layer order, the M post-activation values; mlp_forward.cu), for
// every policy b with θ_b = theta[b] (MlpSpec's layout: per layer W_l[out][in] row-major, then b_l[out]):
//   dz_{L-1} [A, M]   = dA^T ⊙ scale·(1 − (a/scale)²)                 the output layer, through the actions
//   dW_l [out, in]    = dz_l · x_l^T,   db_l = dz_l · 1                x_0 = the states, x_l = h_{l-1} (the cache)
//   dz_{l-1} [in, M]  = (W_l^T · dz_l) ⊙ act'(h_{l-1})                act' from the cached outputs, as the CPU
//   dx [O, M]         = W_0^T · dz_0                                   dL/d(states), only when asked for
// dtheta [B, P]. dstates: per policy [B, M, O] (PER_POLICY layout: the output itself; SHARED: per-policy parts in a
// workspace, then mlp_bwd_sum_states adds them over b in policy order into [M, O]).
//
// CPU twin: CpuBackend.mlpBackward with ScalarKernels (activationGrad, gemm, gemmTN, gemmNT). Every sum here is an
// FMA chain from 0 in index order. The sums over units (dz, dx) are in the CPU's order, so they agree bit for bit
// for M > 1 (M = 1 takes the CPU's matrix-vector order). The sums over states (dW, db) run in state order: the
// CPU's order on its large-layer path (a transposed gemm), a few last bits off its medium path (gemmNT: 16
// interleaved partial sums and a tree) and its bias sums (matrix-vector products). Deterministic: each output is
// written by one thread in a fixed order; no atomics.
//
// Versions, picked by CudaBackend.mlpBackward:
//   mlp_bwd_block_<O>_<H1>_<H2>_<A>  presets (the forward's list: 2-4-1, 2-8-1, 2-32-32-1, 3-4-1, 3-32-32-1). Grid
//       (1, B), 256 threads: one block per policy, θ_b in shared memory, the states in tiles of 64 (the next
//       tile's loads prefetched into registers). Per tile, in shared memory [rows, 64]: the states, the cached
//       activations and every layer's dz; dz is propagated down layer by layer (each thread 2 units × 4 states,
//       W read as broadcasts), then every thread adds the tile's states to its own dθ accumulators: a micro-tile
//       of 8 rows j × 1 column i of one layer's [dW | db] (the bias is the column of a row of ones), kept in
//       registers across tiles and written once at the end. The sum over states is thus in state order, inside
//       one thread: deterministic without atomics, and θ_b, dz and dθ_b never leave the SM.
//   Every other architecture (the large 2-400-300-1 included) takes the layered path, a few launches per layer
//   over a chunk of policies, dz in a workspace [chunk, max(H, A), M] (two, ping-pong):
//     mlp_bwd_out        dz of the output layer. One thread per (b, m, a).
//     mlp_bwd_dw_t2, mlp_bwd_dw_t10, mlp_bwd_dw_t10_swap
//                        dW_l and db_l as one batched GEMM per layer: C [out, in + 1] = dz_l · [x_l ; 1]^T with K = M
//                        (_swap: its transpose; whichever pads least, CudaBackend.dwVariant). Grid (tiles, B). Not
//                        swapped, C's rows are dW's rows: the epilogue stages them through shared memory so that
//                        each warp stores 128 contiguous bytes (pz_store_tile_group), not 32 rows' 4 bytes each.
//     mlp_bwd_dw_thin_out, mlp_bwd_dw_thin_in
//                        dW_l and db_l of a thin layer (out or in + 1 at most THIN_MAX = 8: the large net's first and
//                        last layers), one thread per index of the wide side with the thin side's sums in registers,
//                        instead of a GEMM tile padding 1 to 3 useful rows to 64 or 320. Same sums, same bits.
//     mlp_bwd_dx_t2, mlp_bwd_dx_t8
//                        C^T [M, in] = dz_l^T · W_l with K = out, the epilogue ⊙ act'(h_{l-1}) writing dz_{l-1} to
//                        the other workspace, or (layer 0) dL/d(states) as [M, O] per policy (CudaBackend.dxVariant).
//                        Grid (tiles, B).
//     mlp_bwd_sum_states the SHARED sum over policies: one thread per (m, o), b in order.
//   The GEMMs are register-blocked like mlp_forward_large: 256 threads, a block tile of 32·TM rows × 64 columns,
//   each thread TM rows (r + 32i) × 8 contiguous columns, k in steps of 8 through double-buffered shared memory
//   (one barrier per step). For the large net (2-400-300-1), the 400 → 300 layer's [dW | db] [300, 401] runs on the
//   TM = 10 tile (320 × 64, 80 accumulators, 10 + 2 shared loads per 80 FMAs, 84 % of the padded tile used) and
//   the gradient at its input, C^T [M = 256, 400], on TM = 8 (256 × 64); the dW of the thin layers (O or A wide) on
//   mlp_bwd_dw_thin_*, their dx on whichever variant pads least. Operands are read through strides, so one kernel
//   serves the cache, the workspace and the states ([M, O], row-major) alike.
#include "common.cuh"

// ScalarKernels.activationGrad for one element: dz = dy · act'(·) from the activation's output y. ReLU 1[y > 0]
// (a NaN y gives 0, as in Java), tanh with scale s: s·(1 − (y·inv)²) with inv = 1/s (hidden layers: s = inv = 1),
// identity 1.
__device__ __forceinline__ float bwd_act_grad(float y, float dy, int act, float scale, float inv) {
    if (act == PZ_RELU) return y > 0.f ? dy : 0.f;
    if (act == PZ_TANH) {
        float t = y * inv;
        return dy * (scale * (1.f - t * t));
    }
    return dy;
}

// ------------------------------------------------------------------------------------------------ presets

#define PB_THREADS 256
#define PB_T 64     // states per tile
#define PB_TS 68    // row stride of the tile array (≡ 4 mod 32: eight float4 rows of a quarter warp hit 8 bank groups)

// Compile-time layout of a preset network (H2 = 0: one hidden layer), of its θ and of the tile array.
template <int O, int H1, int H2, int A>
struct BwdNet {
    static constexpr int L = H2 > 0 ? 3 : 2, HU = H1 + H2;
    __host__ __device__ static constexpr int size(int q) { return q == 0 ? O : q == 1 ? H1 : (q == 2 && H2 > 0) ? H2 : A; }
    __host__ __device__ static constexpr int in(int l) { return size(l); }
    __host__ __device__ static constexpr int out(int l) { return size(l + 1); }
    __host__ __device__ static constexpr int wOff(int l) { return l == 0 ? 0 : wOff(l - 1) + out(l - 1) * (in(l - 1) + 1); }
    __host__ __device__ static constexpr int bOff(int l) { return wOff(l) + out(l) * in(l); }
    static constexpr int P = bOff(L - 1) + A;
    // Rows of the tile array [ROWS][PB_TS]: the states X [O], the cached activations H [HU], dz of every layer in
    // layer order [HU + A], a row of ones (1 for the tile's valid states).
    static constexpr int RX = 0, RH = O, RDZ = O + HU, RONE = O + 2 * HU + A, ROWS = RONE + 1;
    __host__ __device__ static constexpr int inRow(int l) { return l == 0 ? RX : RH + (l == 2 ? H1 : 0); }   // x_l
    __host__ __device__ static constexpr int dzRow(int l) { return RDZ + (l >= 1 ? H1 : 0) + (l >= 2 ? H2 : 0); }
    // dθ micro-tiles: per layer, groups of 8 rows j × one column i of [dW_l | db_l] (i = in: the bias).
    __host__ __device__ static constexpr int groups(int l) { return (out(l) + 7) / 8; }
    __host__ __device__ static constexpr int tiles(int l) { return groups(l) * (in(l) + 1); }
    __host__ __device__ static constexpr int tileStart(int l) { return l == 0 ? 0 : tileStart(l - 1) + tiles(l - 1); }
    static constexpr int TILES = tileStart(L - 1) + tiles(L - 1);
    static constexpr int SLOTS = (TILES + PB_THREADS - 1) / PB_THREADS;
};

__device__ __forceinline__ float4 ld4(const float* p) { return *reinterpret_cast<const float4*>(p); }
__device__ __forceinline__ void st4(float* p, float4 v) { *reinterpret_cast<float4*>(p) = v; }

// dz_{l-1} = (W_l^T · dz_l) ⊙ act'(h_{l-1}) on the tile: items of RI units × 4 states, j in order (gemmTN's sums).
template <class N, int l>
__device__ __forceinline__ void preset_back_layer(const float* __restrict__ th, float* __restrict__ S, int act) {
    constexpr int in = N::in(l), out = N::out(l), RI = in % 2 == 0 ? 2 : 1, Q = PB_T / 4;
    constexpr int ITEMS = in / RI * Q, ITER = (ITEMS + PB_THREADS - 1) / PB_THREADS;
    const float* W = th + N::wOff(l);
#pragma unroll
    for (int it = 0; it < ITER; it++) {
        const int e = threadIdx.x + it * PB_THREADS;
        if (e >= ITEMS) break;
        const int i0 = e / Q * RI, m4 = e % Q * 4;
        float acc[RI][4];
#pragma unroll
        for (int r = 0; r < RI; r++)
#pragma unroll
            for (int q = 0; q < 4; q++) acc[r][q] = 0.f;
#pragma unroll 4
        for (int j = 0; j < out; j++) {
            float4 d = ld4(S + (N::dzRow(l) + j) * PB_TS + m4);
#pragma unroll
            for (int r = 0; r < RI; r++) {
                float w = W[j * in + i0 + r];
                acc[r][0] = fmaf(w, d.x, acc[r][0]);
                acc[r][1] = fmaf(w, d.y, acc[r][1]);
                acc[r][2] = fmaf(w, d.z, acc[r][2]);
                acc[r][3] = fmaf(w, d.w, acc[r][3]);
            }
        }
#pragma unroll
        for (int r = 0; r < RI; r++) {
            float4 h = ld4(S + (N::inRow(l) + i0 + r) * PB_TS + m4), z;
            z.x = bwd_act_grad(h.x, acc[r][0], act, 1.f, 1.f);
            z.y = bwd_act_grad(h.y, acc[r][1], act, 1.f, 1.f);
            z.z = bwd_act_grad(h.z, acc[r][2], act, 1.f, 1.f);
            z.w = bwd_act_grad(h.w, acc[r][3], act, 1.f, 1.f);
            st4(S + (N::dzRow(l - 1) + i0 + r) * PB_TS + m4, z);
        }
    }
}

template <int O, int H1, int H2, int A>
__device__ __forceinline__ void preset_backward(const float* __restrict__ theta, const float* __restrict__ states,
                                                int perPolicy, int M, const float* __restrict__ actions,
                                                const float* __restrict__ cache, const float* __restrict__ dA,
                                                float* __restrict__ dtheta, float* __restrict__ ds, int act,
                                                float scale) {
    typedef BwdNet<O, H1, H2, A> N;
    __shared__ __align__(16) float th[N::P];
    __shared__ __align__(16) float S[N::ROWS * PB_TS];
    const int tid = threadIdx.x, b = blockIdx.y;
    const float* tb = theta + (size_t)b * N::P;
    for (int i = tid; i < N::P; i += PB_THREADS) th[i] = tb[i];
    const float* sb = states + (perPolicy ? (size_t)b * M * O : 0);
    const float* cb = cache + (size_t)b * N::HU * M;
    const float* ab = actions + (size_t)b * M * A;
    const float* gb = dA + (size_t)b * M * A;
    float* dsb = ds == nullptr ? nullptr : ds + (size_t)b * M * O;
    const float inv = 1.f / scale;

    // Tile loads, one tile ahead in registers: states [64, O] (contiguous), cache rows [HU][64], actions and dA [64, A].
    constexpr int NX = (O * PB_T + PB_THREADS - 1) / PB_THREADS, NH = (N::HU * PB_T + PB_THREADS - 1) / PB_THREADS,
                  NA = (A * PB_T + PB_THREADS - 1) / PB_THREADS;
    float rx[NX], rh[NH], ra[NA], rg[NA];
    auto prefetch = [&](int m0) {
#pragma unroll
        for (int q = 0; q < NX; q++) {
            const int e = tid + q * PB_THREADS;
            rx[q] = e < O * PB_T && m0 + e / O < M ? sb[(size_t)m0 * O + e] : 0.f;
        }
#pragma unroll
        for (int q = 0; q < NH; q++) {
            const int e = tid + q * PB_THREADS, u = e / PB_T, m = e % PB_T;
            rh[q] = e < N::HU * PB_T && m0 + m < M ? cb[(size_t)u * M + m0 + m] : 0.f;
        }
#pragma unroll
        for (int q = 0; q < NA; q++) {
            const int e = tid + q * PB_THREADS;
            const bool ok = e < A * PB_T && m0 + e / A < M;
            ra[q] = ok ? ab[(size_t)m0 * A + e] : 0.f;
            rg[q] = ok ? gb[(size_t)m0 * A + e] : 0.f;
        }
    };
    auto commit = [&](int m0) {
#pragma unroll
        for (int q = 0; q < NX; q++) {
            const int e = tid + q * PB_THREADS;
            if (e < O * PB_T) S[(N::RX + e % O) * PB_TS + e / O] = rx[q];
        }
#pragma unroll
        for (int q = 0; q < NH; q++) {
            const int e = tid + q * PB_THREADS;
            if (e < N::HU * PB_T) S[(N::RH + e / PB_T) * PB_TS + e % PB_T] = rh[q];
        }
#pragma unroll
        for (int q = 0; q < NA; q++) {
            const int e = tid + q * PB_THREADS, m = e / A;
            if (e < A * PB_T) {
                S[(N::dzRow(N::L - 1) + e % A) * PB_TS + m] = m0 + m < M ? bwd_act_grad(ra[q], rg[q], PZ_TANH, scale, inv) : 0.f;
            }
        }
        if (tid < PB_T) S[N::RONE * PB_TS + tid] = m0 + tid < M ? 1.f : 0.f;
    };

    // This thread's dθ micro-tiles: rows uRow .. uRow + nr − 1 of dz (nr <= 8) against row vRow (x_l or the ones);
    // element r goes to dθ_b[wo + r·ws].
    float acc[N::SLOTS][8];
    int uRow[N::SLOTS], vRow[N::SLOTS], nr[N::SLOTS], wo[N::SLOTS], ws[N::SLOTS];
#pragma unroll
    for (int s = 0; s < N::SLOTS; s++) {
        const int t = s * PB_THREADS + tid;
        nr[s] = 0; uRow[s] = vRow[s] = N::RONE; wo[s] = 0; ws[s] = 1;
#pragma unroll
        for (int l = 0; l < N::L; l++) {
            if (t >= N::tileStart(l) && t < N::tileStart(l) + N::tiles(l)) {
                const int k = t - N::tileStart(l), g = k / (N::in(l) + 1), i = k % (N::in(l) + 1);
                uRow[s] = N::dzRow(l) + 8 * g;
                nr[s] = min(8, N::out(l) - 8 * g);
                vRow[s] = i < N::in(l) ? N::inRow(l) + i : N::RONE;
                wo[s] = i < N::in(l) ? N::wOff(l) + 8 * g * N::in(l) + i : N::bOff(l) + 8 * g;
                ws[s] = i < N::in(l) ? N::in(l) : 1;
            }
        }
#pragma unroll
        for (int r = 0; r < 8; r++) acc[s][r] = 0.f;
    }

    prefetch(0);
    commit(0);
    __syncthreads();
    for (int m0 = 0; m0 < M; m0 += PB_T) {
        const bool more = m0 + PB_T < M;
        if (more) prefetch(m0 + PB_T);
        // dz down the layers.
        if constexpr (N::L == 3) {
            preset_back_layer<N, 2>(th, S, act);
            __syncthreads();
        }
        preset_back_layer<N, 1>(th, S, act);
        __syncthreads();
        // dL/d(states) [64, O] of the tile: dx[o][m] = Σ_i W_0[i][o]·dz_0[i][m], i in order.
        if (dsb != nullptr) {
            constexpr int Q = PB_T / 4;
            for (int e = tid; e < O * Q; e += PB_THREADS) {
                const int o = e / Q, m4 = e % Q * 4;
                float d0 = 0.f, d1 = 0.f, d2 = 0.f, d3 = 0.f;
#pragma unroll 8
                for (int i = 0; i < H1; i++) {
                    float w = th[N::wOff(0) + i * O + o];
                    float4 z = ld4(S + (N::dzRow(0) + i) * PB_TS + m4);
                    d0 = fmaf(w, z.x, d0); d1 = fmaf(w, z.y, d1); d2 = fmaf(w, z.z, d2); d3 = fmaf(w, z.w, d3);
                }
                const int m = m0 + m4;
                if (m < M) dsb[(size_t)m * O + o] = d0;
                if (m + 1 < M) dsb[(size_t)(m + 1) * O + o] = d1;
                if (m + 2 < M) dsb[(size_t)(m + 2) * O + o] = d2;
                if (m + 3 < M) dsb[(size_t)(m + 3) * O + o] = d3;
            }
        }
        // dθ += the tile's states, in state order.
#pragma unroll
        for (int s = 0; s < N::SLOTS; s++) {
            if (nr[s] == 0) continue;
            const float* v = S + vRow[s] * PB_TS;
            const float* u = S + uRow[s] * PB_TS;
#pragma unroll 1
            for (int m4 = 0; m4 < PB_T; m4 += 4) {
                float4 x = ld4(v + m4);
#pragma unroll
                for (int r = 0; r < 8; r++) {
                    if (r < nr[s]) {
                        float4 z = ld4(u + r * PB_TS + m4);
                        float a = fmaf(z.x, x.x, acc[s][r]);
                        a = fmaf(z.y, x.y, a);
                        a = fmaf(z.z, x.z, a);
                        acc[s][r] = fmaf(z.w, x.w, a);
                    }
                }
            }
        }
        __syncthreads();
        if (more) {
            commit(m0 + PB_T);
            __syncthreads();
        }
    }
    float* dtb = dtheta + (size_t)b * N::P;
#pragma unroll
    for (int s = 0; s < N::SLOTS; s++)
#pragma unroll
        for (int r = 0; r < 8; r++)
            if (r < nr[s]) dtb[wo[s] + r * ws[s]] = acc[s][r];
}

#define BWD_PRESET(O, H1, H2, A)                                                                                     \
    extern "C" __global__ void __launch_bounds__(PB_THREADS, 2) mlp_bwd_block_##O##_##H1##_##H2##_##A(                 \
        const float* __restrict__ theta, const float* __restrict__ states, int perPolicy, int M,                    \
        const float* __restrict__ actions, const float* __restrict__ cache, const float* __restrict__ dA,           \
        float* __restrict__ dtheta, float* __restrict__ ds, int act, float scale) {                                \
        preset_backward<O, H1, H2, A>(theta, states, perPolicy, M, actions, cache, dA, dtheta, ds, act, scale);     \
    }

// The forward's presets (CudaBackend.PRESETS must name the same ones; KernelSourcesTest checks both files).
BWD_PRESET(2, 4, 0, 1)
BWD_PRESET(2, 8, 0, 1)
BWD_PRESET(2, 32, 32, 1)
BWD_PRESET(3, 4, 0, 1)
BWD_PRESET(3, 32, 32, 1)

// ------------------------------------------------------------------------------------------------ layered path

#define BG_TN 8      // columns per thread, contiguous
#define BG_BN 64     // columns per block tile: 8 warps × BG_TN
#define BG_BNS 68    // Bs row stride (≡ 4 mod 32: the transposed stores hit 32 banks; float4-aligned)

// acc[i][j] = Σ_k A(row0 + r + 32i, k)·B(k, col0 + 8c + j), k = 0 .. K − 1 in order (lane r, warp c), both
// operands read with TileLoader<·, KC, ·> (A_ONES / B_ONES: which one may hold the ones row) and staged through
// double-buffered shared memory, one barrier per step.
template <int TM, bool KC, bool A_ONES, bool B_ONES>
__device__ __forceinline__ void bwd_gemm(const Opnd& A, const Opnd& B, int K, int row0, int col0,
                                         float (&acc)[TM][BG_TN]) {
    constexpr int BM = 32 * TM, BMS = BM + 4;   // As row stride ≡ 4 mod 32, float4-aligned
    __shared__ __align__(16) float As[2][BG_BK][BMS];
    __shared__ __align__(16) float Bs[2][BG_BK][BG_BNS];
    typedef TileLoader<BM, KC, A_ONES> LA;
    typedef TileLoader<BG_BN, KC, B_ONES> LB;
    const int tid = threadIdx.x, r = tid & 31, c = tid >> 5;
    LA la(A, row0);
    LB lb(B, col0);
    float ra[LA::NQ], rb[LB::NQ];
    auto store = [&](int buf) {
#pragma unroll
        for (int q = 0; q < LA::NQ; q++) As[buf][LA::kOf(q)][LA::xOf(q)] = ra[q];
#pragma unroll
        for (int q = 0; q < LB::NQ; q++) Bs[buf][LB::kOf(q)][LB::xOf(q)] = rb[q];
    };
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < BG_TN; j++) acc[i][j] = 0.f;
    const int steps = (K + BG_BK - 1) / BG_BK;
    la.load(0, K, ra);
    lb.load(0, K, rb);
    store(0);
    __syncthreads();
    for (int t = 0; t < steps; t++) {
        const int cur = t & 1;
        if (t + 1 < steps) {
            la.load((t + 1) * BG_BK, K, ra);
            lb.load((t + 1) * BG_BK, K, rb);
        }
        pz_tile_fma<TM, BMS, BG_BNS>(As[cur], Bs[cur], r, c, acc);
        if (t + 1 < steps) store(cur ^ 1);
        __syncthreads();
    }
}

// dW_l [out, in] and db_l [out] of policy blockIdx.y: C [out, in + 1] = dz_l · [x_l ; 1]^T over K = M states
// (SWAP: its transpose, rows i and columns j; a compile-time choice, as a per-element select made ptxas spill).
// dz_l (j, m) at dz + b·dzB + j·M + m; x_l (i, m) at x + b·xB + i·xI + m·xM (the cache: xI = M, xM = 1; the
// states: xI = 1, xM = O, xB = 0 when shared). Grid (rowTiles · colTiles, B).
template <int TM, bool SWAP>
__device__ __forceinline__ void bwd_dw(const float* __restrict__ dz, long long dzB, const float* __restrict__ x,
                                       long long xB, int xI, int xM, int out, int in, int M, int colTiles,
                                       float* __restrict__ dtheta, int P, int wOff, int bOff) {
    const int b = blockIdx.y, rt = blockIdx.x / colTiles, ct = blockIdx.x % colTiles;
    const Opnd D = {dz + b * dzB, M, 1, out, -1};
    const Opnd X = {x + b * xB, xI, xM, in, in};
    float acc[TM][BG_TN];
    const int row0 = rt * 32 * TM, col0 = ct * BG_BN;
    bwd_gemm<TM, true, SWAP, !SWAP>(SWAP ? X : D, SWAP ? D : X, M, row0, col0, acc);
    float* dw = dtheta + (size_t)b * P + wOff;
    float* db = dtheta + (size_t)b * P + bOff;
    if constexpr (SWAP) {   // rows are i, contiguous in dW's rows: lane r's stores are already consecutive
        const int r = threadIdx.x & 31, c = threadIdx.x >> 5;
#pragma unroll
        for (int i = 0; i < TM; i++) {
#pragma unroll
            for (int j = 0; j < BG_TN; j++) {
                const int ii = row0 + r + 32 * i, jj = col0 + c * BG_TN + j;
                if (jj < out && ii <= in) (ii < in ? dw[jj * in + ii] : db[jj]) = acc[i][j];
            }
        }
    } else {      // rows are j: 32 lanes would write 32 rows of dW; staged into whole 128-byte rows instead
        __shared__ float stage[32][65];
#pragma unroll
        for (int i = 0; i < TM; i++)
            pz_store_tile_group(stage, i, acc[i], dw + row0 * in + col0, in, out - row0, in - col0, db + row0);
    }
}

// dx_l = W_l^T · dz_l of policy blockIdx.y as C^T [M, in] = dz_l^T · W_l over K = out. W_l at theta + b·P + wOff;
// dz_l as in bwd_dw. Writes element (i, m) to dst + b·dstB + i·dI + m·dM: act >= 0: dz_{l-1} = C ⊙ act'(h_{l-1})
// with h_{l-1} (i, m) at h + b·hB + i·M + m (into the workspace: dI = M, dM = 1); act < 0: C itself, dL/d(states)
// (dI = 1, dM = O; h unused). Grid (rowTiles · colTiles, B).
template <int TM>
__device__ __forceinline__ void bwd_dx(const float* __restrict__ theta, int P, int wOff, const float* __restrict__ dz,
                                       long long dzB, int out, int in, int M, int colTiles,
                                       const float* __restrict__ h, long long hB, float* __restrict__ dst,
                                       long long dstB, int dI, int dM, int act) {
    const int b = blockIdx.y, rt = blockIdx.x / colTiles, ct = blockIdx.x % colTiles;
    const Opnd D = {dz + b * dzB, 1, M, M, -1};                  // (m, j)
    const Opnd W = {theta + (size_t)b * P + wOff, 1, in, in, -1};   // (i, j)
    float acc[TM][BG_TN];
    const int row0 = rt * 32 * TM, col0 = ct * BG_BN;
    bwd_gemm<TM, false, false, false>(D, W, out, row0, col0, acc);
    const float* hb = h + b * hB;
    float* db = dst + b * dstB;
    const int r = threadIdx.x & 31, c = threadIdx.x >> 5;
#pragma unroll
    for (int i = 0; i < TM; i++) {
#pragma unroll
        for (int j = 0; j < BG_TN; j++) {
            const int m = row0 + r + 32 * i, u = col0 + c * BG_TN + j;
            if (m < M && u < in) {
                float v = acc[i][j];
                if (act >= 0) v = bwd_act_grad(hb[(size_t)u * M + m], v, act, 1.f, 1.f);
                db[(size_t)u * dI + (size_t)m * dM] = v;
            }
        }
    }
}

// dW_l and db_l of a thin layer, one whose out or in + 1 is at most THIN_MAX (the large net's 2 → 400 input layer,
// C [400, 3], and 300 → 1 output layer, C [1, 301]): as a GEMM tile those would be 320 or 64 rows wide for 1 to 3
// useful ones, most of the FMAs on padding. Here one thread per "wide" index w (WIDE_IS_OUT: w = j < out, the thin
// index t = i <= in; otherwise w = i <= in, t = j < out) keeps the thin dimension's T <= THIN_MAX sums in registers:
// C(w, t) = Σ_m wide(w, m)·thin(t, m), an FMA chain from 0 in state order, the same chain (and so the same bits) as the
// GEMM kernels'. States in chunks of 32: the wide operand's [256 rows × 32 states] tile is loaded coalesced (each warp
// 32 consecutive states of one row) into shared memory (stride 33: a column read by 32 lanes hits 32 banks), the thin
// operand's [T × 32] beside it (read as broadcasts). Operands as in bwd_dw (the ones row is the bias column). Grid
// (ceil(wide / 256), B); memory-bound: each operand is read once.
#define THIN_MAX 8
#define THIN_MK 32
template <bool WIDE_IS_OUT>
__device__ __forceinline__ void bwd_dw_thin(const float* __restrict__ dz, long long dzB, const float* __restrict__ x,
                                            long long xB, int xI, int xM, int out, int in, int M,
                                            float* __restrict__ dtheta, int P, int wOff, int bOff) {
    __shared__ float S[BG_THREADS][THIN_MK + 1];
    __shared__ float U[THIN_MAX][THIN_MK];
    const int b = blockIdx.y, tid = threadIdx.x, w0 = blockIdx.x * BG_THREADS;
    const Opnd D = {dz + b * dzB, M, 1, out, -1};
    const Opnd X = {x + b * xB, xI, xM, in, in};
    const Opnd Wd = WIDE_IS_OUT ? D : X, Th = WIDE_IS_OUT ? X : D;
    const int T = WIDE_IS_OUT ? in + 1 : out, wideN = WIDE_IS_OUT ? out : in + 1;
    float acc[THIN_MAX];
#pragma unroll
    for (int t = 0; t < THIN_MAX; t++) acc[t] = 0.f;
    for (int m0 = 0; m0 < M; m0 += THIN_MK) {
        const int mk = min(THIN_MK, M - m0);
        __syncthreads();   // the previous chunk's reads are done
#pragma unroll 4
        for (int q = 0; q < THIN_MK; q++) {
            const int e = tid + BG_THREADS * q, row = e / THIN_MK, mm = e % THIN_MK, w = w0 + row;
            float v = 0.f;
            if (mm < mk) v = Wd.at(w, m0 + mm);
            S[row][mm] = v;
        }
        if (tid < T * THIN_MK) {
            const int t = tid / THIN_MK, mm = tid % THIN_MK;
            float v = 0.f;
            if (mm < mk) v = Th.at(t, m0 + mm);
            U[t][mm] = v;
        }
        __syncthreads();
        for (int mm = 0; mm < mk; mm++) {
            const float v = S[tid][mm];
#pragma unroll
            for (int t = 0; t < THIN_MAX; t++)
                if (t < T) acc[t] = fmaf(v, U[t][mm], acc[t]);
        }
    }
    const int w = w0 + tid;
    if (w >= wideN) return;
    float* dw = dtheta + (size_t)b * P + wOff;
    float* db = dtheta + (size_t)b * P + bOff;
#pragma unroll
    for (int t = 0; t < THIN_MAX; t++) {
        if (t >= T) break;
        const int jj = WIDE_IS_OUT ? w : t, ii = WIDE_IS_OUT ? t : w;
        (ii < in ? dw[jj * in + ii] : db[jj]) = acc[t];
    }
}

#define BWD_DW(NAME, TM, SWAP, MINB)                                                                                 \
    extern "C" __global__ void __launch_bounds__(BG_THREADS, MINB) NAME(                                            \
        const float* __restrict__ dz, long long dzB, const float* __restrict__ x, long long xB, int xI, int xM,     \
        int out, int in, int M, int colTiles, float* __restrict__ dtheta, int P, int wOff, int bOff) {             \
        bwd_dw<TM, SWAP>(dz, dzB, x, xB, xI, xM, out, in, M, colTiles, dtheta, P, wOff, bOff);                      \
    }
#define BWD_DX(NAME, TM, MINB)                                                                                       \
    extern "C" __global__ void __launch_bounds__(BG_THREADS, MINB) NAME(                                            \
        const float* __restrict__ theta, int P, int wOff, const float* __restrict__ dz, long long dzB, int out,     \
        int in, int M, int colTiles, const float* __restrict__ h, long long hB, float* __restrict__ dst,            \
        long long dstB, int dI, int dM, int act) {                                                                  \
        bwd_dx<TM>(theta, P, wOff, dz, dzB, out, in, M, colTiles, h, hB, dst, dstB, dI, dM, act);                   \
    }
#define BWD_DW_THIN(NAME, WIDE_IS_OUT)                                                                               \
    extern "C" __global__ void __launch_bounds__(BG_THREADS) NAME(                                                   \
        const float* __restrict__ dz, long long dzB, const float* __restrict__ x, long long xB, int xI, int xM,     \
        int out, int in, int M, int colTiles, float* __restrict__ dtheta, int P, int wOff, int bOff) {             \
        bwd_dw_thin<WIDE_IS_OUT>(dz, dzB, x, xB, xI, xM, out, in, M, dtheta, P, wOff, bOff);                        \
    }
// The variants CudaBackend.dwVariant / dxVariant choose from (the thin ones take the GEMMs' arguments; colTiles unused).
BWD_DW(mlp_bwd_dw_t2, 2, false, 2)
BWD_DW(mlp_bwd_dw_t10, 10, false, 2)
BWD_DW(mlp_bwd_dw_t10_swap, 10, true, 2)
BWD_DW_THIN(mlp_bwd_dw_thin_out, true)
BWD_DW_THIN(mlp_bwd_dw_thin_in, false)
BWD_DX(mlp_bwd_dx_t2, 2, 2)
BWD_DX(mlp_bwd_dx_t8, 8, 2)

// dz of the output layer: dz[b·dzB + a·M + m] = dA[b, m, a] · scale·(1 − (actions[b, m, a]/scale)²) for nb policies.
// Grid ceil(nb·M·A / 256), 256 threads.
extern "C" __global__ void __launch_bounds__(256)
mlp_bwd_out(const float* __restrict__ actions, const float* __restrict__ dA, int nb, int M, int A, float scale,
            float* __restrict__ dz, long long dzB) {
    const size_t e = (size_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= (size_t)nb * M * A) return;
    const int b = (int)(e / ((size_t)M * A)), rem = (int)(e - (size_t)b * M * A), m = rem / A, a = rem - m * A;
    dz[b * dzB + (size_t)a * M + m] = bwd_act_grad(actions[e], dA[e], PZ_TANH, scale, 1.f / scale);
}

// out[i] = Σ_b parts[b·n + i] for i < n, b = 0 .. B − 1 in order from 0 (CpuBackend's sum of per-policy input
// gradients for shared states). Grid ceil(n / 256), 256 threads.
extern "C" __global__ void __launch_bounds__(256)
mlp_bwd_sum_states(const float* __restrict__ parts, int B, long long n, float* __restrict__ out) {
    const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= n) return;
    float s = 0.f;
    for (int b = 0; b < B; b++) s += parts[b * n + i];
    out[i] = s;
}
