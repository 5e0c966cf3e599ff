package policyzip.env;

import java.util.List;

/**
 * MountainCarContinuous-v0 (Gymnasium 1.3.0 {@code Continuous_MountainCarEnv}, ENVS.md section 1), N instances,
 * with the reward variants of SPEC.md section 3 as tasks.
 *
 * <p><b>Layout.</b> State as structure of arrays: {@code pos[N]}, {@code vel[N]} (float32, Gymnasium's state after
 * any step), {@code resetPos[N]} (float64, the state right after reset) and {@code fresh[N]} (no step since the
 * reset); {@code runningMax[N]} for the {@code height} task. Observation row i = (position, velocity), the float32
 * values held in the double buffer. Action [N, A=1].
 *
 * <p><b>Numerics</b> (what makes it bit-exact with Gymnasium, ENVS.md section 1):
 * after reset Gymnasium's state is a float64 array, so the <em>first</em> step runs in double ({@code cos(3·x)}
 * of the double x, velocity and position updates in double, clips and the goal test against double constants);
 * every later step starts from the float32 state, so {@code 3·x} is rounded to float before the (double) cosine,
 * and velocity, position, clips and comparisons are float32. In both, with an in-box action {@code a},
 * {@code force·power} is {@code f32(a·f32(0.0015))} and the velocity increment is the float32 difference
 * {@code f32(force·power − f32(0.0025·cos))}; an action outside [−1, 1] is clamped to the Python float ±1.0, which
 * makes that increment a double (rounded to float when added to a float32 velocity). Velocity is clamped to
 * ±0.07, position to [−1.2, 0.6], and velocity zeroed when the car sits at −1.2 moving left. The action penalty
 * {@code 0.1·a²} uses the raw, unclamped action in double. Policies with tanh outputs never leave [−1, 1] (tanh
 * may round to exactly ±1.0f, which Gymnasium keeps as float32, and so does this class). The cosine is
 * {@link Math#cos}: trajectories are bit-identical to Gymnasium's on all fixture episodes, and since every cosine
 * passes through a float32 rounding before it reaches the state, another platform's last-ulp difference would
 * change a step with probability ~2^-29. {@link StrictMath#cos} (fdlibm, the same bits everywhere) is as fast here
 * but allocates a {@code double[2]} per call for its argument reduction, which escape analysis does not remove.
 *
 * <p><b>Tasks</b> (same dynamics and time limit of 999 steps; x_t and v_t are the observed position and velocity
 * after step t, a_t the raw action; the paper only names the tasks, these definitions are ours):
 * <ul>
 *   <li>{@code goal}: Gymnasium's reward, {@code (100 if terminated) − 0.1·a_t²}; terminated when
 *       {@code x ≥ 0.45 and v ≥ 0}.</li>
 *   <li>{@code left}: {@code (100 if x_t ≤ −1.15) − 0.1·a_t²}, and the episode terminates on reaching
 *       {@code x_t ≤ −1.15}; reaching the right goal neither pays nor terminates.</li>
 *   <li>{@code height}: the return is {@code max_t sin(3·x_t)} (the car's height profile; 1 at x = π/6 ≈ 0.524),
 *       paid as a telescoping reward {@code r_1 = sin(3·x_1)}, {@code r_t = max(0, sin(3·x_t) − max_{s<t} sin(3·x_s))},
 *       so any prefix of an episode sums to its running maximum; never terminates.</li>
 *   <li>{@code speed}: {@code r_t = (|v_t| − 0.1·a_t²) / 999}, so the return of a full (999-step) episode is the
 *       mean of {@code |v| − 0.1·a²}; never terminates.</li>
 * </ul>
 *
 * <p><b>Speed.</b> {@link #stepInstances} is one pass over primitive arrays with no allocation; the first step after
 * a reset and out-of-box actions take a separate, rare path. Measured with {@code bench/.../EnvStepBench}, N = 4096,
 * one core of the 2-core development machine: 7.3e7 to 8.1e7 env-steps/s (12 to 14 ns per env-step, 6.5 ns of it the
 * cosine) for {@code goal}, {@code left} and {@code speed}; 3.4e7 for {@code height}, which adds a sine.
 */
