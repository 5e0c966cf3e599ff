package policyzip.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * {@link VecEnv}'s contract on the classic envs: the three autoreset modes at a termination (MountainCar
 * {@code left}) and at a truncation (Pendulum, 200 steps), argument checks, and determinism (same seeds, same
 * actions ⇒ the same bits, whether an instance runs alone or among 64).
 */
class VecEnvTest {

    /** Pumps energy (push along the velocity): reaches x ≤ −1.15 at step 70 from seed 0 (left task). */
    private static float bangBang(MountainCarEnv env, int i) {
        return env.velocity(i) >= 0 ? 1f : -1f;
    }

    private static double[] row(double[] a, int i, int o) {
        return Arrays.copyOfRange(a, i * o, (i + 1) * o);
    }

    /** The observation of MountainCar's k-th reset (k = 0: the seeded one) of the stream {@code seed}. */
    private static double[] mountainCarResetObs(long seed, int k) {
        NumpyRandom rng = new NumpyRandom(seed);
        double x = 0;
        for (int j = 0; j <= k; j++) x = rng.uniform(-0.6, -0.4);
        return new double[] {(float) x, 0.0};
    }

    /** The observation of Pendulum's k-th reset of the stream {@code seed}. */
    private static double[] pendulumResetObs(long seed, int k) {
        NumpyRandom rng = new NumpyRandom(seed);
        double th = 0, thDot = 0;
        for (int j = 0; j <= k; j++) {
            th = rng.uniform(-Math.PI, Math.PI);
            thDot = rng.uniform(-1, 1);
        }
        return new double[] {(float) Math.cos(th), (float) Math.sin(th), (float) thDot};
    }

    @Test
    void nextStepResetsOnTheStepAfterTermination() {
        MountainCarEnv env = new MountainCarEnv(MountainCarEnv.LEFT, 2, AutoresetMode.NEXT_STEP);
        env.reset(0); // instance 0: seed 0, instance 1: seed 1
        assertArrayEquals(mountainCarResetObs(0, 0), row(env.obs(), 0, 2));
        assertArrayEquals(mountainCarResetObs(1, 0), row(env.obs(), 1, 2));
        int t = 0;
        while (!env.terminated()[0]) {
            assertTrue(t < 200, "bang-bang must reach the left wall");
            env.step(new float[] {bangBang(env, 0), 0f}); // instance 1 idles and never ends
            t++;
        }
        assertEquals(100.0 - 0.1, env.rewards()[0], 1e-12, "left bonus minus 0.1·1²");
        assertEquals(t, env.elapsed(0));
        env.step(new float[] {1f, 0f});
        assertArrayEquals(mountainCarResetObs(0, 1), row(env.obs(), 0, 2), "reset obs from the continued stream");
        assertEquals(0.0, env.rewards()[0], "reward of the reset step");
        assertFalse(env.terminated()[0]);
        assertFalse(env.truncated()[0]);
        assertEquals(0, env.elapsed(0), "the reset step is not an episode step");
        assertEquals(t + 1, env.elapsed(1), "instance 1 steps on");
        env.step(new float[] {1f, 0f});
        assertEquals(1, env.elapsed(0));
        assertTrue(env.obs()[1] > 0, "the new episode moved under a = +1");
    }

    @Test
    void nextStepResetsOnTheStepAfterTruncation() {
        PendulumEnv env = new PendulumEnv(PendulumEnv.SWINGUP, 1, AutoresetMode.NEXT_STEP);
        env.reset(0, 17);
        for (int t = 1; t <= 200; t++) {
            env.step(new float[] {0.5f});
            assertEquals(t == 200, env.truncated()[0], "step " + t);
            assertFalse(env.terminated()[0]);
        }
        env.step(new float[] {0.5f});
        assertArrayEquals(pendulumResetObs(17, 1), row(env.obs(), 0, 3));
        assertEquals(0.0, env.rewards()[0]);
        assertFalse(env.truncated()[0]);
        assertEquals(0, env.elapsed(0));
    }

