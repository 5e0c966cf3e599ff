package policyzip.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The MuJoCo envs as {@link VecEnv}s: threads, autoreset, the SPEC.md tasks, closing and allocation. (Parity with
 * Gymnasium is {@link MujocoParityTest}'s.) Sizes are small: a Hopper step is ~0.1 ms.
 */
class MujocoEnvTest {

    private static float[][] randomActions(int steps, int n, int a, float hi, long seed) {
        NumpyRandom rng = new NumpyRandom(seed);
        float[][] out = new float[steps][n * a];
        for (float[] row : out) for (int i = 0; i < row.length; i++) row[i] = (float) rng.uniform(-hi, hi);
        return out;
    }

    /** Threads and instance count do not change results: instance i of reset(s) on 2 threads is a lone env reset with s + i. */
    @Test
    void threadsAndBatchingDoNotChangeResults() {
        for (String name : List.of("hopper", "reacher")) {
            int n = 6, steps = 70; // Reacher: through one autoreset (50-step limit)
            EnvSpec spec = Envs.spec(name);
            float[][] actions = randomActions(steps, n, spec.actDim(), 1f, 3);
            try (MujocoEnv a = ((MujocoEnv) Envs.make(name, null, n, AutoresetMode.SAME_STEP)).threads(2)) {
                MujocoEnv[] alone = new MujocoEnv[n];
                a.reset(100);
                for (int i = 0; i < n; i++) {
                    alone[i] = (MujocoEnv) Envs.make(name, null, 1, AutoresetMode.SAME_STEP);
                    alone[i].reset(0, 100 + i);
                }
                int o = spec.obsDim(), ad = spec.actDim();
                boolean sawEnd = false;
                for (int t = 0; t < steps; t++) {
                    a.step(actions[t]);
                    for (int i = 0; i < n; i++) {
                        alone[i].step(Arrays.copyOfRange(actions[t], i * ad, (i + 1) * ad));
                        String at = name + " instance " + i + " step " + t;
                        assertArrayEquals(alone[i].obs(), Arrays.copyOfRange(a.obs(), i * o, (i + 1) * o), at);
                        assertEquals(alone[i].rewards()[0], a.rewards()[i], 0.0, at);
                        assertEquals(alone[i].terminated()[0], a.terminated()[i], at);
                        assertEquals(alone[i].truncated()[0], a.truncated()[i], at);
                        sawEnd |= a.terminated()[i] || a.truncated()[i];
                    }
                }
                assertTrue(sawEnd, name + ": the run crossed an episode end");
                for (MujocoEnv e : alone) e.close();
            }
        }
    }

    /** One pass over all tasks gives each task's rewards and terminations as stepping that task alone does. */
    @Test
    void allTasksInOnePassMatchEachTask() {
        for (String name : List.of("hopper", "halfcheetah")) {
            EnvSpec spec = Envs.spec(name);
            int n = 3, steps = 40;
            float[][] actions = randomActions(steps, n, spec.actDim(), 1f, 9);
            try (VecEnv all = Envs.make(name, VecEnv.ALL_TASKS, n, AutoresetMode.DISABLED)) {
                all.reset(7);
                VecEnv[] one = new VecEnv[spec.tasks().size()];
                for (int t = 0; t < one.length; t++) {
                    one[t] = Envs.make(name, spec.tasks().get(t), n, AutoresetMode.DISABLED);
                    one[t].reset(7);
                }
                for (int s = 0; s < steps; s++) {
                    all.step(actions[s]);
                    for (int t = 0; t < one.length; t++) {
                        one[t].step(actions[s]);
                        for (int i = 0; i < n; i++) {
                            if (all.done(i) && one[t].done(i)) continue;
                            String at = name + " task " + spec.tasks().get(t) + " instance " + i + " step " + s;
                            assertEquals(one[t].rewards()[i], all.taskRewards(t)[i], 0.0, at);
                            assertEquals(one[t].terminated()[i], all.taskTerminated(t)[i], at);
                        }
                    }
                }
                for (VecEnv e : one) e.close();
            }
        }
    }

    /** Hopper's tasks are the same step's velocity terms with other signs: forward + backward = 2·(healthy − ctrl). */
    @Test
    void hopperTaskRewardsAreConsistent() {
        try (MujocoEnv env = (MujocoEnv) Envs.make("hopper", VecEnv.ALL_TASKS, 4, AutoresetMode.DISABLED)) {
            env.reset(1);
            float[][] actions = randomActions(30, 4, 3, 1f, 2);
            double[] before = new double[6], after = new double[6], vel = new double[6];
            int checked = 0;
            for (float[] a : actions) {
                env.getState(0, before, vel);
                boolean wasDone = env.done(0);
                env.step(a);
                if (wasDone) continue;
                env.getState(0, after, vel);
                double healthy = env.terminated()[0] ? 0 : 1;
                double ctrl = 1e-3f * (a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
                double fwd = env.taskRewards(0)[0], back = env.taskRewards(1)[0], jump = env.taskRewards(2)[0];
                assertEquals(2 * (healthy - ctrl), fwd + back, 1e-9);
                assertEquals((after[0] - before[0]) / env.dt(), fwd - healthy + ctrl, 1e-9, "forward is the x velocity");
                assertEquals(Math.max(0, (after[1] - before[1]) / env.dt()), jump - healthy + ctrl, 1e-9, "jump is the upward velocity");
                checked++;
            }
            assertTrue(checked >= 5, "checked " + checked + " steps");
        }
    }

    /** HalfCheetah's flips reward the rooty rate: frontflip = −backflip apart from the shared control cost. */
    @Test
    void halfCheetahFlipRewards() {
        try (MujocoEnv env = (MujocoEnv) Envs.make("halfcheetah", VecEnv.ALL_TASKS, 1, AutoresetMode.DISABLED)) {
            env.reset(0, 4);
            double[] q = new double[9], v = new double[9], before = new double[9];
            env.getState(0, q, v);
            v[2] = 4.0; // spinning nose-down about +y
            env.setState(0, q, v);
            env.getState(0, before, v);
            float[] a = {0.5f, -0.5f, 0.25f, 0f, 0f, 1f};
            env.step(a);
            env.getState(0, q, v);
            double ctrl = 0.1f * MujocoEnv.sumOfSquares(a, 0, 6);
            double w = (q[2] - before[2]) / env.dt();
            assertTrue(w > 1, "still rotating forward: " + w);
            assertEquals(w - ctrl, env.taskRewards(2)[0], 1e-12, "frontflip");
            assertEquals(-w - ctrl, env.taskRewards(3)[0], 1e-12, "backflip");
        }
    }

    /** The fixed-target Reacher tasks draw the arm's start like {@code target} and put the target at their corner. */
    @Test
    void reacherFixedTargets() {
        double[][] corners = {{0.1, 0.1}, {-0.1, 0.1}, {-0.1, -0.1}, {0.1, -0.1}};
        List<String> tasks = List.of("reach-ne", "reach-nw", "reach-sw", "reach-se");
        try (MujocoEnv standard = (MujocoEnv) Envs.make("reacher", "target", 1, AutoresetMode.DISABLED)) {
            standard.reset(0, 11);
            double[] q0 = new double[4], v0 = new double[4], q = new double[4], v = new double[4];
            standard.getState(0, q0, v0);
            for (int t = 0; t < 4; t++) {
                try (MujocoEnv env = (MujocoEnv) Envs.make("reacher", tasks.get(t), 1, AutoresetMode.DISABLED)) {
                    env.reset(0, 11);
                    env.getState(0, q, v);
                    assertEquals(q0[0], q[0], 0.0);
                    assertEquals(q0[1], q[1], 0.0);
                    assertArrayEquals(v0, v, 0.0);
                    assertEquals(corners[t][0], env.obs()[4], 0.0, tasks.get(t) + " target x in the observation");
                    assertEquals(corners[t][1], env.obs()[5], 0.0, tasks.get(t) + " target y");
                    env.step(new float[] {0f, 0f});
                    double dx = env.obs()[8], dy = env.obs()[9];
                    assertEquals(-Math.sqrt(dx * dx + dy * dy), env.rewards()[0], 1e-12, "zero action: reward is minus the distance");
                }
            }
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Envs.make("reacher", VecEnv.ALL_TASKS, 1, AutoresetMode.DISABLED));
        assertEquals("env reacher cannot report all its tasks in one pass; step one task at a time", e.getMessage());
    }

    @Test
    void closedEnvRefusesToStep() {
        MujocoEnv env = (MujocoEnv) Envs.make("swimmer", null, 2, AutoresetMode.NEXT_STEP);
        env.reset(0);
        env.step(new float[4]);
        env.close();
        env.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> env.step(new float[4]));
        assertEquals("Swimmer-v5 env was closed", e.getMessage());
    }

    /** On one thread a MuJoCo step allocates nothing either, across terminations and autoresets. */
    @Test
    void stepDoesNotAllocate() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        mx.getThreadAllocatedBytes(self);
        for (String name : List.of("hopper", "invertedpendulum")) {
            try (VecEnv env = Envs.make(name, null, 4, AutoresetMode.NEXT_STEP)) {
                float[] a = new float[4 * env.spec().actDim()];
                Arrays.fill(a, 0.7f);
                env.reset(5);
                for (int t = 0; t < 1500; t++) env.step(a); // warm-up: JIT tiers and the downcall stubs settle
                // The fewest bytes of three 300-step windows: a JIT compilation finishing mid-window allocates once.
                long least = Long.MAX_VALUE;
                boolean ended = false;
                for (int w = 0; w < 3; w++) {
                    long before = mx.getThreadAllocatedBytes(self);
                    for (int t = 0; t < 300; t++) {
                        env.step(a);
                        ended |= env.terminated()[0];
                    }
                    least = Math.min(least, mx.getThreadAllocatedBytes(self) - before);
                }
                assertEquals(0, least, name + ": bytes allocated by 300 steps");
                assertTrue(ended, name + ": episodes ended and reset during the measured steps");
            }
        }
    }

    @Test
    void setStateChecksShapes() {
        try (MujocoEnv env = (MujocoEnv) Envs.make("hopper", null, 1, AutoresetMode.DISABLED)) {
            env.reset(0);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> env.setState(0, new double[5], new double[6]));
            assertEquals("Hopper-v5 state is qpos[6], qvel[6]; got qpos[5], qvel[6]", e.getMessage());
            assertFalse(env.terminated()[0]);
        }
    }
}
