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
            Backend wrong = Corrupted.backend(cpu, "mlpBackward", 9, g -> {
                float max = 0;
                for (float v : g) max = Math.max(max, Math.abs(v));
                g[0] += 1e-3f * max;
            });
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
