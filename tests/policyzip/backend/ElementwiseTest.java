package policyzip.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.CpuBackend;

/** columnAffine and meanSquaredError against direct double computations, at awkward sizes, on every CPU backend. */
class ElementwiseTest {
    @Test
    void columnAffineMatchesReference() {
        SplittableRandom rng = new SplittableRandom(21);
        for (CpuBackend be : TestBackends.all()) {
            for (int[] s : new int[][] {{1, 1}, {3, 17}, {257, 5}, {70000, 2}}) {
                int r = s[0], c = s[1];
                float[] x = Ref.randomFloats(rng, r * c, 2), sc = Ref.randomFloats(rng, c, 3), sh = Ref.randomFloats(rng, c, 1);
                for (boolean withShift : new boolean[] {true, false}) {
                    float[] y = Ref.poisoned(r * c);
                    Buffer yb = be.upload(y);
                    be.columnAffine(be.upload(x), r, c, be.upload(sc), withShift ? be.upload(sh) : null, yb);
                    be.read(yb, y, 0);
                    double[] want = new double[r * c];
                    for (int i = 0; i < r * c; i++) want[i] = (double) x[i] * sc[i % c] + (withShift ? sh[i % c] : 0);
                    Ref.assertClose(be.name() + " affine " + r + "x" + c, want, y, 1e-6, 1e-6);
                }
            }
            var e = assertThrows(IllegalArgumentException.class,
                    () -> be.columnAffine(be.allocate(6), 2, 3, be.allocate(2), null, be.allocate(6)));
            assertTrue(e.getMessage().contains("scale"), e.getMessage());
            be.close();
        }
    }

    @Test
    void meanSquaredErrorAndGradient() {
        SplittableRandom rng = new SplittableRandom(22);
        for (CpuBackend be : TestBackends.all()) {
            for (int n : new int[] {1, 7, 65537, 200000}) {
                float[] p = Ref.randomFloats(rng, n, 1), t = Ref.randomFloats(rng, n, 1), g = Ref.poisoned(n);
                Buffer gb = be.upload(g);
                double loss = be.meanSquaredError(be.upload(p), be.upload(t), gb);
                be.read(gb, g, 0);
                double want = 0;
                double[] wantG = new double[n];
                for (int i = 0; i < n; i++) {
                    double d = (double) p[i] - t[i];
                    want += d * d;
                    wantG[i] = 2 * d / n;
                }
                assertEquals(want / n, loss, 1e-6 * want / n);
                Ref.assertClose(be.name() + " mse grad n=" + n, wantG, g, 1e-6, 1e-5);
            }
            be.close();
        }
    }
}
