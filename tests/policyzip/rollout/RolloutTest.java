package policyzip.rollout;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.env.AutoresetMode;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.env.VecEnv;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

class RolloutTest {

    /** One policy, one episode, stepped by hand on a single-instance env with a one-state forward. */
    static double[] byHand(String env, String task, MlpSpec mlp, float[] theta, long seed) {
        try (CpuBackend be = new CpuBackend(KernelsProvider.scalar(), 1);
             VecEnv vec = Envs.make(env, task, 1, AutoresetMode.DISABLED)) {
            vec.reset(0, seed);
            Buffer th = be.upload(theta);
            float[] obs = new float[mlp.obsDim()], act = new float[mlp.actDim()];
            double ret = 0;
            int len = 0;
            do {
                vec.obsAsFloat(obs);
                Buffer a = be.allocate(act.length);
                be.mlpForward(mlp, th, 1, be.upload(obs), StateLayout.SHARED, 1, a, null);
                be.read(a, act, 0);
                vec.step(act);
                ret += vec.rewards()[0];
                len++;
            } while (!vec.terminated()[0] && !vec.truncated()[0]);
            return new double[] {ret, len};
        }
    }

    @Test
    void batchesAreBoundedByCountFloatsAndHeap() {
        long heapFloats = Runtime.getRuntime().maxMemory() / 16 / Float.BYTES;
        assertEquals(1024, Rollout.batchFor(1185, 1 << 26));                                   // medium: the count bounds
        assertEquals((int) Math.min(1024, Math.min(1 << 26, heapFloats) / 121_801), Rollout.batchFor(121_801, 1 << 26));
        assertEquals(1, Rollout.batchFor(121_801, 1000));                                       // never below one policy
        assertTrue(Rollout.batchFor(121_801, Long.MAX_VALUE) <= Math.max(1, heapFloats / 121_801));
    }

    @Test
    void thetaOnTheBackendGivesTheHostVariantsReturns() {
        EnvSpec spec = Envs.spec("mountaincar");
        MlpSpec mlp = MlpSpec.of("medium", spec.obsDim(), spec.actDim(), Activation.RELU, spec.policyOutputScale());
        long[] seeds = {21, 22, 23, 24, 25, 26, 27};
        float[] thetas = PolicyInit.initialize(mlp, seeds);
        for (int threads : new int[] {1, 2}) {
            try (CpuBackend be = new CpuBackend(threads); Buffer all = be.allocate((seeds.length + 1) * mlp.paramCount())) {
                Rollout r = new Rollout(be, "mountaincar", mlp);
                Buffer onBackend = all.slice(mlp.paramCount(), seeds.length * mlp.paramCount());   // not at offset 0
                be.write(onBackend, thetas, 0);
                var want = r.runAllTasks(thetas, seeds.length, 2, 7, null);
                var got = r.runAllTasks(onBackend, seeds.length, 2, 7, null);
                for (String task : spec.tasks()) {
                    assertArrayEquals(want.get(task).returns(), got.get(task).returns(), threads + " threads, " + task);
                    assertArrayEquals(want.get(task).lengths(), got.get(task).lengths(), threads + " threads, " + task);
                }
                var e = assertThrows(IllegalArgumentException.class, () -> r.runAllTasks(onBackend, seeds.length + 1, 1, 7, null));
                assertTrue(e.getMessage().contains("expected [B=8"), e.getMessage());
            }
        }
    }

