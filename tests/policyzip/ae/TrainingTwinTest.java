package policyzip.ae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import policyzip.backend.Backend;
import policyzip.backend.Backends;
import policyzip.backend.Corrupted;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;

/** The training comparison of `policyzip selfcheck`: equal backends agree, a backend with a slightly wrong gradient does not. */
class TrainingTwinTest {
    private static final TrainingTwin.Setup SETUP = new TrainingTwin.Setup("small", 1, 16, 8, 16, 60);

    @Test
    void simdAndScalarKernelsTrainTheSameCurve() {
        try (CpuBackend simd = new CpuBackend(2); CpuBackend scalar = new CpuBackend(KernelsProvider.scalar(), 1)) {
            TrainingTwin.Result r = TrainingTwin.run(simd, scalar, SETUP, 5);
            assertTrue(r.passed(), r.toString());
            assertEquals(SETUP.steps(), r.device().length);
            assertTrue(r.device()[SETUP.steps() - 1] < r.device()[0], "the loss falls: " + r);
        }
    }

    @Test
    void theCudaKernelsOnTheEmulatorTrainTheCpusCurve() {
        try (Backend emu = Backends.create("cuda-emu", 1); CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
            TrainingTwin.Result r = TrainingTwin.run(emu, ref, TrainingTwin.SMALL, 11);
            assertTrue(r.passed(), r.toString());
            assertTrue(r.maxRelDeviation() > 0, "the GPU kernels sum in other orders than the CPU: " + r);
        }
    }

    @Test
    void aGradientTwoPercentOffInOneKernelIsCaught() {
        // dL/dθ of the policy backward 2 % off, up and down by turns (a uniform scale would be invisible to Adam).
        try (CpuBackend ref = new CpuBackend(1);
             Backend skewed = Corrupted.backend(new CpuBackend(1), "mlpBackward", 9, g -> {
                 for (int i = 0; i < g.length; i++) g[i] *= i % 2 == 0 ? 1.02f : 0.98f;
             })) {
            TrainingTwin.Result r = TrainingTwin.run(skewed, ref, SETUP, 5);
            assertFalse(r.passed(), r.toString());
            assertTrue(r.earlyDeviation() > TrainingTwin.EARLY_TOLERANCE, "caught early: " + r);
        }
    }
}
