package policyzip.env;

import java.util.List;
import policyzip.env.mujoco.MjData;

/**
 * Hopper-v5 (Gymnasium 1.3.0, default arguments; ENVS.md section 7) on MuJoCo, with SPEC.md section 3's tasks.
 *
 * <p>qpos = (rootx, rootz, rooty, thigh, leg, foot), frame skip 4 (dt 0.008). Observation (11) = qpos[1:] and
 * {@code clip(qvel, -10, 10)}. Healthy (after the step) when every one of qpos[2:] and the <em>unclipped</em> qvel is
 * strictly inside (−100, 100), {@code 0.7 < z} and {@code −0.2 < angle < 0.2}; unhealthy terminates (every task).
 * Reset: {@code qpos = init + U(−5e-3, 5e-3, 6)}, then {@code qvel = U(−5e-3, 5e-3, 6)}.
 *
 * <p>Tasks (x and z velocities are position differences over dt; the control cost is float32
 * {@code f32(1e-3)·Σ a²}; the healthy reward is 1 only while healthy):
 * <ul>
 *   <li>{@code forward}: Gymnasium's reward, {@code (v_x + healthy) − ctrl};</li>
 *   <li>{@code backward}: {@code (−v_x + healthy) − ctrl};</li>
 *   <li>{@code jump}: {@code (max(0, v_z) + healthy) − ctrl}, the torso's upward velocity.</li>
 * </ul>
 */
public final class HopperEnv extends MujocoEnv {
    public static final EnvSpec SPEC = new EnvSpec("Hopper-v5", "hopper", 11, 3, -1f, 1f, 1000,
            null, null, List.of("forward", "backward", "jump"), 1f);
    private static final double NOISE = 5e-3;
    private static final float CTRL_WEIGHT = 1e-3f;
    private final int taskId;

    public HopperEnv(String task, int n, AutoresetMode mode) {
        super(SPEC, task, n, mode, "hopper.xml", 4);
        taskId = allTasks ? -1 : SPEC.tasks().indexOf(this.task);
    }

    @Override
    protected void drawReset(int i, NumpyRandom rng, double[] qpos, double[] qvel) {
        uniformNoise(rng, NOISE, qpos, qvel);
    }

    @Override
    protected void observe(int i, MjData d) {
        int o = i * 11;
        for (int j = 1; j < 6; j++) obs[o + j - 1] = d.qpos(j);
        for (int j = 0; j < 6; j++) obs[o + 5 + j] = Math.min(Math.max(d.qvel(j), -10.0), 10.0);
    }

    @Override protected boolean fillsTaskRewards() { return true; }

    @Override
    protected void reward(int i, MjData d, float[] actions, int aOff) {
        boolean healthy = healthy(d);
        double healthyReward = healthy ? 1.0 : 0.0;
        double ctrl = CTRL_WEIGHT * sumOfSquares(actions, aOff, 3);
        int b = i * nq;
        double vx = (d.qpos(0) - qposBefore[b]) / dt;
        if (allTasks) {
            double vz = (d.qpos(1) - qposBefore[b + 1]) / dt;
            for (int t = 0; t < 3; t++) {
                taskRewards[t][i] = task(t, vx, vz, healthyReward, ctrl);
                taskTerminated[t][i] = !healthy;
            }
        } else {
            double vz = taskId == 2 ? (d.qpos(1) - qposBefore[b + 1]) / dt : 0;
            rewards[i] = task(taskId, vx, vz, healthyReward, ctrl);
            terminated[i] = !healthy;
        }
    }

    private static double task(int t, double vx, double vz, double healthy, double ctrl) {
        return switch (t) {
            case 0 -> (vx + healthy) - ctrl;
            case 1 -> (-vx + healthy) - ctrl;
            default -> (Math.max(0.0, vz) + healthy) - ctrl;
        };
    }

    /** Gymnasium's {@code is_healthy} with the v5 defaults (NaN anywhere is unhealthy). */
    private boolean healthy(MjData d) {
        for (int j = 2; j < nq; j++) {
            double s = d.qpos(j);
            if (!(-100.0 < s && s < 100.0)) return false;
        }
        for (int j = 0; j < nv; j++) {
            double s = d.qvel(j);
            if (!(-100.0 < s && s < 100.0)) return false;
        }
        double z = d.qpos(1), angle = d.qpos(2);
        return 0.7 < z && z < Double.POSITIVE_INFINITY && -0.2 < angle && angle < 0.2;
    }
}
