package policyzip.backend;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.Activation;

class DenseTest {

    @Test
    void forwardMatchesReference() {
        SplittableRandom rng = new SplittableRandom(7);
        int[][] shapes = {{1, 1, 1}, {3, 7, 13}, {17, 33, 257}, {5, 300, 130}};
        for (CpuBackend be : TestBackends.all()) {
            for (int[] s : shapes) {
                for (Activation act : Activation.values()) {
                    int r = s[0], in = s[1], out = s[2];
                    float[] x = Ref.randomFloats(rng, r * in, 1), w = Ref.randomFloats(rng, out * in, 0.3), b = Ref.randomFloats(rng, out, 0.5);
                    float[] y = Ref.poisoned(r * out);
                    Buffer yb = be.upload(y);
                    be.denseForward(be.upload(x), r, in, be.upload(w), be.upload(b), out, act, yb);
                    be.read(yb, y, 0);
                    double[] want = Ref.dense(Ref.toDouble(x), r, in, Ref.toDouble(w), Ref.toDouble(b), out, act);
                    Ref.assertClose(be.name() + " dense " + r + "x" + in + "→" + out + " " + act, want, y, 1e-5, 1e-5);
                }
            }
            be.close();
        }
    }

    @Test
    void backwardMatchesFiniteDifferences() {
        SplittableRandom rng = new SplittableRandom(8);
        for (CpuBackend be : TestBackends.all()) {
            for (Activation act : Activation.values()) {
                for (int[] s : new int[][] {{3, 4, 5}, {6, 9, 131}}) {
                    int r = s[0], in = s[1], out = s[2];
                    float[] x = Ref.randomFloats(rng, r * in, 1), w = Ref.randomFloats(rng, out * in, 0.4), b = Ref.randomFloats(rng, out, 0.5);
                    float[] g = Ref.randomFloats(rng, r * out, 1);
                    Buffer xb = be.upload(x), wb = be.upload(w), yb = be.allocate(r * out);
                    be.denseForward(xb, r, in, wb, be.upload(b), out, act, yb);
                    Buffer dw = be.upload(Ref.poisoned(out * in)), db = be.upload(Ref.poisoned(out)), dx = be.upload(Ref.poisoned(r * in));
                    be.denseBackward(xb, r, in, wb, out, act, yb, be.upload(g), dw, db, dx);
                    float[] gw = new float[out * in], gb = new float[out], gx = new float[r * in];
                    be.read(dw, gw, 0);
                    be.read(db, gb, 0);
                    be.read(dx, gx, 0);
                    double[] xd = Ref.toDouble(x), wd = Ref.toDouble(w), bd = Ref.toDouble(b), gd = Ref.toDouble(g);
                    String what = be.name() + " dense backward " + r + "x" + in + "→" + out + " " + act;
                    Ref.assertClose("dW " + what, fd(wd, () -> Ref.dot(gd, Ref.dense(xd, r, in, wd, bd, out, act))), gw, 1e-4, 1e-3);
                    Ref.assertClose("db " + what, fd(bd, () -> Ref.dot(gd, Ref.dense(xd, r, in, wd, bd, out, act))), gb, 1e-4, 1e-3);
                    Ref.assertClose("dx " + what, fd(xd, () -> Ref.dot(gd, Ref.dense(xd, r, in, wd, bd, out, act))), gx, 1e-4, 1e-3);
                }
            }
            be.close();
        }
    }

    /** Central differences of f with respect to every element of v (v is modified and restored). */
    static double[] fd(double[] v, java.util.function.DoubleSupplier f) {
        double h = 1e-6;
        double[] g = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double keep = v[i];
            v[i] = keep + h;
            double up = f.getAsDouble();
            v[i] = keep - h;
            double down = f.getAsDouble();
            v[i] = keep;
            g[i] = (up - down) / (2 * h);
        }
        return g;
    }

    @Test
    void adamMatchesTheFormula() {
        SplittableRandom rng = new SplittableRandom(9);
        int n = 1000;
        AdamConfig cfg = new AdamConfig(1e-2f, 0.9f, 0.999f, 1e-8f);
        for (CpuBackend be : TestBackends.all()) {
            float[] p = Ref.randomFloats(rng, n, 1);
            double[] pd = Ref.toDouble(p), md = new double[n], vd = new double[n];
            Buffer pb = be.upload(p), mb = be.allocate(n), vb = be.allocate(n);
            for (int t = 1; t <= 5; t++) {
                float[] g = Ref.randomFloats(rng, n, 2);
                be.adamStep(cfg, t, pb, be.upload(g), mb, vb);
                for (int i = 0; i < n; i++) {
                    md[i] = 0.9 * md[i] + 0.1 * g[i];
                    vd[i] = 0.999 * vd[i] + 0.001 * g[i] * g[i];
                    double mh = md[i] / (1 - Math.pow(0.9, t)), vh = vd[i] / (1 - Math.pow(0.999, t));
                    pd[i] -= 1e-2 * mh / (Math.sqrt(vh) + 1e-8);
                }
            }
            be.read(pb, p, 0);
            Ref.assertClose(be.name() + " adam", pd, p, 1e-6, 1e-5);
            // Slices at different offsets take the copying path: same result.
            be.close();
        }
        assertThrows(IllegalArgumentException.class, () -> new AdamConfig(-1f, 0.9f, 0.999f, 1e-8f));
    }

    @Test
    void pairwiseDistancesMatchDirectComputation() {
        SplittableRandom rng = new SplittableRandom(10);
        for (CpuBackend be : TestBackends.all()) {
            for (int[] s : new int[][] {{1, 1, 1}, {7, 13, 3}, {40, 300, 256}}) {
                int r1 = s[0], r2 = s[1], d = s[2];
                float[] x = Ref.randomFloats(rng, r1 * d, 1), y = Ref.randomFloats(rng, r2 * d, 1);
                float[] out = Ref.poisoned(r1 * r2);
                Buffer ob = be.upload(out);
                be.pairwiseSquaredDistances(be.upload(x), r1, be.upload(y), r2, d, ob);
                be.read(ob, out, 0);
                double[] want = new double[r1 * r2];
                double scale = 0;
                for (int i = 0; i < r1; i++) {
                    for (int j = 0; j < r2; j++) {
                        double acc = 0;
                        for (int q = 0; q < d; q++) acc += (double) (x[i * d + q] - y[j * d + q]) * (x[i * d + q] - y[j * d + q]);
                        want[i * r2 + j] = acc;
                        scale = Math.max(scale, acc);
                    }
                }
                // The ‖x‖² + ‖y‖² − 2x·y form loses ~ε·‖x‖² absolutely: tolerance relative to the largest distance.
                Ref.assertClose(be.name() + " distances " + r1 + "x" + r2 + " D=" + d, want, out, 2e-6 * scale + 1e-6, 1e-5);
                for (float v : out) assertTrue(v >= 0);
            }
            be.close();
        }
    }
}