    @Test
    void batchedReturnsEqualOneEpisodeAtATime() {
        for (String env : new String[] {"mountaincar", "pendulum"}) {
            EnvSpec spec = Envs.spec(env);
            MlpSpec mlp = MlpSpec.of("medium", spec.obsDim(), spec.actDim(), Activation.RELU, spec.policyOutputScale());
            int batch = 5;
            long[] seeds = {11, 12, 13, 14, 15};
            float[] thetas = PolicyInit.initialize(mlp, seeds);
            // One episode per policy: each policy's forward is a matrix-vector product, as by hand, so the returns agree
            // exactly. Three: a [3-state] product per policy sums in another order (Kernels#gemm), so trajectories may
            // part in the last bits; they must still agree closely.
            for (int episodes : new int[] {1, 3}) {
                double tol = episodes == 1 ? 1e-12 : 1e-4;
                try (CpuBackend be = new CpuBackend(2)) {
                    Rollout r = new Rollout(be, env, mlp);
                    for (String task : spec.tasks()) {
                        RolloutResult res = r.run(thetas, batch, task, episodes, 100, 0, null);
                        long steps = 0;
                        for (int b = 0; b < batch; b++) {
                            float[] one = PolicyInit.initialize(mlp, seeds[b]);
                            for (int e = 0; e < episodes; e++) {
                                double[] want = byHand(env, task, mlp, one, 100 + e);
                                double got = res.returns()[b * episodes + e];
                                assertEquals(want[0], got, tol * Math.max(1, Math.abs(want[0])), env + "/" + task + " policy " + b + " episode " + e);
                                if (episodes == 1) assertEquals((int) want[1], res.lengths()[b * episodes + e]);
                                steps += (long) want[1];
                            }
                        }
                        if (episodes == 1) assertEquals(steps, res.envSteps());
                    }
                }
            }
        }
    }

    @Test
    void keptStatesAreTheObservationsActedOn() {
        MlpSpec mlp = MlpSpec.of("small", 2, 1, Activation.RELU, 1f);
        float[] thetas = PolicyInit.initialize(mlp, new long[] {1, 2});
        try (CpuBackend be = new CpuBackend(1)) {
            Rollout r = new Rollout(be, "mountaincar", mlp);
            RolloutResult all = r.run(thetas, 2, "goal", 2, 0, 1, null);
            long total = 0;
            for (int len : all.lengths()) total += len;
            assertEquals(total, all.stateCount());
            EnvSpec spec = Envs.spec("mountaincar");
            for (int i = 0; i < all.stateCount(); i++) {
                for (int q = 0; q < 2; q++) {
                    float v = all.states()[i * 2 + q];
                    assertTrue(v >= spec.probeLow()[q] - 1e-6 && v <= spec.probeHigh()[q] + 1e-6, "state outside the observation box: " + v);
                }
            }
            RolloutResult strided = r.run(thetas, 2, "goal", 2, 0, 10, null);
            long want = 0;
            for (int len : all.lengths()) want += (len + 9) / 10;
            assertEquals(want, strided.stateCount());
            assertArrayEquals(all.returns(), strided.returns());
        }
    }

    @Test
    void sameResultOnOneAndTwoThreads() {
        MlpSpec mlp = MlpSpec.of("medium", 2, 1, Activation.RELU, 1f);
        long[] seeds = new long[37];
        for (int i = 0; i < seeds.length; i++) seeds[i] = 1000 + i;
        float[] thetas = PolicyInit.initialize(mlp, seeds);
        double[] a, b;
        try (CpuBackend one = new CpuBackend(1); CpuBackend two = new CpuBackend(2)) {
            a = new Rollout(one, "mountaincar", mlp).run(thetas, 37, "speed", 1, 5, 0, null).returns();
            b = new Rollout(two, "mountaincar", mlp).run(thetas, 37, "speed", 1, 5, 0, null).returns();
        }
        assertArrayEquals(a, b);
    }

