package policyzip.backend;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.MlpSpec;

/**
 * {@link TwinCheck} itself: the SIMD CPU backend passes it against the scalar one, and a backend that is wrong in one
 * element of one operation (the forward's actions, the backward's dθ) fails exactly that operation's cases (so the GPU
 * checks that use it can fail).
 */
class TwinCheckTest {
    @Test
    void cpuBackendPassesEveryCase() {
        try (CpuBackend be = new CpuBackend(2)) {
            List<TwinCheck.Result> r = TwinCheck.run(be, System.nanoTime(), true, null);
            assertTrue(r.size() > 50, "cases: " + r.size());
            for (TwinCheck.Result x : r) assertTrue(x.passed(), x.toString());
        }
    }

    @Test
    void oneWrongActionFailsTheForwardCases() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            // actions[0] off by 1e-3 (actions lie in ±scale, scale <= 2): far above the 1e-5 tolerance.
            Backend wrong = Corrupted.backend(cpu, "mlpForward", 6, a -> a[0] += 1e-3f);
            List<TwinCheck.Result> r = TwinCheck.run(wrong, 5, true, null);
            for (TwinCheck.Result x : r) {
                boolean forwardActions = x.op().equals("mlpForward") && !x.what().endsWith("(activations)");
                if (forwardActions) assertFalse(x.passed(), "should fail: " + x);
                else assertTrue(x.passed(), x.toString());
            }
        }
    }

    @Test
    void oneWrongGradientFailsTheBackwardCases() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            // dθ[0] off by 1e-3 of the largest |dθ|: far above the 1e-5 tolerance of the max-norm.
            Backend wrong = Corrupted.backend(cpu, "mlpBackward", 9, g -> g[0] += 1e-3f * maxAbs(g));
            List<TwinCheck.Result> r = TwinCheck.run(wrong, 6, true, null);
            long backward = r.stream().filter(x -> x.op().equals("mlpBackward")).count();
            assertTrue(backward > 50, "backward results: " + backward);
            for (TwinCheck.Result x : r) {
                boolean gradient = x.op().equals("mlpBackward") && x.what().endsWith("(dθ)");
                if (gradient) assertFalse(x.passed(), "should fail: " + x);
                else assertTrue(x.passed(), x.toString());
            }
        }
    }

    @Test
    void oneWrongDenseOutputFailsTheDenseForwardCases() {
        try (CpuBackend cpu = new CpuBackend(1)) {
            // y[0] of denseForward (argument 7) off by 1e-3 of the largest |y|: measured against the terms' magnitude
            // (at most a few times |y| here) it is still far above 1e-5.
            Backend wrong = Corrupted.backend(cpu, "denseForward", 7, y -> y[0] += 1e-3f * Math.max(maxAbs(y), 1f));
            List<TwinCheck.Result> r = TwinCheck.run(wrong, 7, true, null);
            for (TwinCheck.Result x : r) {
                if (x.op().equals("denseForward")) assertFalse(x.passed(), "should fail: " + x);
                else assertTrue(x.passed(), x.toString());
            }
        }
    }

    /**
     * Sums whose terms cancel: another summation order is far from the twin relative to the result, not relative to
     * the terms, which is what {@link TwinCheck#sumError} measures; a wrong term still fails.
     */
    @Test
    void sumsAreMeasuredAgainstTheirTermsNotTheirCancelledResult() {
        float[] t = new float[256];
        java.util.SplittableRandom rng = new java.util.SplittableRandom(3);
        for (int i = 0; i < t.length; i++) t[i] = (float) (rng.nextDouble() * 2 - 1);
        float forward = 0, backward = 0, total = 0;
        for (float v : t) forward += v;
        for (int i = t.length - 1; i >= 0; i--) backward += t[i];
        for (float v : t) total += Math.abs(v);
        t[0] = t[0] - forward;   // now the forward sum is about 0: the terms cancel
        forward = 0;
        backward = 0;
        for (float v : t) forward += v;
        for (int i = t.length - 1; i >= 0; i--) backward += t[i];
        double[] scale = {total};
        assertTrue(forward != backward, "two orders differ: " + forward + " " + backward);
        assertTrue(TwinCheck.relError(new float[] {backward}, new float[] {forward}) > 1e-5, "relative to the result: too strict");
        assertTrue(TwinCheck.sumError(new float[] {backward}, new float[] {forward}, scale) < 1e-6, "relative to the terms");
        assertTrue(TwinCheck.sumError(new float[] {forward + 0.01f}, new float[] {forward}, scale) > 1e-5, "a wrong term is caught");
        assertTrue(TwinCheck.sumError(new float[] {Float.NaN}, new float[] {forward}, scale) == Double.POSITIVE_INFINITY);
    }

    private static float maxAbs(float[] a) {
        float max = 0;
        for (float v : a) max = Math.max(max, Math.abs(v));
        return max;
    }

    @Test
    void nanWhereTheTwinIsFiniteIsInfinitelyWrong() {
        assertTrue(TwinCheck.relError(new float[] {1, Float.NaN}, new float[] {1, 2}) == Double.POSITIVE_INFINITY);
        assertTrue(TwinCheck.relError(new float[] {1, 2}, new float[] {1, 2}) == 0);
        // 2-norm: 0.5 / 5 = 0.1; max-norm: 0.5 / 4 = 0.125.
        assertTrue(Math.abs(TwinCheck.relError(new float[] {3, 4.5f}, new float[] {3, 4}) - 0.125) < 1e-9);
        assertTrue(MlpSpec.of("small", 2, 1, policyzip.policy.Activation.RELU, 1f).paramCount() == 17);
    }

    /** The long-reduction check's mechanics at a shorter length (on a GPU it runs at P = 121,801): both CPU kernels pass. */
    @Test
    void longReductionsAgainstDoublePassForTheCpu() {
        try (CpuBackend simd = new CpuBackend(2); CpuBackend scalar = new CpuBackend(policyzip.backend.cpu.KernelsProvider.scalar(), 1)) {
            java.util.List<TwinCheck.Result> r = new java.util.ArrayList<>();
            TwinCheck.longReductions(simd, scalar, 3000, new java.util.SplittableRandom(2), r::add);
            assertTrue(r.size() == 2, r.toString());
            for (TwinCheck.Result x : r) {
                assertTrue(x.passed() && x.relError() > 0 && x.relError() < 1e-5, x.toString());
                assertTrue(x.what().contains("the CPU twin's error"), x.what());
            }
        }
    }

    @Test
    void aDeviceFurtherFromTheExactSumThanTwiceTheCpuFails() {
        float[] exactF = {1, 2, 3, 4};
        double[] exact = {1, 2, 3, 4};
        float[] cpu = {1, 2, 3, 4.00002f};
        TwinCheck.Result ok = TwinCheck.againstDouble("op", "case", new float[] {1, 2, 3, 4.00003f}, cpu, exact);
        TwinCheck.Result bad = TwinCheck.againstDouble("op", "case", new float[] {1, 2, 3.001f, 4}, cpu, exact);
        assertTrue(ok.passed(), ok.toString());
        assertTrue(!bad.passed(), bad.toString());
        assertTrue(TwinCheck.relError(exactF, exactF) == 0);
    }
}
