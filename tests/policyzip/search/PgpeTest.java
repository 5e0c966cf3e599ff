package policyzip.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.CpuBackend;

class PgpeTest {
    /** −Σ_d w_d (x_d − c_d)², maximum 0 at c; badly scaled on purpose (w spans 100×). */
    static final float[] C = {1.5f, -2f, 0.5f, 3f, -1f};
    static final double[] W = {1, 10, 0.1, 3, 0.3};

    static double[] quadratic(Ask a) {
        double[] f = new double[a.count()];
        for (int i = 0; i < a.count(); i++) {
            for (int d = 0; d < a.dimension(); d++) {
                double x = a.candidates()[i * a.dimension() + d] - C[d];
                f[i] -= W[d] * x * x;
            }
        }
        return f;
    }

    static double value(float[] x) {
        return quadratic(new Ask(x, 1, x.length, 1, null))[0];
    }

    static float[] solve(long seed, int generations) {
        try (CpuBackend be = new CpuBackend(1);
             Pgpe p = new Pgpe(be, "pgpe", PgpeConfig.defaults(), new float[C.length], filled(C.length, 1f), seed)) {
            for (int g = 0; g < generations; g++) p.tell(quadratic(p.ask()));
            assertEquals(generations, p.generation());
            return p.center();
        }
    }

    static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    @Test
    void findsTheOptimumOfAQuadraticInFewGenerations() {
        double start = value(new float[C.length]);
        for (long seed : new long[] {0, 1, 2}) {
            float[] m = solve(seed, 80);
            // Within 0.1 % of the start's gap to the optimum, and every coordinate within 0.2/sqrt(w) of it.
            assertTrue(value(m) > 1e-3 * start, "seed " + seed + ": f = " + value(m) + " at " + Arrays.toString(m));
            for (int d = 0; d < C.length; d++) {
                assertEquals(C[d], m[d], 0.2 / Math.sqrt(W[d]), "seed " + seed + ", dimension " + d + ": " + Arrays.toString(m));
            }
        }
        // Far from converged after 2 generations: the test measures the search, not the start.
        float[] early = solve(0, 2);
        assertTrue(Math.abs(early[3] - C[3]) > 1, Arrays.toString(early));
    }

    @Test
    void sameSeedSameSearchOtherSeedAnother() {
        assertArrayEquals(solve(7, 5), solve(7, 5));
        assertFalse(Arrays.equals(solve(7, 5), solve(8, 5)));
    }

    @Test
    void candidatesAreSymmetricPairs() {
        float[] mean = {0.5f, -1f, 2f};
        try (CpuBackend be = new CpuBackend(1); Pgpe p = new Pgpe(be, "pgpe", PgpeConfig.defaults(), mean, new float[] {0.1f, 1f, 10f}, 3)) {
            Ask a = p.ask();
            assertEquals(20, a.count());
            assertFalse(a.stochastic());
            for (int i = 0; i < 10; i++) {
                for (int d = 0; d < 3; d++) {
                    assertEquals(2 * mean[d], a.candidates()[2 * i * 3 + d] + a.candidates()[(2 * i + 1) * 3 + d], 1e-5f);
                }
            }
        }
    }

    @Test
    void sigmaChangeIsClippedToTwentyPercent() {
        PgpeConfig fast = new PgpeConfig(20, 0.15f, 1000f, 0.2f, 0.1f, PgpeConfig.Shaping.ZSCORE, 1);
        try (CpuBackend be = new CpuBackend(1); Pgpe p = new Pgpe(be, "pgpe", fast, new float[2], new float[] {1f, 1f}, 5)) {
            Ask a = p.ask();
            // Fitness rewards distance from the mean: σ grows, at most by 20 %.
            double[] f = new double[a.count()];
            for (int i = 0; i < f.length; i++) f[i] = Math.abs(a.candidates()[2 * i]) + Math.abs(a.candidates()[2 * i + 1]);
            p.tell(f);
            for (float s : p.sigma()) assertEquals(1.2f, s, 1e-6f);
        }
    }

    @Test
    void fitnessShaping() {
        double[] f = {3, 1, 2, 2};
        assertArrayEquals(new double[] {0.5, -0.5, 0, 0}, Pgpe.shape(f, PgpeConfig.Shaping.RANK), 1e-12);
        double[] z = Pgpe.shape(f, PgpeConfig.Shaping.ZSCORE);
        assertEquals(0, Arrays.stream(z).sum(), 1e-12);
        assertEquals(4, Arrays.stream(z).map(v -> v * v).sum(), 1e-12);
        assertArrayEquals(new double[4], Pgpe.shape(new double[] {5, 5, 5, 5}, PgpeConfig.Shaping.ZSCORE));
        assertThrows(IllegalArgumentException.class, () -> Pgpe.shape(new double[] {1, Double.NaN}, PgpeConfig.Shaping.RAW));
        assertThrows(IllegalArgumentException.class, () -> new PgpeConfig(7, 0.1f, 0.1f, 0.2f, 0.1f, PgpeConfig.Shaping.RAW, 1));
    }
}
