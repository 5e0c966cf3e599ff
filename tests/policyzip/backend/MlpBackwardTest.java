package policyzip.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/** dL/dθ and dL/dstates of L = Σ g ⊙ actions, against central finite differences of the double reference. */
class MlpBackwardTest {

    @Test
    void gradientsMatchFiniteDifferences() {
        MlpSpec[] specs = {
                new MlpSpec(2, new int[] {5}, 1, Activation.RELU, 1f),
                new MlpSpec(3, new int[] {6, 4}, 2, Activation.TANH, 2f),
                new MlpSpec(4, new int[] {9, 7}, 3, Activation.RELU, 1f),
        };
        SplittableRandom rng = new SplittableRandom(2026);
        for (CpuBackend be : TestBackends.all()) {
            for (MlpSpec mlp : specs) {
                for (StateLayout layout : StateLayout.values()) {
                    check(be, mlp, 3, 5, layout, rng);
                    check(be, mlp, 2, 17, layout, rng);
                }
            }
            // A first layer whose dz [40, 300] outgrows L1: its dW takes the transposed register-tiled path, the
            // second layer's the column-by-column one (CpuBackend.backwardOne).
            check(be, new MlpSpec(2, new int[] {40, 3}, 1, Activation.RELU, 1f), 1, 300, StateLayout.SHARED, rng);
            be.close();
        }
    }

    private static void check(CpuBackend be, MlpSpec mlp, int batch, int m, StateLayout layout, SplittableRandom rng) {
        int p = mlp.paramCount(), a = mlp.actDim(), o = mlp.obsDim();
        float[] theta = Ref.randomFloats(rng, batch * p, 0.9);
        float[] states = Ref.randomFloats(rng, (int) layout.length(batch, m, o), 1.2);
        float[] g = Ref.randomFloats(rng, batch * m * a, 1.0);
        Buffer th = be.upload(theta), st = be.upload(states), act = be.allocate(batch * m * a);
        Buffer cache = be.allocate(batch * mlp.hiddenUnits() * m);
        be.mlpForward(mlp, th, batch, st, layout, m, act, cache);
        Buffer dTheta = be.upload(Ref.poisoned(batch * p)), dStates = be.upload(Ref.poisoned(states.length));
        be.mlpBackward(mlp, th, batch, st, layout, m, act, cache, be.upload(g), dTheta, dStates);
        float[] gotTheta = new float[batch * p], gotStates = new float[states.length];
        be.read(dTheta, gotTheta, 0);
        be.read(dStates, gotStates, 0);

        double[] thD = Ref.toDouble(theta), stD = Ref.toDouble(states), gD = Ref.toDouble(g);
        double h = 1e-6;
        double[] wantTheta = new double[thD.length];
        for (int i = 0; i < thD.length; i++) {
            double keep = thD[i];
            thD[i] = keep + h;
            double up = Ref.dot(gD, Ref.forward(mlp, thD, batch, stD, layout, m));
            thD[i] = keep - h;
            double down = Ref.dot(gD, Ref.forward(mlp, thD, batch, stD, layout, m));
            thD[i] = keep;
            wantTheta[i] = (up - down) / (2 * h);
        }
        double[] wantStates = new double[stD.length];
        for (int i = 0; i < stD.length; i++) {
            double keep = stD[i];
            stD[i] = keep + h;
            double up = Ref.dot(gD, Ref.forward(mlp, thD, batch, stD, layout, m));
            stD[i] = keep - h;
            double down = Ref.dot(gD, Ref.forward(mlp, thD, batch, stD, layout, m));
            stD[i] = keep;
            wantStates[i] = (up - down) / (2 * h);
        }
        String what = be.name() + " " + mlp + " B=" + batch + " M=" + m + " " + layout;
        Ref.assertClose("dθ " + what, wantTheta, gotTheta, 1e-4, 1e-3);
        Ref.assertClose("dstates " + what, wantStates, gotStates, 1e-4, 1e-3);
        double norm = 0;
        for (double v : wantTheta) norm += v * v;
        assertTrue(norm > 1e-6, "degenerate test: zero gradient");
    }

    @Test
    void backwardWithoutActivationsIsRejected() {
        MlpSpec mlp = new MlpSpec(2, new int[] {3}, 1, Activation.RELU, 1f);
        try (CpuBackend be = new CpuBackend(1)) {
            var e = assertThrows(IllegalArgumentException.class, () -> be.mlpBackward(mlp, be.allocate(mlp.paramCount()), 1,
                    be.allocate(2), StateLayout.SHARED, 1, be.allocate(1), null, be.allocate(1), be.allocate(mlp.paramCount()), null));
            assertTrue(e.getMessage().contains("activations"), e.getMessage());
        }
    }

    @Test
    void wrongShapesAreRejectedWithBothSizes() {
        MlpSpec mlp = new MlpSpec(2, new int[] {3}, 1, Activation.RELU, 1f);
        try (CpuBackend be = new CpuBackend(1)) {
            var e = assertThrows(IllegalArgumentException.class, () -> be.mlpForward(mlp, be.allocate(mlp.paramCount() * 2 + 1), 2,
                    be.allocate(8), StateLayout.SHARED, 4, be.allocate(8), null));
            assertEquals("theta has " + (mlp.paramCount() * 2 + 1) + " floats; expected [B=2, P=" + mlp.paramCount() + "] = "
                    + mlp.paramCount() * 2, e.getMessage());
            var e2 = assertThrows(IllegalArgumentException.class, () -> be.mlpForward(mlp, be.allocate(mlp.paramCount()), 1,
                    be.allocate(8), StateLayout.PER_POLICY, 3, be.allocate(3), null));
            assertTrue(e2.getMessage().startsWith("states has 8 floats; expected [B=1, M=3, O=2] = 6"), e2.getMessage());
            assertThrows(IllegalArgumentException.class, () -> be.mlpForward(mlp, be.allocate(0), 0,
                    be.allocate(8), StateLayout.SHARED, 4, be.allocate(0), null));
        }
    }
}
