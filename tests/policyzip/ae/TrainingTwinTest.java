package policyzip.ae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import policyzip.backend.AdamConfig;
import policyzip.backend.Backend;
import policyzip.backend.Backends;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

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
        try (CpuBackend ref = new CpuBackend(1); Backend skewed = new SkewedBackward(new CpuBackend(1))) {
            TrainingTwin.Result r = TrainingTwin.run(skewed, ref, SETUP, 5);
            assertFalse(r.passed(), r.toString());
            assertTrue(r.earlyDeviation() > TrainingTwin.EARLY_TOLERANCE, "caught early: " + r);
        }
    }

    /** The CPU backend with dL/dθ of the policy backward 2 % off, up and down by turns. */
    private record SkewedBackward(CpuBackend be) implements Backend {
        @Override public String name() { return "skewed"; }
        @Override public String describe() { return "skewed"; }
        @Override public Buffer allocate(int n) { return be.allocate(n); }
        @Override public void write(Buffer dst, float[] host, int off) { be.write(dst, host, off); }
        @Override public void read(Buffer src, float[] host, int off) { be.read(src, host, off); }
        @Override public void mlpForward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m, Buffer actions,
                                         Buffer activations) {
            be.mlpForward(mlp, theta, batch, states, layout, m, actions, activations);
        }
        @Override public void mlpBackward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m, Buffer actions,
                                          Buffer activations, Buffer dActions, Buffer dTheta, Buffer dStates) {
            be.mlpBackward(mlp, theta, batch, states, layout, m, actions, activations, dActions, dTheta, dStates);
            try (Buffer scale = be.allocate(dTheta.length())) {
                float[] s = new float[dTheta.length()];
                for (int i = 0; i < s.length; i++) s[i] = i % 2 == 0 ? 1.02f : 0.98f;   // a uniform scale would be invisible to Adam
                be.write(scale, s, 0);
                be.columnAffine(dTheta, 1, dTheta.length(), scale, null, dTheta);
            }
        }
        @Override public void denseForward(Buffer x, int rows, int in, Buffer w, Buffer b, int out, Activation act, Buffer y) {
            be.denseForward(x, rows, in, w, b, out, act, y);
        }
        @Override public void denseBackward(Buffer x, int rows, int in, Buffer w, int out, Activation act, Buffer y, Buffer dy, Buffer dw,
                                            Buffer db, Buffer dx) {
            be.denseBackward(x, rows, in, w, out, act, y, dy, dw, db, dx);
        }
        @Override public void adamStep(AdamConfig cfg, int t, Buffer param, Buffer grad, Buffer m, Buffer v) { be.adamStep(cfg, t, param, grad, m, v); }
        @Override public void pairwiseSquaredDistances(Buffer x, int rowsX, Buffer y, int rowsY, int dim, Buffer out) {
            be.pairwiseSquaredDistances(x, rowsX, y, rowsY, dim, out);
        }
        @Override public void knnSquaredDistances(Buffer q, int rowsQ, Buffer p, int rowsP, int dim, int k, int self, Buffer out) {
            be.knnSquaredDistances(q, rowsQ, p, rowsP, dim, k, self, out);
        }
        @Override public void columnAffine(Buffer x, int rows, int cols, Buffer scale, Buffer shift, Buffer y) {
            be.columnAffine(x, rows, cols, scale, shift, y);
        }
        @Override public double meanSquaredError(Buffer pred, Buffer target, Buffer grad) { return be.meanSquaredError(pred, target, grad); }
        @Override public void close() { be.close(); }
    }
}
