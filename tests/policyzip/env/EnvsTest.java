package policyzip.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link Envs}' names and specs, and {@link EnvSpec#sampleProbeStates}. */
class EnvsTest {

    @Test
    void namesAndIdsResolve() {
        assertEquals(List.of("mountaincar", "pendulum", "reacher", "hopper", "halfcheetah", "invertedpendulum", "swimmer"), Envs.names());
        for (String s : List.of("mountaincar", "MountainCar", "MountainCarContinuous-v0", "mountaincarcontinuous-v0"))
            assertSame(MountainCarEnv.SPEC, Envs.spec(s), s);
        for (String s : List.of("pendulum", "PENDULUM", "Pendulum-v1", "pendulum-v1"))
            assertSame(PendulumEnv.SPEC, Envs.spec(s), s);
        for (String s : List.of("hopper", "Hopper-v5", "HOPPER-V5"))
            assertSame(HopperEnv.SPEC, Envs.spec(s), s);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Envs.spec("Hopper-v4"));
        assertTrue(e.getMessage().contains("unknown env 'Hopper-v4'; known envs are mountaincar (MountainCarContinuous-v0), pendulum (Pendulum-v1), reacher (Reacher-v5)"),
                e.getMessage());
    }

    @Test
    void specsMatchGymnasium() {
        EnvSpec mc = Envs.spec("mountaincar"), p = Envs.spec("pendulum");
        assertEquals(List.of(2, 1, 999), List.of(mc.obsDim(), mc.actDim(), mc.maxEpisodeSteps()));
        assertEquals(List.of(3, 1, 200), List.of(p.obsDim(), p.actDim(), p.maxEpisodeSteps()));
        assertEquals(1f, mc.policyOutputScale());
        assertEquals(2f, p.policyOutputScale());
        assertEquals(-2f, p.actionLow());
        assertEquals(2f, p.actionHigh());
        assertArrayEquals(new double[] {-1.2, -0.07}, mc.probeLow());
        assertArrayEquals(new double[] {0.6, 0.07}, mc.probeHigh());
        assertArrayEquals(new double[] {-1, -1, -8}, p.probeLow());
        assertArrayEquals(new double[] {1, 1, 8}, p.probeHigh());
        assertEquals("goal", mc.defaultTask());
        assertEquals("swingup", p.defaultTask());
    }

    @Test
    void makeBuildsTheEnvForTheTask() {
        VecEnv env = Envs.make("MountainCarContinuous-v0", "Height", 3, AutoresetMode.SAME_STEP);
        assertInstanceOf(MountainCarEnv.class, env);
        assertEquals("height", env.task());
        assertEquals(3, env.size());
        assertEquals(AutoresetMode.SAME_STEP, env.autoresetMode());
        VecEnv p = Envs.make("pendulum", null, 2, AutoresetMode.NEXT_STEP);
        assertInstanceOf(PendulumEnv.class, p);
        assertEquals("swingup", p.task());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Envs.make("pendulum", "goal", 1, AutoresetMode.NEXT_STEP));
        assertTrue(e.getMessage().contains("its tasks are swingup"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Envs.make("pendulum", null, 1, null));
    }

    @Test
    void mountainCarProbesFillTheBox() {
        EnvSpec spec = Envs.spec("mountaincar");
        int m = 4096;
        float[] s = spec.sampleProbeStates(m, 5);
        assertEquals(m * 2, s.length);
        for (int d = 0; d < 2; d++) {
            double lo = spec.probeLow()[d], hi = spec.probeHigh()[d], min = Double.MAX_VALUE, max = -Double.MAX_VALUE, mean = 0;
            for (int j = 0; j < m; j++) {
                float x = s[j * 2 + d];
                assertTrue(x >= (float) lo && x <= (float) hi, "coordinate " + d + " of state " + j + " = " + x + " outside [" + lo + ", " + hi + "]");
                min = Math.min(min, x);
                max = Math.max(max, x);
                mean += x / m;
            }
            double width = hi - lo;
            assertTrue(min < lo + 0.01 * width && max > hi - 0.01 * width, "coordinate " + d + " spans [" + min + ", " + max + "]");
            // Uniform: the mean of 4096 draws is within 4 standard errors (width / sqrt(12·m)) of the centre.
            assertEquals((lo + hi) / 2, mean, 4 * width / Math.sqrt(12.0 * m), "coordinate " + d + " mean");
        }
    }

    @Test
    void pendulumProbesAreObservedAnglesAndVelocities() {
        EnvSpec spec = Envs.spec("pendulum");
        int m = 4096;
        float[] s = spec.sampleProbeStates(m, 5);
        assertEquals(m * 3, s.length);
        int[] quadrants = new int[4];
        double meanV = 0;
        for (int j = 0; j < m; j++) {
            float c = s[3 * j], sn = s[3 * j + 1], v = s[3 * j + 2];
            assertEquals(1.0, (double) c * c + (double) sn * sn, 1e-6, "state " + j + " is on the unit circle");
            assertTrue(v >= -8f && v <= 8f, "velocity " + v);
            quadrants[(c >= 0 ? 0 : 1) + (sn >= 0 ? 0 : 2)]++;
            meanV += v / m;
        }
        for (int q : quadrants) assertEquals(m / 4.0, q, 4 * Math.sqrt(m * 0.25 * 0.75), "angles uniform: quadrant counts " + Arrays.toString(quadrants));
        assertEquals(0.0, meanV, 4 * 16 / Math.sqrt(12.0 * m), "velocity mean");
    }

    /** {@link Envs#allTasksInOnePass} says exactly which envs accept {@link VecEnv#ALL_TASKS}. */
    @Test
    void allTasksInOnePassIsWhatTheEnvsAccept() {
        for (String name : Envs.names()) {
            boolean accepted;
            try (VecEnv e = Envs.make(name, VecEnv.ALL_TASKS, 1, AutoresetMode.DISABLED)) {
                accepted = e.allTasks();
            } catch (IllegalArgumentException e) {
                accepted = false;
            }
            assertEquals(Envs.allTasksInOnePass(name), accepted, name);
        }
    }

    @Test
    void probesAreAPureFunctionOfTheSeed() {
        for (String name : Envs.names()) {
            EnvSpec spec = Envs.spec(name);
            if (!spec.hasProbeBox()) { // MuJoCo: probe states come from rollouts (SPEC.md section 2)
                assertThrows(IllegalStateException.class, () -> spec.sampleProbeStates(1, 42), name);
                continue;
            }
            float[] a = spec.sampleProbeStates(256, 42), b = spec.sampleProbeStates(256, 42), c = spec.sampleProbeStates(256, 43);
            assertArrayEquals(a, b, name);
            assertFalse(Arrays.equals(a, c), name + ": another seed gives other states");
            assertArrayEquals(Arrays.copyOf(a, 10 * spec.obsDim()), spec.sampleProbeStates(10, 42), name + ": a prefix does not depend on M");
        }
        assertThrows(IllegalArgumentException.class, () -> Envs.spec("pendulum").sampleProbeStates(0, 1));
    }

    @Test
    void specChecksItsProbeBox() {
        EnvSpec rollout = new EnvSpec("Hopper-v5", "hopper", 11, 3, -1f, 1f, 1000, new double[0], new double[0], List.of("forward"), 1f);
        assertFalse(rollout.hasProbeBox());
        IllegalStateException none = assertThrows(IllegalStateException.class, () -> rollout.sampleProbeStates(4, 1));
        assertTrue(none.getMessage().contains("hopper has no probe box"), none.getMessage());
        IllegalArgumentException wrong = assertThrows(IllegalArgumentException.class, () -> new EnvSpec("X-v0", "x", 3, 1, -1f, 1f, 10,
                new double[] {0, 0}, new double[] {1, 1}, List.of("t"), 1f));
        assertTrue(wrong.getMessage().contains("has 2 and 2 bounds; expected obsDim = 3"), wrong.getMessage());
        IllegalArgumentException nullTask = assertThrows(IllegalArgumentException.class, () -> new PendulumEnv(null, 1, AutoresetMode.NEXT_STEP));
        assertTrue(nullTask.getMessage().contains("no task 'null'; its tasks are swingup"), nullTask.getMessage());
    }

    /** The documented counter-based formula, written out independently: u_c = (mix64(seed + (c+1)·φ) >>> 11)·2^-53. */
    @Test
    void probesFollowTheDocumentedFormula() {
        long seed = 123456789L;
        float[] mc = Envs.spec("mountaincar").sampleProbeStates(3, seed), p = Envs.spec("pendulum").sampleProbeStates(3, seed);
        for (int j = 0; j < 3; j++) {
            assertEquals((float) (-1.2 + 1.8 * u(seed, 2 * j)), mc[2 * j], "mountaincar x, row " + j);
            assertEquals((float) (-0.07 + 0.14 * u(seed, 2 * j + 1)), mc[2 * j + 1], "mountaincar v, row " + j);
            double theta = -Math.PI + 2 * Math.PI * u(seed, 3 * j);
            assertEquals((float) StrictMath.cos(theta), p[3 * j], "pendulum cos, row " + j);
            assertEquals((float) StrictMath.sin(theta), p[3 * j + 1], "pendulum sin, row " + j);
            assertEquals((float) (-8 + 16 * u(seed, 3 * j + 2)), p[3 * j + 2], "pendulum velocity, row " + j);
        }
    }

    private static double u(long seed, long c) {
        long z = seed + (c + 1) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        z ^= z >>> 31;
        return (z >>> 11) * 0x1.0p-53;
    }
}
