package policyzip.env;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The MountainCar tasks of SPEC.md section 3 as {@link MountainCarEnv} defines them: each reward recomputed here
 * from the observations and actions of a rollout, independently of the env's bookkeeping. Parity of {@code goal}
 * with Gymnasium itself is {@link ClassicParityTest}'s.
 */
class MountainCarEnvTest {

    /** Sums of up to 999 doubles of magnitude ≤ 1: rounding only. */
    private static final double SUM_TOL = 1e-12;

    /** Random actions in [−1.2, 1.2] (about 1/6 outside the box, as in the fixtures), one per step. */
    private static float[] randomActions(long seed, int steps) {
        NumpyRandom rng = new NumpyRandom(seed);
        float[] a = new float[steps];
        for (int t = 0; t < steps; t++) a[t] = (float) rng.uniform(-1.2, 1.2);
        return a;
    }

    /** Every task has the same dynamics: their observations agree bit for bit under the same seed and actions. */
    @Test
    void tasksShareDynamics() {
        float[] actions = randomActions(7, 999);
        MountainCarEnv[] envs = new MountainCarEnv[MountainCarEnv.SPEC.tasks().size()];
        for (int k = 0; k < envs.length; k++) {
            envs[k] = new MountainCarEnv(MountainCarEnv.SPEC.tasks().get(k), 1, AutoresetMode.DISABLED);
            envs[k].reset(0, 3);
        }
        for (int t = 0; t < 60; t++) { // before the left task can end
            for (MountainCarEnv env : envs) env.step(new float[] {actions[t]});
            for (MountainCarEnv env : envs) assertArrayEquals(envs[0].obs(), env.obs(), env.task() + " step " + t);
        }
    }

    /** Gymnasium's reward: −0.1·a² with the raw action (out-of-box ones too), +100 on the terminating step. */
    @Test
    void goalIsGymnasiumReward() {
        float[] actions = randomActions(11, 999);
        MountainCarEnv env = new MountainCarEnv(MountainCarEnv.GOAL, 1, AutoresetMode.DISABLED);
        env.reset(0, 5);
        for (int t = 0; t < 999; t++) {
            env.step(new float[] {actions[t]});
            double a = actions[t];
            assertFalse(env.terminated()[0], "random actions do not reach the goal (step " + t + ")");
            assertEquals(-(a * a * 0.1), env.rewards()[0], 0.0, "step " + t); // reward -= math.pow(a, 2) * 0.1
        }
        assertTrue(env.truncated()[0], "truncated at step 999");
    }

    /**
     * A policy that pumps energy but brakes before the left wall reaches the right goal first (which must not end
     * the {@code left} episode, while it ends the {@code goal} one), then pushes left until x ≤ −1.15.
     */
    @Test
    void leftTerminatesAtLeftWallOnly() {
        MountainCarEnv left = new MountainCarEnv(MountainCarEnv.LEFT, 1, AutoresetMode.DISABLED);
        MountainCarEnv goal = new MountainCarEnv(MountainCarEnv.GOAL, 1, AutoresetMode.DISABLED);
        left.reset(0, 0);
        goal.reset(0, 0);
        int rightAt = -1, leftAt = -1;
        for (int t = 0; t < 999 && leftAt < 0; t++) {
            float a = rightAt >= 0 ? -1f : (left.velocity(0) >= 0 || left.position(0) < -0.7 ? 1f : -1f);
            left.step(new float[] {a});
            goal.step(new float[] {a});
            double x = left.obs()[0], v = left.obs()[1];
            double penalty = (double) a * a * 0.1;
            boolean atRightGoal = x >= 0.45 && v >= 0;
            if (atRightGoal && rightAt < 0) {
                rightAt = t;
                assertTrue(goal.terminated()[0], "goal task ends at the right goal (step " + t + ")");
                assertEquals(100.0 - penalty, goal.rewards()[0], 0.0);
            }
            if (x <= MountainCarEnv.LEFT_POSITION) {
                leftAt = t;
                assertTrue(left.terminated()[0], "left task ends at x = " + x + " <= -1.15 (step " + t + ")");
                assertEquals(100.0 - penalty, left.rewards()[0], 0.0, "left bonus, step " + t);
            } else {
                assertFalse(left.terminated()[0], "left task must not end at x = " + x + ", v = " + v + " (step " + t + ")");
                assertEquals(-penalty, left.rewards()[0], 0.0, "step " + t);
            }
        }
        assertTrue(rightAt >= 0, "test policy must reach the right goal before the left wall");
        assertTrue(leftAt > rightAt, "test policy must reach the left wall after the right goal (left at " + leftAt + ")");
        assertTrue(left.done(0), "left episode ended");
    }

    /** The return and every partial return equal the running maximum of sin(3x) over the observed positions. */
    @Test
    void heightReturnIsMaxOfSin3x() {
        for (long seed = 0; seed < 4; seed++) {
            float[] actions = randomActions(100 + seed, 999);
            MountainCarEnv env = new MountainCarEnv(MountainCarEnv.HEIGHT, 1, AutoresetMode.DISABLED);
            env.reset(0, seed);
            double ret = 0, max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t < 999; t++) {
                // Bang-bang on even seeds (climbs high), random on odd ones (stays low, often negative heights).
                float a = seed % 2 == 0 ? (env.velocity(0) >= 0 ? 1f : -1f) : actions[t];
                env.step(new float[] {a});
                ret += env.rewards()[0];
                max = Math.max(max, Math.sin(3 * env.obs()[0]));
                assertEquals(max, ret, SUM_TOL, "seed " + seed + ": return after step " + t + " is the running max");
                assertFalse(env.terminated()[0], "height never terminates");
                assertEquals(t == 998, env.truncated()[0], "truncation at step 999 only");
            }
        }
    }

    /** A full episode's return is the mean over its 999 steps of |v| − 0.1·a² (raw action). */
    @Test
    void speedReturnIsMean() {
        float[] actions = randomActions(21, 999);
        MountainCarEnv env = new MountainCarEnv(MountainCarEnv.SPEED, 1, AutoresetMode.DISABLED);
        env.reset(0, 9);
        double ret = 0, sum = 0;
        for (int t = 0; t < 999; t++) {
            env.step(new float[] {actions[t]});
            ret += env.rewards()[0];
            sum += Math.abs(env.obs()[1]) - 0.1 * actions[t] * actions[t];
            assertFalse(env.terminated()[0], "speed never terminates");
        }
        assertTrue(env.truncated()[0]);
        assertEquals(sum / 999, ret, SUM_TOL);
    }
}
