package policyzip.backend.cpu;

import policyzip.policy.Activation;
import policyzip.policy.PolicyInit;

/** Plain-Java kernels: the reference the SIMD kernels are tested against, and the path when the Vector API is absent. */
public final class ScalarKernels implements Kernels {
    @Override public String name() { return "scalar"; }

    @Override
    public void gemm(int n, int k, int m, float[] a, int aOff, int lda, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc) {
        gemm(n, k, m, a, aOff, lda, 1, x, xOff, ldx, c, cOff, ldc);
    }

    @Override
    public void gemmTN(int n, int k, int m, float[] a, int aOff, int lda, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc) {
        gemm(n, k, m, a, aOff, 1, lda, x, xOff, ldx, c, cOff, ldc);
    }

    @Override
    public void gemmNT(int n, int k, int m, float[] a, int aOff, int lda, float[] b, int bOff, int ldb, float[] c, int cOff, int ldc) {
        for (int j = 0; j < m; j++) matvec(n, k, a, aOff, lda, b, bOff + j * ldb, 1, c, cOff + j, ldc);
    }

    /** {@link #gemm} with a's element (i, p) at {@code aOff + i·rs + p·cs}. */
    static void gemm(int n, int k, int m, float[] a, int aOff, int rs, int cs, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc) {
        if (m == 1) {
            matvec(n, k, a, aOff, rs, cs, x, xOff, ldx, c, cOff, ldc);
            return;
        }
        for (int i = 0; i < n; i++) {
            int ci = cOff + i * ldc;
            for (int j = 0; j < m; j++) c[ci + j] = 0f;
            for (int p = 0; p < k; p++) {
                float av = a[aOff + i * rs + p * cs];
                int xp = xOff + p * ldx;
                for (int j = 0; j < m; j++) c[ci + j] = Math.fma(av, x[xp + j], c[ci + j]);
            }
        }
    }

    /** Partial sums of a matrix-vector product ({@link Kernels#gemm} with m = 1). */
    static final int MATVEC_LANES = 16;

    /**
     * {@code c[i·ldc] = Σ_p a[i, p]·x[p·ldx]} in {@link #MATVEC_LANES} interleaved partial sums (partial r takes
     * p ≡ r mod 16 in increasing p, by FMA from 0), combined by {@link #tree16}: the order the SIMD kernels use with
     * 16, 8 or 4 lanes, so both agree bit for bit on every machine.
     */
    static void matvec(int n, int k, float[] a, int aOff, int lda, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc) {
        matvec(n, k, a, aOff, lda, 1, x, xOff, ldx, c, cOff, ldc);
    }

    /** {@link #matvec} with a's element (i, p) at {@code aOff + i·rs + p·cs}. */
    static void matvec(int n, int k, float[] a, int aOff, int rs, int cs, float[] x, int xOff, int ldx, float[] c, int cOff, int ldc) {
        float[] part = new float[MATVEC_LANES];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(part, 0f);
            int ai = aOff + i * rs;
            for (int p = 0; p < k; p++) part[p & 15] = Math.fma(a[ai + p * cs], x[xOff + p * ldx], part[p & 15]);
            c[cOff + i * ldc] = tree16(part, 0);
        }
    }

    /** t[off] + ... + t[off + 15] as a fixed pairwise tree: halves added lane-wise, 8 + 4 + 2 + 1 additions. */
    static float tree16(float[] t, int off) {
        for (int w = 8; w >= 1; w >>= 1) {
            for (int r = 0; r < w; r++) t[off + r] += t[off + r + w];
        }
        return t[off];
    }

    @Override
    public void biasActivate(float[] c, int off, int rows, int cols, int ldc, float[] bias, int bOff, boolean perRow,
                             Activation act, float scale) {
        for (int i = 0; i < rows; i++) {
            int ci = off + i * ldc;
            for (int j = 0; j < cols; j++) {
                float z = c[ci + j] + bias[bOff + (perRow ? i : j)];
                c[ci + j] = activate(z, act, scale);
            }
        }
    }

    static float activate(float z, Activation act, float scale) {
        return switch (act) {
            case RELU -> Math.max(z, 0f);
            case TANH -> scale * FastTanh.tanh(z);
            case IDENTITY -> z;
        };
    }

    @Override
    public void activationGrad(float[] y, int yOff, float[] dy, int dyOff, float[] dz, int dzOff, int n, Activation act, float scale) {
        switch (act) {
            case RELU -> { for (int i = 0; i < n; i++) dz[dzOff + i] = y[yOff + i] > 0f ? dy[dyOff + i] : 0f; }
            case TANH -> {
                float inv = 1f / scale;
                for (int i = 0; i < n; i++) {
                    float t = y[yOff + i] * inv;
                    dz[dzOff + i] = dy[dyOff + i] * (scale * (1f - t * t));
                }
            }
            case IDENTITY -> System.arraycopy(dy, dyOff, dz, dzOff, n);
        }
    }

    @Override
    public void knnUpdate(float[] dots, int dOff, float[] pp, int ppOff, int m, float qq, int skip, float[] top, int tOff, int k) {
        int last = tOff + k - 1;
        for (int j = 0; j < m; j++) {
            float d = Math.max(0f, Math.fma(-2f, dots[dOff + j], qq + pp[ppOff + j]));
            if (d < top[last] && j != skip) insertSorted(top, tOff, k, d);
        }
    }

    /** Inserts d into the ascending {@code top[tOff, tOff + k)}, dropping the last value; needs d < top[tOff + k − 1]. */
    static void insertSorted(float[] top, int tOff, int k, float d) {
        int i = tOff + k - 1;
        while (i > tOff && top[i - 1] > d) {
            top[i] = top[i - 1];
            i--;
        }
        top[i] = d;
    }

    @Override
    public void adam(float lr, float beta1, float beta2, float eps, int t, float[] p, float[] g, float[] m, float[] v, int off, int n) {
        float c1 = (float) (1.0 / (1.0 - Math.pow(beta1, t)));
        float c2 = (float) (1.0 / (1.0 - Math.pow(beta2, t)));
        for (int i = off; i < off + n; i++) {
            float gi = g[i];
            float mi = beta1 * m[i] + (1f - beta1) * gi;
            float vi = beta2 * v[i] + (1f - beta2) * gi * gi;
            m[i] = mi;
            v[i] = vi;
            p[i] -= lr * (mi * c1) / ((float) Math.sqrt(vi * c2) + eps);
        }
    }

    @Override
    public void affine(float[] x, int xOff, float[] scale, int sOff, float[] shift, int shOff, float[] y, int yOff, int n) {
        if (shift == null) {
            for (int j = 0; j < n; j++) y[yOff + j] = x[xOff + j] * scale[sOff + j];
        } else {
            for (int j = 0; j < n; j++) y[yOff + j] = Math.fma(x[xOff + j], scale[sOff + j], shift[shOff + j]);
        }
    }

    @Override
    public void uniformPrior(long seed, int from, int to, float bound, float[] dst, int off) {
        for (int p = from; p < to; p++) dst[off + p] = PolicyInit.sample(seed, p, bound);
    }
}
