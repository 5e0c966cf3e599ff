package policyzip.backend.cpu;

import policyzip.policy.Activation;

/**
 * The CPU inner loops, pure math on float arrays (the Lucene pattern: one small interface, a plain and a SIMD
 * implementation, picked once by {@link KernelsProvider}). Everything {@link CpuBackend} computes is built on
 * these; the plain {@link ScalarKernels} are the oracle the SIMD ones are tested against.
 *
 * <p>Both implementations accumulate dot products in the same order with fused multiply-adds, so
 * {@link #gemm} agrees bit for bit; activations differ by at most an ulp or two (vectorised tanh).
 */
public interface Kernels {
    String name();

    /**
     * {@code c[i·ldc + j] = Σ_{p<k} a[i·lda + p] · x[p·ldx + j]} for i < n, j < m (offsets added), summed in
     * order p = 0, 1, … with fused multiply-adds, starting from 0. Exception: a matrix-vector product (m = 1, e.g.
     * a rollout's one state per policy) sums in 16 interleaved partial sums combined by a fixed tree
     * ({@code ScalarKernels.matvec}), which vectorises along p; it is equally exact but may differ from the m > 1
     * order in the last bit.
     */
    void gemm(int n, int k, int m, float[] a, int aOff, int lda, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc);

    /**
     * {@link #gemm} with {@code a} read transposed, in place: {@code c[i·ldc + j] = Σ_{p<k} a[p·lda + i] · x[p·ldx + j]},
     * i.e. the product of the transpose of a [k, n] matrix (row stride lda) with x. Same sums in the same order as
     * {@code gemm} on the transposed copy, matrix-vector case included, so both agree bit for bit; it saves the copy
     * (a backward pass's {@code Wᵀ·dz}).
     */
    void gemmTN(int n, int k, int m, float[] a, int aOff, int lda, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc);

    /**
     * {@code c[i·ldc + j] = Σ_{p<k} a[i·lda + p] · b[j·ldb + p]} for i < n, j < m: a times b transposed, both read
     * along p. Column j is exactly {@code gemm(n, k, 1, a, aOff, lda, b, bOff + j·ldb, 1, c, cOff + j, ldc)}, the
     * matrix-vector sums (16 interleaved partial sums, fixed tree), bit for bit; blocking several columns only saves
     * loads (a backward pass's {@code dW = dz · xᵀ}).
     */
    void gemmNT(int n, int k, int m, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc);

    /**
     * In place on the rows × cols block of c (row stride ldc): {@code c = act(c + bias)}, bias indexed by row
     * ({@code perRow}) or by column. For TANH the result is {@code scale · tanh(·)}; other activations ignore scale.
     */
    void biasActivate(float[] c, int off, int rows, int cols, int ldc, float[] bias, int bOff, boolean perRow,
                      Activation act, float scale);

    /**
     * {@code dz[i] = dy[i] · act'(·)} expressed through the activation's output y: ReLU 1[y > 0], tanh with scale s
     * {@code s·(1 − (y/s)²)}, identity 1.
     */
    void activationGrad(float[] y, int yOff, float[] dy, int dyOff, float[] dz, int dzOff, int n, Activation act, float scale);

    /**
     * One query's step of an exact k-nearest-neighbour scan over m pool columns: for j = 0, 1, …, m−1 in order,
     * {@code d = max(0, fma(−2, dots[dOff + j], qq + pp[ppOff + j]))} (qq = ‖q‖², pp = ‖p_j‖², dots = q·p_j), and each d
     * strictly below the current k-th, {@code top[tOff + k − 1]}, with {@code j != skip}, is inserted into the ascending
     * list {@code top[tOff, tOff + k)}, whose last value drops out. Both implementations compute d with the same float
     * operations, so they leave the same list.
     */
    void knnUpdate(float[] dots, int dOff, float[] pp, int ppOff, int m, float qq, int skip, float[] top, int tOff, int k);

    /** Adam with bias correction on {@code n} elements at {@code off} of each array; step t >= 1. */
    void adam(float lr, float beta1, float beta2, float eps, int t, float[] p, float[] g, float[] m, float[] v, int off, int n);

    /**
     * {@code y[i] = fma(x[i], scale[i], shift[i])}, or {@code x[i] · scale[i]} when shift is null, for i < n (offsets
     * added; y may be x). One rounded operation per element, so both implementations agree bit for bit.
     */
    void affine(float[] x, int xOff, float[] scale, int sOff, float[] shift, int shOff, float[] y, int yOff, int n);

    /**
     * {@code dst[off + p] = PolicyInit.sample(seed, p, bound)} for p in [from, to): a layer of the random-policy prior
     * (SplitMix64 per parameter, then exact float steps and one rounding), bit for bit.
     */
    void uniformPrior(long seed, int from, int to, float bound, float[] dst, int off);
}