    @Test
    void rejectsMismatchedShapesAndBadValues() {
        MlpSpec wrong = MlpSpec.of("small", 3, 1, Activation.RELU, 1f);
        MlpSpec mlp = MlpSpec.of("small", 2, 1, Activation.RELU, 1f);
        try (CpuBackend be = new CpuBackend(1)) {
            var e = assertThrows(IllegalArgumentException.class, () -> new Rollout(be, "mountaincar", wrong));
            assertTrue(e.getMessage().contains("does not fit"), e.getMessage());
            Rollout r = new Rollout(be, "mountaincar", mlp);
            e = assertThrows(IllegalArgumentException.class, () -> r.run(new float[10], 1, "goal", 1, 0, 0, null));
            assertTrue(e.getMessage().contains("expected [B=1, P=17]"), e.getMessage());
            float[] nan = new float[17];
            nan[3] = Float.NaN;
            e = assertThrows(IllegalArgumentException.class, () -> r.run(nan, 1, "goal", 1, 0, 0, null));
            assertTrue(e.getMessage().contains("non-finite"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> r.run(new float[17], 1, "fly", 1, 0, 0, null));
            assertThrows(IllegalArgumentException.class, () -> r.run(new float[17], 1, "goal", 0, 0, 0, null));
        }
    }

    /** 2-4-1 policy a = tanh(1000·v): pumps energy with the velocity, so it reaches the goal (and terminates 'goal'). */
    static float[] bangBang() {
        MlpSpec mlp = MlpSpec.of("small", 2, 1, Activation.RELU, 1f);
        float[] t = new float[mlp.paramCount()];
        // Layer 0: W [4, 2] then b [4]; h0 = relu(1000 v), h1 = relu(-1000 v).
        t[mlp.weightOffset(0) + 1] = 1000f;
        t[mlp.weightOffset(0) + 2 + 1] = -1000f;
        // Layer 1: W [1, 4]: out = tanh(h0 - h1).
        t[mlp.weightOffset(1)] = 1f;
        t[mlp.weightOffset(1) + 1] = -1f;
        return t;
    }

    @Test
    void allTasksInOnePassEqualSeparateRuns() {
        MlpSpec mlp = MlpSpec.of("small", 2, 1, Activation.RELU, 1f);
        float[] random = PolicyInit.initialize(mlp, new long[] {1, 2, 3});
        float[] thetas = new float[4 * mlp.paramCount()];
        System.arraycopy(random, 0, thetas, 0, random.length);
        System.arraycopy(bangBang(), 0, thetas, random.length, mlp.paramCount());
        try (CpuBackend be = new CpuBackend(2)) {
            Rollout r = new Rollout(be, "mountaincar", mlp);
            var all = r.runAllTasks(thetas, 4, 2, 7, null);
            assertEquals(Envs.spec("mountaincar").tasks(), java.util.List.copyOf(all.keySet()));
            for (String task : all.keySet()) {
                RolloutResult one = r.run(thetas, 4, task, 2, 7, 0, null);
                assertArrayEquals(one.returns(), all.get(task).returns(), task);
                assertArrayEquals(one.lengths(), all.get(task).lengths(), task);
            }
            // The bang-bang policy reaches the goal: 'goal' ends early with the +100, the other tasks run on.
            RolloutResult goal = all.get("goal");
            assertTrue(goal.lengths()[6] < 999 && goal.returns()[6] > 90, "bang-bang: " + goal.lengths()[6] + " steps, return " + goal.returns()[6]);
            assertEquals(999, all.get("speed").lengths()[6]);
        }
    }

    /** MuJoCo envs through the same engine: every task, in one pass (Hopper) or one pass per task (Reacher). */
    @Test
    void mujocoEnvsRunEveryTask() {
        for (String env : new String[] {"hopper", "reacher"}) {
            EnvSpec spec = Envs.spec(env);
            MlpSpec mlp = MlpSpec.of("small", spec.obsDim(), spec.actDim(), Activation.RELU, spec.policyOutputScale());
            float[] thetas = PolicyInit.initialize(mlp, new long[] {4, 5, 6});
            try (CpuBackend be = new CpuBackend(2)) {
                Rollout r = new Rollout(be, env, mlp);
                long[] last = {0, 0};
                var all = r.runAllTasks(thetas, 3, 1, 3, (done, total) -> { last[0] = done; last[1] = total; });
                assertEquals(spec.tasks(), java.util.List.copyOf(all.keySet()), env);
                assertEquals(last[1], last[0], env + ": progress reaches its total");
                for (String task : all.keySet()) {
                    RolloutResult one = r.run(thetas, 3, task, 1, 3, 0, null);
                    assertArrayEquals(one.returns(), all.get(task).returns(), env + " " + task);
                }
            }
        }
    }
}
