package policyzip.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.Kernels;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.policy.Activation;

/** The Vector API kernels against the plain ones, at awkward sizes (the Lucene TestVectorUtilSupport pattern). */
class SimdScalarTest {
    private final Kernels simd = KernelsProvider.get();
    private final Kernels scalar = KernelsProvider.scalar();

    @Test
    void testJvmRunsTheVectorKernels() {
        // Surefire passes --add-modules jdk.incubator.vector: the SIMD path must be the one under test here.
        assertTrue(simd.name().startsWith("simd"), "expected SIMD kernels, got " + KernelsProvider.reason());
    }

    @Test
    void gemmIsBitIdentical() {
        SplittableRandom rng = new SplittableRandom(3);
        int[] sizes = {1, 2, 3, 4, 5, 7, 13, 16, 17, 31, 32, 33, 64, 257};
        for (int n : sizes) {
            for (int k : new int[] {1, 3, 17, 64}) {
                for (int m : sizes) {
                    int lda = k + 2, ldx = m + 1, ldc = m + 3;
                    float[] a = Ref.randomFloats(rng, n * lda + 1, 1), x = Ref.randomFloats(rng, k * ldx + 5, 1);
                    float[] c1 = Ref.poisoned(n * ldc + 2), c2 = Ref.poisoned(n * ldc + 2);
                    simd.gemm(n, k, m, a, 1, lda, x, 5 - 4, ldx, c1, 2, ldc);
                    scalar.gemm(n, k, m, a, 1, lda, x, 5 - 4, ldx, c2, 2, ldc);
                    assertArrayEquals(c2, c1, "gemm n=" + n + " k=" + k + " m=" + m);
                }
            }
        }
    }

    /** gemmTN reads a transposed in place and gives exactly gemm on the transposed copy, on both kernels. */
    @Test
    void gemmTNIsGemmOfTheTranspose() {
        SplittableRandom rng = new SplittableRandom(5);
        int[] sizes = {1, 2, 3, 4, 5, 17, 32, 33, 257};
        for (int n : sizes) {
            for (int k : new int[] {1, 3, 17, 64}) {
                for (int m : sizes) {
                    int lda = n + 3, ldx = m + 1, ldc = m + 2;
                    float[] a = Ref.randomFloats(rng, k * lda + 1, 1), x = Ref.randomFloats(rng, k * ldx + 1, 1);
                    float[] aT = new float[n * k];
                    for (int p = 0; p < k; p++) for (int i = 0; i < n; i++) aT[i * k + p] = a[1 + p * lda + i];
                    for (Kernels kern : new Kernels[] {simd, scalar}) {
                        float[] want = Ref.poisoned(n * ldc + 1), got = Ref.poisoned(n * ldc + 1);
                        kern.gemm(n, k, m, aT, 0, k, x, 1, ldx, want, 1, ldc);
                        kern.gemmTN(n, k, m, a, 1, lda, x, 1, ldx, got, 1, ldc);
                        assertArrayEquals(want, got, kern.name() + " gemmTN n=" + n + " k=" + k + " m=" + m);
                    }
                }
            }
        }
    }

    /** gemmNT's column j is gemm's matrix-vector product with b's row j, bit for bit, on both kernels and across them. */
    @Test
    void gemmNTIsColumnsOfMatrixVectorProducts() {
        SplittableRandom rng = new SplittableRandom(6);
        for (int n : new int[] {1, 3, 4, 5, 8, 13, 32}) {
            for (int k : new int[] {1, 15, 16, 17, 64, 256, 300}) {
                for (int m : new int[] {1, 3, 4, 7, 8, 32}) {
                    int lda = k + 1, ldb = k + 3, ldc = m + 2;
                    float[] a = Ref.randomFloats(rng, n * lda + 1, 1), b = Ref.randomFloats(rng, m * ldb + 2, 1);
                    float[] simdOut = null;
                    for (Kernels kern : new Kernels[] {simd, scalar}) {
                        float[] want = Ref.poisoned(n * ldc + 1), got = Ref.poisoned(n * ldc + 1);
                        for (int j = 0; j < m; j++) kern.gemm(n, k, 1, a, 1, lda, b, 2 + j * ldb, 1, want, 1 + j, ldc);
                        kern.gemmNT(n, k, m, a, 1, lda, b, 2, ldb, got, 1, ldc);
                        assertArrayEquals(want, got, kern.name() + " gemmNT n=" + n + " k=" + k + " m=" + m);
                        if (simdOut == null) simdOut = got;
                        else assertArrayEquals(got, simdOut, "simd and scalar gemmNT n=" + n + " k=" + k + " m=" + m);
                    }
                }
            }
        }
    }

    @Test
    void epiloguesAgree() {
        SplittableRandom rng = new SplittableRandom(4);
        for (int n : new int[] {1, 7, 16, 33, 1000}) {
            for (Activation act : Activation.values()) {
                for (boolean perRow : new boolean[] {true, false}) {
                    float[] c = Ref.randomFloats(rng, 3 * n, 3), bias = Ref.randomFloats(rng, Math.max(3, n), 1);
                    float[] c1 = c.clone(), c2 = c.clone();
                    simd.biasActivate(c1, 0, 3, n, n, bias, 0, perRow, act, 2f);
                    scalar.biasActivate(c2, 0, 3, n, n, bias, 0, perRow, act, 2f);
                    Ref.assertClose("biasActivate " + act + " n=" + n, c2, c1, 1e-7, 1e-6);
                    float[] dy = Ref.randomFloats(rng, 3 * n, 1), g1 = Ref.poisoned(3 * n), g2 = Ref.poisoned(3 * n);
                    simd.activationGrad(c1, 0, dy, 0, g1, 0, 3 * n, act, 2f);
                    scalar.activationGrad(c1, 0, dy, 0, g2, 0, 3 * n, act, 2f);
                    Ref.assertClose("activationGrad " + act + " n=" + n, g2, g1, 1e-7, 1e-6);
                }
            }
        }
    }

