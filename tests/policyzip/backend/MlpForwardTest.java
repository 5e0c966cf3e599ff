package policyzip.backend;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

class MlpForwardTest {
    private static final MlpSpec[] SPECS = {
            new MlpSpec(2, new int[] {4}, 1, Activation.RELU, 1f),
            new MlpSpec(3, new int[] {7, 5}, 1, Activation.TANH, 2f),
            new MlpSpec(5, new int[] {33, 17}, 3, Activation.RELU, 1f),
            new MlpSpec(2, new int[] {}, 2, Activation.RELU, 1f),
    };

    @Test
    void matchesDoubleReferenceAtAwkwardSizes() {
        SplittableRandom rng = new SplittableRandom(11);
        for (CpuBackend be : TestBackends.all()) {
            for (MlpSpec mlp : SPECS) {
                for (int batch : new int[] {1, 3, 7}) {
                    for (int m : new int[] {1, 13, 257, 300}) {
                        for (StateLayout layout : StateLayout.values()) {
                            check(be, mlp, batch, m, layout, rng);
                        }
                    }
                }
            }
            be.close();
        }
    }

    private static void check(CpuBackend be, MlpSpec mlp, int batch, int m, StateLayout layout, SplittableRandom rng) {
        float[] theta = Ref.randomFloats(rng, batch * mlp.paramCount(), 0.8);
        float[] states = Ref.randomFloats(rng, (int) layout.length(batch, m, mlp.obsDim()), 1.5);
        float[] actions = Ref.poisoned(batch * m * mlp.actDim());
        float[] cache = Ref.poisoned(batch * mlp.hiddenUnits() * m);
        Buffer act = be.upload(actions);
        Buffer cb = be.upload(cache);
        be.mlpForward(mlp, be.upload(theta), batch, be.upload(states), layout, m, act, mlp.hiddenUnits() > 0 ? cb : null);
        be.read(act, actions, 0);
        double[] want = Ref.forward(mlp, Ref.toDouble(theta), batch, Ref.toDouble(states), layout, m);
        Ref.assertClose(be.name() + " " + mlp + " B=" + batch + " M=" + m + " " + layout, want, actions, 1e-5, 1e-5);
        // Without an activations buffer the forward tiles the states differently: same result.
        float[] again = Ref.poisoned(actions.length);
        Buffer act2 = be.upload(again);
        be.mlpForward(mlp, be.upload(theta), batch, be.upload(states), layout, m, act2, null);
        be.read(act2, again, 0);
        assertArrayEquals(actions, again, "tiled and cached forward differ");
    }

    @Test
    void presetsHaveThePaperParameterCounts() {
        assertTrue(MlpSpec.of("small", 2, 1, Activation.RELU, 1f).paramCount() == 17);
        assertTrue(MlpSpec.of("medium", 2, 1, Activation.RELU, 1f).paramCount() == 1185);
        assertTrue(MlpSpec.of("large", 2, 1, Activation.RELU, 1f).paramCount() == 121_801);
        assertTrue(MlpSpec.of("large", 11, 3, Activation.RELU, 1f).paramCount() == 126_003);
    }

    @Test
    void threadCountDoesNotChangeResults() {
        MlpSpec mlp = MlpSpec.of("medium", 2, 1, Activation.RELU, 1f);
        int batch = 37, m = 100;
        SplittableRandom rng = new SplittableRandom(5);
        float[] theta = Ref.randomFloats(rng, batch * mlp.paramCount(), 0.5);
        float[] states = Ref.randomFloats(rng, m * 2, 1);
        float[][] out = new float[3][];
        int[] threads = {1, 2, 5};
        for (int t = 0; t < 3; t++) {
            try (CpuBackend be = new CpuBackend(threads[t])) {
                Buffer a = be.allocate(batch * m);
                be.mlpForward(mlp, be.upload(theta), batch, be.upload(states), StateLayout.SHARED, m, a, null);
                out[t] = new float[batch * m];
                be.read(a, out[t], 0);
            }
        }
        assertArrayEquals(out[0], out[1]);
        assertArrayEquals(out[0], out[2]);
    }

    @Test
    void randomInitPoliciesProduceBoundedVariedActions() {
        MlpSpec mlp = MlpSpec.of("small", 2, 1, Activation.RELU, 1f);
        float[] theta = PolicyInit.initialize(mlp, new long[] {1, 2, 3, 4});
        float[] states = {-0.5f, 0f, 0.3f, 0.05f, -1.1f, -0.06f};
        try (CpuBackend be = new CpuBackend(1)) {
            Buffer a = be.allocate(4 * 3);
            be.mlpForward(mlp, be.upload(theta), 4, be.upload(states), StateLayout.SHARED, 3, a, null);
            float[] out = new float[12];
            be.read(a, out, 0);
            double min = 1, max = -1;
            for (float v : out) {
                assertTrue(v > -1 && v < 1, "tanh output out of range: " + v);
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
            assertTrue(max - min > 1e-3, "policies from different seeds act identically");
        }
    }
}