public final class MountainCarEnv extends VecEnv {

    /** Standard reward of MountainCarContinuous-v0. */
    public static final String GOAL = "goal";
    /** Reach x ≤ −1.15 (the left wall), +100 and episode end. */
    public static final String LEFT = "left";
    /** Maximum height sin(3x) reached over the episode. */
    public static final String HEIGHT = "height";
    /** Mean |v| − 0.1·a² over the episode. */
    public static final String SPEED = "speed";

    /** MountainCarContinuous-v0's constants; probe states uniform in the observation box [−1.2, 0.6] × [−0.07, 0.07]. */
    public static final EnvSpec SPEC = new EnvSpec("MountainCarContinuous-v0", "mountaincar", 2, 1, -1f, 1f, 999,
            new double[] {-1.2, -0.07}, new double[] {0.6, 0.07}, List.of(GOAL, LEFT, HEIGHT, SPEED), 1f);

    // Gymnasium's constants, as Python floats (double) and as numpy rounds them against float32 operands.
    private static final double MIN_POSITION = -1.2, MAX_POSITION = 0.6, MAX_SPEED = 0.07, GOAL_POSITION = 0.45, POWER = 0.0015;
    private static final float MIN_POSITION_F = (float) MIN_POSITION, MAX_POSITION_F = (float) MAX_POSITION,
            MAX_SPEED_F = (float) MAX_SPEED, GOAL_POSITION_F = (float) GOAL_POSITION, POWER_F = (float) POWER;
    /** Threshold of the {@code left} task. */
    public static final double LEFT_POSITION = -1.15;

    private static final int T_GOAL = 0, T_LEFT = 1, T_HEIGHT = 2, T_SPEED = 3;

    private final int taskId;
    private final float[] pos, vel;       // [N] float32 state after >= 1 step
    private final double[] resetPos;      // [N] float64 position right after reset (velocity is 0.0)
    private final boolean[] fresh;        // [N] no step since reset: the state is resetPos, 0.0 in double
    private final double[] runningMax;    // [N] height task: max of sin(3x) so far this episode

    public MountainCarEnv(String task, int n, AutoresetMode mode) {
        super(SPEC, task, n, mode);
        taskId = SPEC.tasks().indexOf(this.task);
        pos = new float[n];
        vel = new float[n];
        resetPos = new double[n];
        fresh = new boolean[n];
        runningMax = new double[n];
    }

    /** Gymnasium's {@code reset}: position {@code uniform(-0.6, -0.4)} in double, velocity 0. */
    @Override
    protected void resetInstance(int i, NumpyRandom rng) {
        double x = rng.uniform(-0.6, -0.4);
        resetPos[i] = x;
        pos[i] = (float) x;
        vel[i] = 0f;
        fresh[i] = true;
        runningMax[i] = Double.NEGATIVE_INFINITY;
        obs[2 * i] = (float) x;
        obs[2 * i + 1] = 0.0;
    }

    @Override
    protected void stepInstances(float[] actions) {
        final float[] pos = this.pos, vel = this.vel;
        final boolean[] skip = this.skip, fresh = this.fresh;
        final double[] obs = this.obs;
        for (int i = 0; i < n; i++) {
            if (skip[i]) continue;
            float a = actions[i];
            if (fresh[i] || a < -1f || a > 1f) {
                stepRare(i, a);
                continue;
            }
            // Float32 state, in-box action: Gymnasium's step with numpy's float32 rounding.
            float p = pos[i];
            float v = vel[i] + (a * POWER_F - (float) (0.0025 * Math.cos(3f * p)));
            v = Math.max(Math.min(v, MAX_SPEED_F), -MAX_SPEED_F);
            p = Math.max(Math.min(p + v, MAX_POSITION_F), MIN_POSITION_F);
            if (p == MIN_POSITION_F && v < 0f) v = 0f;
            pos[i] = p;
            vel[i] = v;
            obs[2 * i] = p;
            obs[2 * i + 1] = v;
            finish(i, p, v, a, p >= GOAL_POSITION_F && v >= 0f);
        }
    }