    @Test
    void knnUpdateLeavesTheSameList() {
        // Rows shorter and longer than two vectors, k below, at and above the lane count, the skipped column anywhere,
        // lists empty (+∞) and part-way through a scan, and repeated values (ties).
        SplittableRandom rng = new SplittableRandom(6);
        for (int m : new int[] {1, 2, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1000}) {
            for (int k : new int[] {1, 2, 10, 16, 17, 40}) {
                for (int trial = 0; trial < 6; trial++) {
                    float[] dots = Ref.randomFloats(rng, m + 3, 4), pp = Ref.randomFloats(rng, m + 2, 2);
                    for (int j = 0; j < pp.length; j++) pp[j] = Math.abs(pp[j]) + 3f;
                    if (trial % 3 == 2) for (int j = 0; j < dots.length; j++) dots[j] = Math.round(dots[j]);   // ties
                    float qq = 3f + rng.nextInt(3);
                    int skip = trial % 2 == 0 ? -1 : rng.nextInt(m);
                    if (skip >= 0) dots[3 + skip] = 100f;   // like a query's own row: the smallest value, which must not count
                    float[] top = new float[k + 5];
                    java.util.Arrays.fill(top, Float.POSITIVE_INFINITY);
                    if (trial >= 3) {   // a list filled by an earlier block
                        for (int r = 0; r < k; r++) top[2 + r] = 2f + 0.5f * r;
                    }
                    float[] t1 = top.clone(), t2 = top.clone();
                    simd.knnUpdate(dots, 3, pp, 2, m, qq, skip, t1, 2, k);
                    scalar.knnUpdate(dots, 3, pp, 2, m, qq, skip, t2, 2, k);
                    assertArrayEquals(t2, t1, "knnUpdate m=" + m + " k=" + k + " trial " + trial + " skip " + skip);
                }
            }
        }
    }

    @Test
    void adamAgrees() {
        SplittableRandom rng = new SplittableRandom(5);
        int n = 1037;
        float[] p = Ref.randomFloats(rng, n, 1), g = Ref.randomFloats(rng, n, 1);
        float[] p1 = p.clone(), p2 = p.clone(), m1 = new float[n], m2 = new float[n], v1 = new float[n], v2 = new float[n];
        for (int t = 1; t <= 3; t++) {
            simd.adam(1e-3f, 0.9f, 0.999f, 1e-8f, t, p1, g, m1, v1, 0, n);
            scalar.adam(1e-3f, 0.9f, 0.999f, 1e-8f, t, p2, g, m2, v2, 0, n);
        }
        Ref.assertClose("adam", p2, p1, 1e-7, 1e-6);
        assertEquals(m2[n - 1], m1[n - 1]);
    }

    @Test
    void affineIsBitIdenticalWithAndWithoutShiftAndInPlace() {
        SplittableRandom rng = new SplittableRandom(9);
        for (int n : new int[] {1, 7, 15, 16, 17, 33, 1185}) {
            float[] x = Ref.randomFloats(rng, n + 3, 3), sc = Ref.randomFloats(rng, n + 1, 2), sh = Ref.randomFloats(rng, n + 2, 1);
            for (float[] shift : new float[][] {sh, null}) {
                float[] y1 = Ref.poisoned(n + 4), y2 = Ref.poisoned(n + 4);
                simd.affine(x, 3, sc, 1, shift, 2, y1, 4 - 3, n);
                scalar.affine(x, 3, sc, 1, shift, 2, y2, 4 - 3, n);
                assertArrayEquals(y2, y1, "affine n=" + n + (shift == null ? " no shift" : ""));
                float[] in1 = x.clone(), in2 = x.clone();
                simd.affine(in1, 3, sc, 1, shift, 2, in1, 3, n);
                scalar.affine(in2, 3, sc, 1, shift, 2, in2, 3, n);
                assertArrayEquals(in2, in1, "in place, n=" + n);
            }
        }
    }

    @Test
    void uniformPriorIsPolicyInitBitForBit() {
        for (int[] range : new int[][] {{0, 1}, {0, 8}, {3, 20}, {0, 1185}, {120_000, 121_801}}) {
            for (long seed : new long[] {0, 1, -7, 0x5DEECE66DL, Long.MIN_VALUE}) {
                float bound = policyzip.policy.PolicyInit.bound(range[1] - range[0]);
                float[] want = Ref.poisoned(range[1] + 2), got1 = Ref.poisoned(range[1] + 2), got2 = Ref.poisoned(range[1] + 2);
                for (int p = range[0]; p < range[1]; p++) want[p + 2] = policyzip.policy.PolicyInit.sample(seed, p, bound);
                simd.uniformPrior(seed, range[0], range[1], bound, got1, 2);
                scalar.uniformPrior(seed, range[0], range[1], bound, got2, 2);
                assertArrayEquals(want, got1, "simd, seed " + seed + " " + range[0] + ".." + range[1]);
                assertArrayEquals(want, got2, "scalar, seed " + seed);
            }
        }
    }
}
