package policyzip.backend;

import java.util.SplittableRandom;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/** Double-precision reference implementations, written for clarity: the oracle of the backend tests. */
final class Ref {
    private Ref() {}

    static double act(double z, Activation a) {
        return switch (a) {
            case RELU -> Math.max(z, 0);
            case TANH -> Math.tanh(z);
            case IDENTITY -> z;
        };
    }

    /** π_θ(s) in double; theta and s are read at the given offsets. */
    static double[] policy(MlpSpec mlp, double[] theta, int tOff, double[] s, int sOff) {
        double[] x = new double[mlp.obsDim()];
        System.arraycopy(s, sOff, x, 0, x.length);
        for (int l = 0; l < mlp.layers(); l++) {
            int in = mlp.in(l), out = mlp.out(l);
            double[] y = new double[out];
            boolean last = l == mlp.layers() - 1;
            for (int j = 0; j < out; j++) {
                double z = theta[tOff + mlp.biasOffset(l) + j];
                for (int i = 0; i < in; i++) z += theta[tOff + mlp.weightOffset(l) + j * in + i] * x[i];
                y[j] = last ? mlp.outputScale() * Math.tanh(z) : act(z, mlp.hiddenActivation());
            }
            x = y;
        }
        return x;
    }

    /** Actions [B, M, A] in double. */
    static double[] forward(MlpSpec mlp, double[] theta, int batch, double[] states, StateLayout layout, int m) {
        int a = mlp.actDim(), o = mlp.obsDim(), p = mlp.paramCount();
        double[] out = new double[batch * m * a];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < m; j++) {
                int sOff = layout == StateLayout.SHARED ? j * o : (b * m + j) * o;
                System.arraycopy(policy(mlp, theta, b * p, states, sOff), 0, out, (b * m + j) * a, a);
            }
        }
        return out;
    }

    static double[] dense(double[] x, int rows, int in, double[] w, double[] bias, int out, Activation act) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < out; j++) {
                double z = bias[j];
                for (int i = 0; i < in; i++) z += w[j * in + i] * x[r * in + i];
                y[r * out + j] = act(z, act);
            }
        }
        return y;
    }

    static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /**
     * Exact k-NN squared distances [Q, k], ascending, in double from the float inputs: all distances of a query, sorted.
     * Pool row selfOffset + i is skipped for query i when selfOffset >= 0.
     */
    static double[] knn(float[] q, int rowsQ, float[] p, int rowsP, int dim, int k, int selfOffset) {
        double[] out = new double[rowsQ * k];
        for (int i = 0; i < rowsQ; i++) {
            double[] d = new double[rowsP];
            int n = 0;
            for (int j = 0; j < rowsP; j++) {
                if (selfOffset >= 0 && j == selfOffset + i) continue;
                double s = 0;
                for (int c = 0; c < dim; c++) {
                    double e = (double) q[i * dim + c] - p[j * dim + c];
                    s += e * e;
                }
                d[n++] = s;
            }
            java.util.Arrays.sort(d, 0, n);
            System.arraycopy(d, 0, out, i * k, k);
        }
        return out;
    }

    /** ‖row‖² in double for each row of x [R, D]. */
    static double[] rowNorms(float[] x, int rows, int dim) {
        double[] n = new double[rows];
        for (int i = 0; i < rows; i++) {
            for (int c = 0; c < dim; c++) n[i] += (double) x[i * dim + c] * x[i * dim + c];
        }
        return n;
    }

    static float[] randomFloats(SplittableRandom rng, int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        return f;
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    static float[] poisoned(int n) {
        float[] f = new float[n];
        java.util.Arrays.fill(f, Float.NaN);
        return f;
    }

    /** max |got − want| / (atol + rtol·|want|) over all elements; <= 1 passes. Reports the worst index. */
    static void assertClose(String what, double[] want, float[] got, double atol, double rtol) {
        if (want.length != got.length) throw new AssertionError(what + ": length " + got.length + " != " + want.length);
        double worst = 0;
        int at = -1;
        for (int i = 0; i < want.length; i++) {
            double err = Math.abs(got[i] - want[i]) / (atol + rtol * Math.abs(want[i]));
            if (!(err <= worst)) { worst = err; at = i; }
            if (Double.isNaN(got[i])) { worst = Double.POSITIVE_INFINITY; at = i; break; }
        }
        if (worst > 1) {
            throw new AssertionError(what + ": mismatch at index " + at + ": expected " + want[at] + ", got " + got[at]
                    + " (atol " + atol + ", rtol " + rtol + ")");
        }
    }

    static void assertClose(String what, float[] want, float[] got, double atol, double rtol) {
        assertClose(what, toDouble(want), got, atol, rtol);
    }
}