    /** The first step after a reset (double state) and steps with an action outside [−1, 1] (double force). */
    private void stepRare(int i, float a) {
        boolean inBox = !(a < -1f || a > 1f); // NaN stays float32 in Gymnasium too
        boolean wasFresh = fresh[i];
        fresh[i] = false;
        double p, v;
        boolean goal;
        if (wasFresh) {
            p = resetPos[i];
            v = 0.0;
            double t2 = 0.0025 * Math.cos(3 * p);
            v += inBox ? (double) (a * POWER_F - (float) t2) : (a > 1f ? 1.0 : -1.0) * POWER - t2;
            if (v > MAX_SPEED) v = MAX_SPEED;
            if (v < -MAX_SPEED) v = -MAX_SPEED;
            p += v;
            if (p > MAX_POSITION) p = MAX_POSITION;
            if (p < MIN_POSITION) p = MIN_POSITION;
            if (p == MIN_POSITION && v < 0) v = 0;
            goal = p >= GOAL_POSITION && v >= 0;
        } else {
            float pf = pos[i];
            double t2 = 0.0025 * Math.cos(3f * pf);
            float vf = vel[i] + (float) ((a > 1f ? 1.0 : -1.0) * POWER - t2); // float32 velocity += Python float
            vf = Math.max(Math.min(vf, MAX_SPEED_F), -MAX_SPEED_F);
            pf = Math.max(Math.min(pf + vf, MAX_POSITION_F), MIN_POSITION_F);
            if (pf == MIN_POSITION_F && vf < 0f) vf = 0f;
            goal = pf >= GOAL_POSITION_F && vf >= 0f; // float32 comparison: x == f32(0.45) < 0.45 counts as at the goal
            p = pf;
            v = vf;
        }
        float pf = (float) p, vf = (float) v;
        pos[i] = pf;
        vel[i] = vf;
        obs[2 * i] = pf;
        obs[2 * i + 1] = vf;
        finish(i, pf, vf, a, goal);
    }

    @Override protected boolean fillsTaskRewards() { return true; }

    /** Reward and termination of the task(s) for the step that left instance i at observed (x, v) under raw action a. */
    private void finish(int i, float x, float v, float a, boolean goal) {
        if (allTasks) {
            for (int t = 0; t < 4; t++) task(t, i, x, v, a, goal, taskRewards[t], taskTerminated[t]);
        } else {
            task(taskId, i, x, v, a, goal, rewards, terminated);
        }
    }

    private void task(int t, int i, float x, float v, float a, boolean goal, double[] rewards, boolean[] terminated) {
        double penalty = (double) a * a * 0.1; // math.pow(action[0], 2) * 0.1: exact square of a float32, then double
        switch (t) {
            case T_GOAL -> {
                rewards[i] = (goal ? 100.0 : 0.0) - penalty;
                terminated[i] = goal;
            }
            case T_LEFT -> {
                boolean left = x <= LEFT_POSITION;
                rewards[i] = (left ? 100.0 : 0.0) - penalty;
                terminated[i] = left;
            }
            case T_HEIGHT -> {
                double h = Math.sin(3.0 * x), m = runningMax[i];
                if (m == Double.NEGATIVE_INFINITY) {
                    rewards[i] = h;
                    runningMax[i] = h;
                } else {
                    rewards[i] = Math.max(0.0, h - m);
                    runningMax[i] = Math.max(m, h);
                }
                terminated[i] = false;
            }
            default -> {
                rewards[i] = (Math.abs((double) v) - penalty) / SPEC.maxEpisodeSteps();
                terminated[i] = false;
            }
        }
    }

    /** Instance i's Gymnasium state {@code state[0]}: float64 right after reset, float32 after a step. */
    public double position(int i) { return fresh[i] ? resetPos[i] : pos[i]; }

    /** Instance i's Gymnasium state {@code state[1]}. */
    public double velocity(int i) { return fresh[i] ? 0.0 : vel[i]; }
}