    @Test
    void sameStepKeepsFinalObs() {
        MountainCarEnv env = new MountainCarEnv(MountainCarEnv.LEFT, 1, AutoresetMode.SAME_STEP);
        MountainCarEnv twin = new MountainCarEnv(MountainCarEnv.LEFT, 1, AutoresetMode.DISABLED);
        env.reset(0, 0);
        twin.reset(0, 0);
        for (int t = 0; !twin.done(0); t++) {
            assertTrue(t < 200, "bang-bang must reach the left wall");
            float[] a = {bangBang(twin, 0)};
            env.step(a);
            twin.step(a);
            assertEquals(twin.terminated()[0], env.terminated()[0], "step " + t);
            assertEquals(twin.rewards()[0], env.rewards()[0], 0.0, "step " + t);
            if (!twin.done(0)) assertArrayEquals(twin.obs(), env.obs(), "step " + t);
        }
        assertArrayEquals(twin.obs(), env.finalObs(), "finalObs is the last obs of the episode");
        assertArrayEquals(mountainCarResetObs(0, 1), env.obs(), "obs is already the next episode's first");
        assertEquals(0, env.elapsed(0));

        PendulumEnv p = new PendulumEnv(PendulumEnv.SWINGUP, 1, AutoresetMode.SAME_STEP);
        PendulumEnv pTwin = new PendulumEnv(PendulumEnv.SWINGUP, 1, AutoresetMode.DISABLED);
        p.reset(0, 4);
        pTwin.reset(0, 4);
        for (int t = 1; t <= 200; t++) {
            p.step(new float[] {-1f});
            pTwin.step(new float[] {-1f});
            assertEquals(t == 200, p.truncated()[0], "step " + t);
        }
        assertArrayEquals(pTwin.obs(), p.finalObs());
        assertArrayEquals(pendulumResetObs(4, 1), p.obs());
        assertEquals(pTwin.rewards()[0], p.rewards()[0], 0.0, "the last step's reward survives the reset");
    }

    @Test
    void disabledFreezesUntilReset() {
        MountainCarEnv env = new MountainCarEnv(MountainCarEnv.LEFT, 1, AutoresetMode.DISABLED);
        env.reset(0, 0);
        while (!env.done(0)) env.step(new float[] {bangBang(env, 0)});
        double[] last = env.obs().clone();
        int elapsed = env.elapsed(0);
        for (int k = 0; k < 3; k++) {
            env.step(new float[] {1f});
            assertArrayEquals(last, env.obs(), "frozen obs");
            assertEquals(0.0, env.rewards()[0], "frozen reward");
            assertTrue(env.terminated()[0], "still reports how it ended");
            assertEquals(elapsed, env.elapsed(0));
        }
        env.reset(0, 0);
        assertFalse(env.done(0));
        assertArrayEquals(mountainCarResetObs(0, 0), env.obs());
    }

    @Test
    void rejectsBadArguments() {
        MountainCarEnv env = new MountainCarEnv(MountainCarEnv.GOAL, 4, AutoresetMode.NEXT_STEP);
        IllegalStateException notReset = assertThrows(IllegalStateException.class, () -> env.step(new float[4]));
        assertTrue(notReset.getMessage().contains("instance 0 was never reset"), notReset.getMessage());
        env.reset(0, 1);
        env.reset(2, 1);
        IllegalStateException partly = assertThrows(IllegalStateException.class, () -> env.step(new float[4]));
        assertTrue(partly.getMessage().contains("instance 1 was never reset (2 of 4"), partly.getMessage());
        env.reset(7);

        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> env.step(new float[3]));
        assertTrue(shape.getMessage().contains("actions has 3 floats; expected [N=4, A=1] = 4"), shape.getMessage());

        IllegalArgumentException task = assertThrows(IllegalArgumentException.class,
                () -> new MountainCarEnv("swingup", 1, AutoresetMode.NEXT_STEP));
        assertTrue(task.getMessage().contains("no task 'swingup'; its tasks are goal, left, height, speed"), task.getMessage());
        IllegalArgumentException pTask = assertThrows(IllegalArgumentException.class,
                () -> new PendulumEnv("goal", 1, AutoresetMode.NEXT_STEP));
        assertTrue(pTask.getMessage().contains("its tasks are swingup"), pTask.getMessage());

        IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                () -> new PendulumEnv(PendulumEnv.SWINGUP, 0, AutoresetMode.NEXT_STEP));
        assertTrue(size.getMessage().contains(">= 1, got 0"), size.getMessage());

        IndexOutOfBoundsException index = assertThrows(IndexOutOfBoundsException.class, () -> env.reset(4, 0L));
        assertTrue(index.getMessage().contains("instance 4 does not exist: this env has N=4"), index.getMessage());
    }

    /** The pure-Java envs; the MuJoCo ones have their own, smaller versions of these checks in {@link MujocoEnvTest}. */
    private static final java.util.List<String> CLASSIC = java.util.List.of("mountaincar", "pendulum");

    /** Same seeds and actions give the same bits; instance i of {@code reset(s)} is a lone env reset with s + i. */
    @Test
    void deterministic() {
        for (String name : CLASSIC) {
            int n = 64, steps = Envs.spec(name).maxEpisodeSteps() + 50; // through one autoreset
            float[][] actions = new float[steps][n];
            NumpyRandom rng = new NumpyRandom(99);
            float hi = Envs.spec(name).actionHigh();
            for (float[] row : actions) for (int i = 0; i < n; i++) row[i] = (float) rng.uniform(-hi, hi);

            VecEnv a = Envs.make(name, null, n, AutoresetMode.NEXT_STEP), b = Envs.make(name, null, n, AutoresetMode.NEXT_STEP);
            VecEnv[] alone = new VecEnv[n];
            a.reset(1000);
            b.reset(1000);
            for (int i = 0; i < n; i++) {
                alone[i] = Envs.make(name, null, 1, AutoresetMode.NEXT_STEP);
                alone[i].reset(0, 1000 + i);
            }
            int o = a.spec().obsDim();
            for (int t = 0; t < steps; t++) {
                a.step(actions[t]);
                b.step(actions[t]);
                assertArrayEquals(a.obs(), b.obs(), name + " obs, step " + t);
                assertArrayEquals(a.rewards(), b.rewards(), name + " rewards, step " + t);
                assertArrayEquals(a.terminated(), b.terminated(), name + " terminated, step " + t);
                assertArrayEquals(a.truncated(), b.truncated(), name + " truncated, step " + t);
                for (int i = 0; i < n; i++) {
                    alone[i].step(new float[] {actions[t][i]});
                    String at = name + " instance " + i + " alone, step " + t;
                    assertArrayEquals(alone[i].obs(), row(a.obs(), i, o), at);
                    assertEquals(alone[i].rewards()[0], a.rewards()[i], 0.0, at);
                    assertEquals(alone[i].truncated()[0], a.truncated()[i], at);
                    assertEquals(alone[i].terminated()[0], a.terminated()[i], at);
                }
            }
        }
    }

    /** {@link VecEnv#step} allocates nothing, in every mode and task, across episode ends and autoresets. */
    @Test
    void stepDoesNotAllocate() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        long self = Thread.currentThread().threadId();
        mx.getThreadAllocatedBytes(self); // its own first call allocates
        for (String name : CLASSIC) {
            for (String task : Envs.spec(name).tasks()) {
                for (AutoresetMode mode : AutoresetMode.values()) {
                    VecEnv env = Envs.make(name, task, 8, mode);
                    env.reset(5);
                    float[][] actions = {new float[8], new float[8]};
                    Arrays.fill(actions[0], 1.5f); // out of the box for MountainCar: the rare path
                    Arrays.fill(actions[1], -1f);
                    int steps = 2 * env.spec().maxEpisodeSteps() + 10;
                    for (int t = 0; t < steps; t++) env.step(actions[(t / 40) & 1]); // warm up: first-use class loading
                    env.reset(5);
                    long before = mx.getThreadAllocatedBytes(self);
                    for (int t = 0; t < steps; t++) env.step(actions[(t / 40) & 1]);
                    long allocated = mx.getThreadAllocatedBytes(self) - before;
                    assertEquals(0, allocated, name + "[" + task + "] " + mode + ": bytes allocated by " + steps + " steps");
                }
            }
        }
    }
}
