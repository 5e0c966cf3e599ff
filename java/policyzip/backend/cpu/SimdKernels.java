package policyzip.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;
import policyzip.policy.Activation;
import policyzip.policy.PolicyInit;

/**
 * Vector API kernels (jdk.incubator.vector). Loaded by name from {@link KernelsProvider} only when the module is
 * present, so the default path never links these classes.
 *
 * <p>{@link #gemm} is register-blocked: a 4-row × 2-vector tile of c lives in 8 accumulators while p runs over k,
 * each step loading two vectors of x and broadcasting four scalars of a (2 loads + 4 broadcasts per 8 FMAs).
 * Column blocks are the outer loop so the x panel [k × 2V] stays in L1/L2 while all rows of a stream past it.
 *
 * <p>{@link #knnUpdate} compares two vectors of distances at a time with the running k-th and sends only the lanes
 * below it to the scalar insertion; on a list not yet full it first bounds the row by its lane-wise minima.
 */
final class SimdKernels implements Kernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    @Override public String name() { return "simd-" + S.vectorBitSize(); }

    static String lanesDescription() { return L + " float lanes (" + S.vectorBitSize() + "-bit)"; }

    @Override
    public void gemm(int n, int k, int m, float[] a, int aOff, int lda, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc) {
        if (m == 1) {
            if (ldx == 1 && L == 16) matvec16(n, k, a, aOff, lda, x, xOff, c, cOff, ldc);
            else if (ldx == 1 && L == 8) matvec8(n, k, a, aOff, lda, x, xOff, c, cOff, ldc);
            else ScalarKernels.matvec(n, k, a, aOff, lda, x, xOff, ldx, c, cOff, ldc);
            return;
        }
        tiles(n, k, m, a, aOff, lda, 1, x, xOff, ldx, c, cOff, ldc);
    }

    @Override
    public void gemmTN(int n, int k, int m, float[] a, int aOff, int lda, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc) {
        if (m == 1) {
            ScalarKernels.matvec(n, k, a, aOff, 1, lda, x, xOff, ldx, c, cOff, ldc); // rare: a backward pass on one state
            return;
        }
        tiles(n, k, m, a, aOff, 1, lda, x, xOff, ldx, c, cOff, ldc);
    }

    /** The m &gt; 1 product in register tiles, a's element (i, p) at {@code aOff + i·rs + p·cs}. */
    private static void tiles(int n, int k, int m, float[] a, int aOff, int rs, int cs, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc) {
        int j = 0;
        for (; j + 2 * L <= m; j += 2 * L) {
            int i = 0;
            for (; i + 8 <= n; i += 8) tile8x2(k, a, aOff + i * rs, rs, cs, x, xOff + j, ldx, c, cOff + i * ldc + j, ldc);
            for (; i + 4 <= n; i += 4) tile4x2(k, a, aOff + i * rs, rs, cs, x, xOff + j, ldx, c, cOff + i * ldc + j, ldc);
            for (; i < n; i++) tile1x2(k, a, aOff + i * rs, cs, x, xOff + j, ldx, c, cOff + i * ldc + j);
        }
        for (; j < m; j += L) {
            VectorMask<Float> mask = S.indexInRange(j, m);
            int i = 0;
            for (; i + 4 <= n; i += 4) tile4x1(k, a, aOff + i * rs, rs, cs, x, xOff + j, ldx, c, cOff + i * ldc + j, ldc, mask);
            for (; i < n; i++) tile1x1(k, a, aOff + i * rs, cs, x, xOff + j, ldx, c, cOff + i * ldc + j, mask);
        }
    }

    // Matrix-vector products (gemm with m = 1): 16 interleaved partial sums per row (lane r takes p ≡ r mod 16), a
    // masked tail for p >= k & ~15 into lanes 0.., then the fixed tree of ScalarKernels.tree16 done in registers
    // (lane r += lane r + w for w = 8, 4, 2, 1). Written out by hand: a helper taking or returning a vector that C2
    // declines to inline boxes it.
    private static final VectorShuffle<Float> SHIFT8 = shift(8), SHIFT4 = shift(4), SHIFT2 = shift(2), SHIFT1 = shift(1);

    private static VectorShuffle<Float> shift(int w) {
        return VectorShuffle.fromOp(S, i -> (i + w) % L);
    }

    /**
     * {@link ScalarKernels#matvec} with 16 lanes: 4 rows at a time, one accumulator (= 16 partial sums) per row. (8 rows
     * made a method C1 cannot compile, "out of virtual registers", which then never reached C2 in short runs.)
     */
    private static void matvec16(int n, int k, float[] a, int aOff, int lda, float[] x, int xOff, float[] c, int cOff, int ldc) {
        int kFull = k & ~15, i = 0;
        VectorMask<Float> tail = S.indexInRange(0, k - kFull);
        boolean hasTail = kFull < k;
        // Never null: a vector merged with null at a control-flow join is boxed (an allocation per call).
        FloatVector xt = hasTail ? FloatVector.fromArray(S, x, xOff + kFull, tail) : FloatVector.zero(S);
        for (; i + 4 <= n; i += 4) {
            int r0 = aOff + i * lda;
            FloatVector s0 = FloatVector.zero(S), s1 = s0, s2 = s0, s3 = s0;
            for (int p = 0; p < kFull; p += 16) {
                FloatVector xv = FloatVector.fromArray(S, x, xOff + p);
                int q = r0 + p;
                s0 = FloatVector.fromArray(S, a, q).fma(xv, s0);
                s1 = FloatVector.fromArray(S, a, q + 1 * lda).fma(xv, s1);
                s2 = FloatVector.fromArray(S, a, q + 2 * lda).fma(xv, s2);
                s3 = FloatVector.fromArray(S, a, q + 3 * lda).fma(xv, s3);
            }
            if (hasTail) {
                s0 = FloatVector.fromArray(S, a, r0 + kFull, tail).fma(xt, s0);
                s1 = FloatVector.fromArray(S, a, r0 + 1 * lda + kFull, tail).fma(xt, s1);
                s2 = FloatVector.fromArray(S, a, r0 + 2 * lda + kFull, tail).fma(xt, s2);
                s3 = FloatVector.fromArray(S, a, r0 + 3 * lda + kFull, tail).fma(xt, s3);
            }
            s0 = s0.add(s0.rearrange(SHIFT8)); s0 = s0.add(s0.rearrange(SHIFT4)); s0 = s0.add(s0.rearrange(SHIFT2)); s0 = s0.add(s0.rearrange(SHIFT1));
            s1 = s1.add(s1.rearrange(SHIFT8)); s1 = s1.add(s1.rearrange(SHIFT4)); s1 = s1.add(s1.rearrange(SHIFT2)); s1 = s1.add(s1.rearrange(SHIFT1));
            s2 = s2.add(s2.rearrange(SHIFT8)); s2 = s2.add(s2.rearrange(SHIFT4)); s2 = s2.add(s2.rearrange(SHIFT2)); s2 = s2.add(s2.rearrange(SHIFT1));
            s3 = s3.add(s3.rearrange(SHIFT8)); s3 = s3.add(s3.rearrange(SHIFT4)); s3 = s3.add(s3.rearrange(SHIFT2)); s3 = s3.add(s3.rearrange(SHIFT1));
            c[cOff + (i + 0) * ldc] = s0.lane(0);
            c[cOff + (i + 1) * ldc] = s1.lane(0);
            c[cOff + (i + 2) * ldc] = s2.lane(0);
            c[cOff + (i + 3) * ldc] = s3.lane(0);
        }
        for (; i < n; i++) {
            int r0 = aOff + i * lda;
            FloatVector s0 = FloatVector.zero(S);
            for (int p = 0; p < kFull; p += 16) s0 = FloatVector.fromArray(S, a, r0 + p).fma(FloatVector.fromArray(S, x, xOff + p), s0);
            if (hasTail) s0 = FloatVector.fromArray(S, a, r0 + kFull, tail).fma(xt, s0);
            s0 = s0.add(s0.rearrange(SHIFT8)); s0 = s0.add(s0.rearrange(SHIFT4)); s0 = s0.add(s0.rearrange(SHIFT2)); s0 = s0.add(s0.rearrange(SHIFT1));
            c[cOff + i * ldc] = s0.lane(0);
        }
    }

    @Override
    public void gemmNT(int n, int k, int m, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        int j = 0;
        if (L == 16) {
            for (; j + 4 <= m; j += 4) {
                int i = 0;
                for (; i + 2 <= n; i += 2) nt2x4(k, a, aOff + i * lda, lda, b, bOff + j * ldb, ldb, c, cOff + i * ldc + j, ldc);
                if (i < n) {
                    for (int q = j; q < j + 4; q++) matvec16(n - i, k, a, aOff + i * lda, lda, b, bOff + q * ldb, c, cOff + i * ldc + q, ldc);
                }
            }
        }
        for (; j < m; j++) gemm(n, k, 1, a, aOff, lda, b, bOff + j * ldb, 1, c, cOff + j, ldc);
    }

    /**
     * Two rows of a against four rows of b, 16 lanes: each of the 8 sums is {@link #matvec16}'s (lane r takes p ≡ r
     * mod 16, masked tail, the same tree), with 6 loads per 8 multiply-adds instead of 5 per 4. Trees written out (a
     * helper taking a vector that C2 does not inline boxes it), and no bigger: a 4 × 4 block made C1 give up ("out of
     * virtual registers"), and the method then ran boxed, 5x slower.
     */
    private static void nt2x4(int k, float[] a, int a0, int lda, float[] b, int b0, int ldb, float[] c, int c0, int ldc) {
        int kFull = k & ~15;
        FloatVector s00 = FloatVector.zero(S), s01 = s00, s02 = s00, s03 = s00, s10 = s00, s11 = s00, s12 = s00, s13 = s00;
        int a1 = a0 + lda, b1 = b0 + ldb, b2 = b1 + ldb, b3 = b2 + ldb;
        for (int p = 0; p < kFull; p += 16) {
            FloatVector x0 = FloatVector.fromArray(S, b, b0 + p), x1 = FloatVector.fromArray(S, b, b1 + p);
            FloatVector x2 = FloatVector.fromArray(S, b, b2 + p), x3 = FloatVector.fromArray(S, b, b3 + p);
            FloatVector r0 = FloatVector.fromArray(S, a, a0 + p), r1 = FloatVector.fromArray(S, a, a1 + p);
            s00 = r0.fma(x0, s00); s01 = r0.fma(x1, s01); s02 = r0.fma(x2, s02); s03 = r0.fma(x3, s03);
            s10 = r1.fma(x0, s10); s11 = r1.fma(x1, s11); s12 = r1.fma(x2, s12); s13 = r1.fma(x3, s13);
        }
        if (kFull < k) {
            VectorMask<Float> t = S.indexInRange(0, k - kFull);
            FloatVector x0 = FloatVector.fromArray(S, b, b0 + kFull, t), x1 = FloatVector.fromArray(S, b, b1 + kFull, t);
            FloatVector x2 = FloatVector.fromArray(S, b, b2 + kFull, t), x3 = FloatVector.fromArray(S, b, b3 + kFull, t);
            FloatVector r0 = FloatVector.fromArray(S, a, a0 + kFull, t), r1 = FloatVector.fromArray(S, a, a1 + kFull, t);
            s00 = r0.fma(x0, s00); s01 = r0.fma(x1, s01); s02 = r0.fma(x2, s02); s03 = r0.fma(x3, s03);
            s10 = r1.fma(x0, s10); s11 = r1.fma(x1, s11); s12 = r1.fma(x2, s12); s13 = r1.fma(x3, s13);
        }
        s00 = s00.add(s00.rearrange(SHIFT8)); s00 = s00.add(s00.rearrange(SHIFT4)); s00 = s00.add(s00.rearrange(SHIFT2)); s00 = s00.add(s00.rearrange(SHIFT1));
        s01 = s01.add(s01.rearrange(SHIFT8)); s01 = s01.add(s01.rearrange(SHIFT4)); s01 = s01.add(s01.rearrange(SHIFT2)); s01 = s01.add(s01.rearrange(SHIFT1));
        s02 = s02.add(s02.rearrange(SHIFT8)); s02 = s02.add(s02.rearrange(SHIFT4)); s02 = s02.add(s02.rearrange(SHIFT2)); s02 = s02.add(s02.rearrange(SHIFT1));
        s03 = s03.add(s03.rearrange(SHIFT8)); s03 = s03.add(s03.rearrange(SHIFT4)); s03 = s03.add(s03.rearrange(SHIFT2)); s03 = s03.add(s03.rearrange(SHIFT1));
        s10 = s10.add(s10.rearrange(SHIFT8)); s10 = s10.add(s10.rearrange(SHIFT4)); s10 = s10.add(s10.rearrange(SHIFT2)); s10 = s10.add(s10.rearrange(SHIFT1));
        s11 = s11.add(s11.rearrange(SHIFT8)); s11 = s11.add(s11.rearrange(SHIFT4)); s11 = s11.add(s11.rearrange(SHIFT2)); s11 = s11.add(s11.rearrange(SHIFT1));
        s12 = s12.add(s12.rearrange(SHIFT8)); s12 = s12.add(s12.rearrange(SHIFT4)); s12 = s12.add(s12.rearrange(SHIFT2)); s12 = s12.add(s12.rearrange(SHIFT1));
        s13 = s13.add(s13.rearrange(SHIFT8)); s13 = s13.add(s13.rearrange(SHIFT4)); s13 = s13.add(s13.rearrange(SHIFT2)); s13 = s13.add(s13.rearrange(SHIFT1));
        c[c0] = s00.lane(0); c[c0 + 1] = s01.lane(0); c[c0 + 2] = s02.lane(0); c[c0 + 3] = s03.lane(0);
        c[c0 + ldc] = s10.lane(0); c[c0 + ldc + 1] = s11.lane(0); c[c0 + ldc + 2] = s12.lane(0); c[c0 + ldc + 3] = s13.lane(0);
    }

    /**
     * {@link ScalarKernels#matvec} with 8 lanes: per row two accumulators (p mod 16 in 0-7 and in 8-15), whose
     * lane-wise sum is the tree's first level; 4 rows at a time.
     */
    private static void matvec8(int n, int k, float[] a, int aOff, int lda, float[] x, int xOff, float[] c, int cOff, int ldc) {
        int kFull = k & ~15;
        VectorMask<Float> tLo = S.indexInRange(0, Math.min(8, k - kFull)), tHi = S.indexInRange(0, Math.max(0, k - kFull - 8));
        boolean hasTail = kFull < k;
        FloatVector xl = hasTail ? FloatVector.fromArray(S, x, xOff + kFull, tLo) : FloatVector.zero(S);
        FloatVector xh = hasTail ? FloatVector.fromArray(S, x, xOff + kFull + 8, tHi) : FloatVector.zero(S);
        for (int i = 0; i < n; i++) {
            int r0 = aOff + i * lda;
            FloatVector lo = FloatVector.zero(S), hi = lo;
            for (int p = 0; p < kFull; p += 16) {
                lo = FloatVector.fromArray(S, a, r0 + p).fma(FloatVector.fromArray(S, x, xOff + p), lo);
                hi = FloatVector.fromArray(S, a, r0 + p + 8).fma(FloatVector.fromArray(S, x, xOff + p + 8), hi);
            }
            if (hasTail) {
                lo = FloatVector.fromArray(S, a, r0 + kFull, tLo).fma(xl, lo);
                hi = FloatVector.fromArray(S, a, r0 + kFull + 8, tHi).fma(xh, hi);
            }
            FloatVector v = lo.add(hi);
            v = v.add(v.rearrange(SHIFT4)); v = v.add(v.rearrange(SHIFT2)); v = v.add(v.rearrange(SHIFT1));
            c[cOff + i * ldc] = v.lane(0);
        }
    }

    private static void tile4x2(int k, float[] a, int a0, int lda, int cs, float[] x, int x0, int ldx, float[] c, int c0, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        FloatVector c10 = FloatVector.zero(S), c11 = FloatVector.zero(S);
        FloatVector c20 = FloatVector.zero(S), c21 = FloatVector.zero(S);
        FloatVector c30 = FloatVector.zero(S), c31 = FloatVector.zero(S);
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int p = 0, xp = x0, ap = 0; p < k; p++, xp += ldx, ap += cs) {
            FloatVector v0 = FloatVector.fromArray(S, x, xp);
            FloatVector v1 = FloatVector.fromArray(S, x, xp + L);
            FloatVector b0 = FloatVector.broadcast(S, a[a0 + ap]);
            FloatVector b1 = FloatVector.broadcast(S, a[a1 + ap]);
            FloatVector b2 = FloatVector.broadcast(S, a[a2 + ap]);
            FloatVector b3 = FloatVector.broadcast(S, a[a3 + ap]);
            c00 = b0.fma(v0, c00); c01 = b0.fma(v1, c01);
            c10 = b1.fma(v0, c10); c11 = b1.fma(v1, c11);
            c20 = b2.fma(v0, c20); c21 = b2.fma(v1, c21);
            c30 = b3.fma(v0, c30); c31 = b3.fma(v1, c31);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L);
        c10.intoArray(c, c0 + ldc); c11.intoArray(c, c0 + ldc + L);
        c20.intoArray(c, c0 + 2 * ldc); c21.intoArray(c, c0 + 2 * ldc + L);
        c30.intoArray(c, c0 + 3 * ldc); c31.intoArray(c, c0 + 3 * ldc + L);
    }

    /** 8 rows × 2 vectors: 16 accumulators, twice the multiply-adds per loaded x vector of {@link #tile4x2}. */
    private static void tile8x2(int k, float[] a, int a0, int lda, int cs, float[] x, int x0, int ldx, float[] c, int c0, int ldc) {
        FloatVector c00 = FloatVector.zero(S), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        FloatVector c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda, a4 = a3 + lda, a5 = a4 + lda, a6 = a5 + lda, a7 = a6 + lda;
        for (int p = 0, xp = x0, ap = 0; p < k; p++, xp += ldx, ap += cs) {
            FloatVector v0 = FloatVector.fromArray(S, x, xp);
            FloatVector v1 = FloatVector.fromArray(S, x, xp + L);
            FloatVector b = FloatVector.broadcast(S, a[a0 + ap]);
            c00 = b.fma(v0, c00); c01 = b.fma(v1, c01);
            b = FloatVector.broadcast(S, a[a1 + ap]);
            c10 = b.fma(v0, c10); c11 = b.fma(v1, c11);
            b = FloatVector.broadcast(S, a[a2 + ap]);
            c20 = b.fma(v0, c20); c21 = b.fma(v1, c21);
            b = FloatVector.broadcast(S, a[a3 + ap]);
            c30 = b.fma(v0, c30); c31 = b.fma(v1, c31);
            b = FloatVector.broadcast(S, a[a4 + ap]);
            c40 = b.fma(v0, c40); c41 = b.fma(v1, c41);
            b = FloatVector.broadcast(S, a[a5 + ap]);
            c50 = b.fma(v0, c50); c51 = b.fma(v1, c51);
            b = FloatVector.broadcast(S, a[a6 + ap]);
            c60 = b.fma(v0, c60); c61 = b.fma(v1, c61);
            b = FloatVector.broadcast(S, a[a7 + ap]);
            c70 = b.fma(v0, c70); c71 = b.fma(v1, c71);
        }
        c00.intoArray(c, c0); c01.intoArray(c, c0 + L);
        c10.intoArray(c, c0 + ldc); c11.intoArray(c, c0 + ldc + L);
        c20.intoArray(c, c0 + 2 * ldc); c21.intoArray(c, c0 + 2 * ldc + L);
        c30.intoArray(c, c0 + 3 * ldc); c31.intoArray(c, c0 + 3 * ldc + L);
        c40.intoArray(c, c0 + 4 * ldc); c41.intoArray(c, c0 + 4 * ldc + L);
        c50.intoArray(c, c0 + 5 * ldc); c51.intoArray(c, c0 + 5 * ldc + L);
        c60.intoArray(c, c0 + 6 * ldc); c61.intoArray(c, c0 + 6 * ldc + L);
        c70.intoArray(c, c0 + 7 * ldc); c71.intoArray(c, c0 + 7 * ldc + L);
    }

    private static void tile1x2(int k, float[] a, int a0, int cs, float[] x, int x0, int ldx, float[] c, int c0) {
        FloatVector c00 = FloatVector.zero(S), c01 = FloatVector.zero(S);
        for (int p = 0, xp = x0, ap = a0; p < k; p++, xp += ldx, ap += cs) {
            FloatVector b0 = FloatVector.broadcast(S, a[ap]);
            c00 = b0.fma(FloatVector.fromArray(S, x, xp), c00);
            c01 = b0.fma(FloatVector.fromArray(S, x, xp + L), c01);
        }
        c00.intoArray(c, c0);
        c01.intoArray(c, c0 + L);
    }

    private static void tile4x1(int k, float[] a, int a0, int lda, int cs, float[] x, int x0, int ldx, float[] c, int c0, int ldc,
                                VectorMask<Float> mask) {
        FloatVector c0v = FloatVector.zero(S), c1v = FloatVector.zero(S), c2v = FloatVector.zero(S), c3v = FloatVector.zero(S);
        int a1 = a0 + lda, a2 = a1 + lda, a3 = a2 + lda;
        for (int p = 0, xp = x0, ap = 0; p < k; p++, xp += ldx, ap += cs) {
            FloatVector v = FloatVector.fromArray(S, x, xp, mask);
            c0v = FloatVector.broadcast(S, a[a0 + ap]).fma(v, c0v);
            c1v = FloatVector.broadcast(S, a[a1 + ap]).fma(v, c1v);
            c2v = FloatVector.broadcast(S, a[a2 + ap]).fma(v, c2v);
            c3v = FloatVector.broadcast(S, a[a3 + ap]).fma(v, c3v);
        }
        c0v.intoArray(c, c0, mask);
        c1v.intoArray(c, c0 + ldc, mask);
        c2v.intoArray(c, c0 + 2 * ldc, mask);
        c3v.intoArray(c, c0 + 3 * ldc, mask);
    }

    private static void tile1x1(int k, float[] a, int a0, int cs, float[] x, int x0, int ldx, float[] c, int c0, VectorMask<Float> mask) {
        FloatVector acc = FloatVector.zero(S);
        for (int p = 0, xp = x0, ap = a0; p < k; p++, xp += ldx, ap += cs) {
            acc = FloatVector.broadcast(S, a[ap]).fma(FloatVector.fromArray(S, x, xp, mask), acc);
        }
        acc.intoArray(c, c0, mask);
    }

    @Override
    public void biasActivate(float[] c, int off, int rows, int cols, int ldc, float[] bias, int bOff, boolean perRow,
                             Activation act, float scale) {
        // One loop per activation: a switch inside the loop keeps C2 from inlining the vector ops, which then box.
        // Row tails are scalar (the same operations): masked vectors near an array's end leave the intrinsics.
        for (int i = 0; i < rows; i++) {
            int ci = off + i * ldc;
            switch (act) {
                case RELU -> reluRow(c, ci, cols, bias, bOff, perRow ? i : -1);
                case TANH -> tanhRow(c, ci, cols, bias, bOff, perRow ? i : -1, scale);
                case IDENTITY -> identityRow(c, ci, cols, bias, bOff, perRow ? i : -1);
            }
        }
    }

    // Row kernels: the bias is a broadcast hoisted out of the loop (per-row bias) or loaded in the loop body. No
    // helper returns a FloatVector: when C2 declines to inline one, the vector is boxed and the loop runs 2-5x slower.

    private static void reluRow(float[] c, int ci, int cols, float[] b, int bOff, int row) {
        int j = 0;
        if (row >= 0) {
            float bv = b[bOff + row];
            for (; j + L <= cols; j += L) FloatVector.fromArray(S, c, ci + j).add(bv).max(0f).intoArray(c, ci + j);
            for (; j < cols; j++) c[ci + j] = Math.max(c[ci + j] + bv, 0f);
        } else {
            for (; j + L <= cols; j += L) {
                FloatVector.fromArray(S, c, ci + j).add(FloatVector.fromArray(S, b, bOff + j)).max(0f).intoArray(c, ci + j);
            }
            for (; j < cols; j++) c[ci + j] = Math.max(c[ci + j] + b[bOff + j], 0f);
        }
    }

    private static void identityRow(float[] c, int ci, int cols, float[] b, int bOff, int row) {
        int j = 0;
        if (row >= 0) {
            float bv = b[bOff + row];
            for (; j + L <= cols; j += L) FloatVector.fromArray(S, c, ci + j).add(bv).intoArray(c, ci + j);
            for (; j < cols; j++) c[ci + j] += bv;
        } else {
            for (; j + L <= cols; j += L) {
                FloatVector.fromArray(S, c, ci + j).add(FloatVector.fromArray(S, b, bOff + j)).intoArray(c, ci + j);
            }
            for (; j < cols; j++) c[ci + j] += b[bOff + j];
        }
    }

    private static void tanhRow(float[] c, int ci, int cols, float[] b, int bOff, int row, float scale) {
        int j = 0;
        for (; j + L <= cols; j += L) {
            FloatVector z = FloatVector.fromArray(S, c, ci + j);
            z = row >= 0 ? z.add(b[bOff + row]) : z.add(FloatVector.fromArray(S, b, bOff + j));
            FloatVector t = tanh(z);
            (scale == 1f ? t : t.mul(scale)).intoArray(c, ci + j);
        }
        // Scalar tail (the same operations as the lanes): a second inlined copy of tanh overflows C2's inline budget.
        for (; j < cols; j++) c[ci + j] = scale * FastTanh.tanh(c[ci + j] + b[bOff + (row >= 0 ? row : j)]);
    }

    /** Lane-wise {@link FastTanh#tanh}, the same operations in the same order. */
    static FloatVector tanh(FloatVector x) {
        FloatVector xc = x.max(-FastTanh.CLAMP).min(FastTanh.CLAMP);
        FloatVector x2 = xc.mul(xc);
        FloatVector p = x2.fma(FastTanh.A13, FastTanh.A11);
        p = p.fma(x2, FloatVector.broadcast(S, FastTanh.A9));
        p = p.fma(x2, FloatVector.broadcast(S, FastTanh.A7));
        p = p.fma(x2, FloatVector.broadcast(S, FastTanh.A5));
        p = p.fma(x2, FloatVector.broadcast(S, FastTanh.A3));
        p = p.fma(x2, FloatVector.broadcast(S, FastTanh.A1));
        p = p.mul(xc);
        FloatVector q = x2.fma(FastTanh.B6, FastTanh.B4);
        q = q.fma(x2, FloatVector.broadcast(S, FastTanh.B2));
        q = q.fma(x2, FloatVector.broadcast(S, FastTanh.B0));
        FloatVector r = p.div(q);
        FloatVector ax = x.abs();
        FloatVector sign = FloatVector.broadcast(S, 1f).blend(FloatVector.broadcast(S, -1f), x.compare(VectorOperators.LT, 0f));
        r = r.blend(sign, ax.compare(VectorOperators.GE, FastTanh.SATURATE));
        return r.blend(x, ax.compare(VectorOperators.LT, FastTanh.SMALL));
    }

    @Override
    public void activationGrad(float[] y, int yOff, float[] dy, int dyOff, float[] dz, int dzOff, int n, Activation act, float scale) {
        switch (act) {
            // Whole vectors, then a scalar tail of the same operations (masked vectors leave the intrinsics: a masked
            // store per vector was 3-4 % of the medium training step's samples).
            case RELU -> {
                int i = 0;
                for (; i + L <= n; i += L) {
                    FloatVector g = FloatVector.fromArray(S, dy, dyOff + i);
                    FloatVector yv = FloatVector.fromArray(S, y, yOff + i);
                    FloatVector.zero(S).blend(g, yv.compare(VectorOperators.GT, 0f)).intoArray(dz, dzOff + i);
                }
                for (; i < n; i++) dz[dzOff + i] = y[yOff + i] > 0f ? dy[dyOff + i] : 0f;
            }
            case TANH -> {
                float inv = 1f / scale;
                int i = 0;
                for (; i + L <= n; i += L) {
                    FloatVector g = FloatVector.fromArray(S, dy, dyOff + i);
                    FloatVector t = FloatVector.fromArray(S, y, yOff + i).mul(inv);
                    g.mul(FloatVector.broadcast(S, 1f).sub(t.mul(t)).mul(scale)).intoArray(dz, dzOff + i);
                }
                for (; i < n; i++) {
                    float t = y[yOff + i] * inv;
                    dz[dzOff + i] = dy[dyOff + i] * ((1f - t * t) * scale);
                }
            }
            case IDENTITY -> System.arraycopy(dy, dyOff, dz, dzOff, n);
        }
    }

    @Override
    public void knnUpdate(float[] dots, int dOff, float[] pp, int ppOff, int m, float qq, int skip, float[] top, int tOff, int k) {
        // A list not yet full takes every value: bound it first by the k-th smallest of the L lane-wise minima (k
        // values of the row are at or below it), so that the first block inserts ~k values, not ~k·ln(m/k).
        float bound = top[tOff + k - 1] == Float.POSITIVE_INFINITY && k <= L && m >= 2 * L
                ? firstBound(dots, dOff, pp, ppOff, m, qq, skip, k) : Float.POSITIVE_INFINITY;
        scan(dots, dOff, pp, ppOff, m, qq, skip, top, tOff, k, bound);
    }

    /**
     * Pre-filter: two vectors of x = fma(−2, c, qq + pp) at a time against min(k-th, bound); only lanes below it go to
     * the scalar path, which recomputes d = max(0, x) exactly and inserts it if it beats the current k-th. The clamp is
     * left to the scalar path: d < t implies x < t, so the filter never drops a value the list would take.
     */
    private static void scan(float[] dots, int dOff, float[] pp, int ppOff, int m, float qq, int skip, float[] top, int tOff, int k,
                             float bound) {
        int last = tOff + k - 1;
        FloatVector minus2 = FloatVector.broadcast(S, -2f);
        float thr = Math.min(top[last], bound);
        int j = 0;
        for (; j + 2 * L <= m; j += 2 * L) {
            FloatVector x0 = FloatVector.fromArray(S, dots, dOff + j).fma(minus2, FloatVector.fromArray(S, pp, ppOff + j).add(qq));
            FloatVector x1 = FloatVector.fromArray(S, dots, dOff + j + L).fma(minus2, FloatVector.fromArray(S, pp, ppOff + j + L).add(qq));
            long bits = x0.compare(VectorOperators.LT, thr).toLong() | x1.compare(VectorOperators.LT, thr).toLong() << L;
            if (bits != 0) {
                for (; bits != 0; bits &= bits - 1) {
                    int jj = j + Long.numberOfTrailingZeros(bits);
                    float d = Math.max(0f, Math.fma(-2f, dots[dOff + jj], qq + pp[ppOff + jj]));
                    if (d < top[last] && jj != skip) ScalarKernels.insertSorted(top, tOff, k, d);
                }
                thr = Math.min(top[last], bound);
            }
        }
        for (; j < m; j++) {
            float d = Math.max(0f, Math.fma(-2f, dots[dOff + j], qq + pp[ppOff + j]));
            if (d < top[last] && j != skip) ScalarKernels.insertSorted(top, tOff, k, d);
        }
    }

    /**
     * Just above the k-th smallest lane-wise minimum of max(0, x) over the whole vectors of the row (skip excluded): at
     * least k values d of the row are below it. +∞ when that value is not finite (NaN lanes, or too few values).
     */
    private static float firstBound(float[] dots, int dOff, float[] pp, int ppOff, int m, float qq, int skip, int k) {
        FloatVector minus2 = FloatVector.broadcast(S, -2f);
        FloatVector mins = FloatVector.broadcast(S, Float.POSITIVE_INFINITY);
        int j = 0;
        for (; j + L <= m; j += L) {
            FloatVector x = FloatVector.fromArray(S, dots, dOff + j).fma(minus2, FloatVector.fromArray(S, pp, ppOff + j).add(qq));
            if (skip >= j && skip < j + L) x = x.blend(Float.POSITIVE_INFINITY, VectorMask.fromLong(S, 1L << (skip - j)));
            mins = mins.min(x);
        }
        float[] v = mins.toArray();
        java.util.Arrays.sort(v);
        float t = Math.max(0f, v[k - 1]);
        return t < Float.POSITIVE_INFINITY ? Math.nextUp(t) : Float.POSITIVE_INFINITY;
    }

    @Override
    public void adam(float lr, float beta1, float beta2, float eps, int t, float[] p, float[] g, float[] m, float[] v, int off, int n) {
        float c1 = (float) (1.0 / (1.0 - Math.pow(beta1, t)));
        float c2 = (float) (1.0 / (1.0 - Math.pow(beta2, t)));
        int i = off, end = off + n;
        for (; i + L <= end; i += L) {
            FloatVector gi = FloatVector.fromArray(S, g, i);
            FloatVector mi = FloatVector.fromArray(S, m, i).mul(beta1).add(gi.mul(1f - beta1));
            FloatVector vi = FloatVector.fromArray(S, v, i).mul(beta2).add(gi.mul(1f - beta2).mul(gi));
            mi.intoArray(m, i);
            vi.intoArray(v, i);
            FloatVector step = mi.mul(c1).mul(lr).div(vi.mul(c2).sqrt().add(eps));
            FloatVector.fromArray(S, p, i).sub(step).intoArray(p, i);
        }
        if (i < end) new ScalarKernels().adam(lr, beta1, beta2, eps, t, p, g, m, v, i, end - i);
    }

    @Override
    public void affine(float[] x, int xOff, float[] scale, int sOff, float[] shift, int shOff, float[] y, int yOff, int n) {
        int j = 0;
        for (; j + L <= n; j += L) {
            FloatVector xv = FloatVector.fromArray(S, x, xOff + j), sv = FloatVector.fromArray(S, scale, sOff + j);
            (shift == null ? xv.mul(sv) : xv.fma(sv, FloatVector.fromArray(S, shift, shOff + j))).intoArray(y, yOff + j);
        }
        if (j < n) new ScalarKernels().affine(x, xOff + j, scale, sOff + j, shift, shift == null ? 0 : shOff + j, y, yOff + j, n - j);
    }

    /**
     * SplitMix64 on 8 longs at a time ({@link PolicyInit#mix64}) into a per-thread block of the top 24 bits, then the
     * scalar float steps of {@link PolicyInit#sample} (a plain loop C2 vectorises). No FloatVector of another shape is
     * created here: FloatVector shapes mixed in one JVM have cost tile8x2 its fma intrinsics (10× slower; see README).
     */
    @Override
    public void uniformPrior(long seed, int from, int to, float bound, float[] dst, int off) {
        int p = from;
        if (S.vectorBitSize() >= 512) {   // 8 long lanes natively (AVX-512); elsewhere the scalar loop
            long golden = 0x9E3779B97F4A7C15L;
            long[] bits = PRIOR_BITS.get();
            LongVector lane = LongVector.fromArray(LS, IOTA, 0);
            while (p + 8 <= to) {
                int n = Math.min(bits.length, (to - p) & ~7);
                for (int i = 0; i < n; i += 8) {
                    // z = seed + (p + i + 1 + lane) · golden: PolicyInit.sample's counter.
                    LongVector z = lane.add(p + i + 1L).mul(golden).add(seed);
                    z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 30)).mul(0xbf58476d1ce4e5b9L);
                    z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 27)).mul(0x94d049bb133111ebL);
                    z = z.lanewise(VectorOperators.XOR, z.lanewise(VectorOperators.LSHR, 31));
                    z.lanewise(VectorOperators.LSHR, 40).intoArray(bits, i);
                }
                for (int i = 0; i < n; i++) dst[off + p + i] = bound * (2f * (bits[i] * 0x1.0p-24f) - 1f);
                p += n;
            }
        }
        if (p < to) new ScalarKernels().uniformPrior(seed, p, to, bound, dst, off);
    }

    private static final VectorSpecies<Long> LS = LongVector.SPECIES_512;
    private static final ThreadLocal<long[]> PRIOR_BITS = ThreadLocal.withInitial(() -> new long[1024]);
    private static final long[] IOTA = {0, 1, 2, 3, 4, 5, 6, 7};
}
