package policyzip.env;

import java.util.List;
import policyzip.env.mujoco.MjData;

/**
 * HalfCheetah-v5 (Gymnasium 1.3.0, default arguments; ENVS.md section 8) on MuJoCo, with SPEC.md section 3's tasks.
 *
 * <p>qpos = (rootx, rootz, rooty, bthigh, bshin, bfoot, fthigh, fshin, ffoot), frame skip 5 (dt 0.05, Euler).
 * Observation (17) = qpos[1:] and qvel. Never terminates. Reset: {@code qpos = init + U(−0.1, 0.1, 9)}, then
 * {@code qvel = init + 0.1·standard_normal(9)} (numpy's ziggurat, {@link NumpyRandom#standardNormal}).
 *
 * <p>Tasks (velocities are position differences over dt; control cost float32 {@code f32(0.1)·Σ a²}):
 * <ul>
 *   <li>{@code forward}: Gymnasium's reward, {@code v_x − ctrl};</li>
 *   <li>{@code backward}: {@code −v_x − ctrl};</li>
 *   <li>{@code frontflip}: {@code ω − ctrl}, ω the rate of the root's rotation about +y ({@code rooty});</li>
 *   <li>{@code backflip}: {@code −ω − ctrl}.</li>
 * </ul>
 * The cheetah faces +x and a positive rotation about +y turns +x towards −z, so ω &gt; 0 is nose-down: a front flip.
 * (SPEC.md writes "∓ angular velocity" for frontflip/backflip; this is the sign its geometry gives.)
 */
public final class HalfCheetahEnv extends MujocoEnv {
    public static final EnvSpec SPEC = new EnvSpec("HalfCheetah-v5", "halfcheetah", 17, 6, -1f, 1f, 1000,
            null, null, List.of("forward", "backward", "frontflip", "backflip"), 1f);
    private static final double NOISE = 0.1;
    private static final float CTRL_WEIGHT = 0.1f;
    private final int taskId;

    public HalfCheetahEnv(String task, int n, AutoresetMode mode) {
        super(SPEC, task, n, mode, "half_cheetah.xml", 5);
        taskId = allTasks ? -1 : SPEC.tasks().indexOf(this.task);
    }

    @Override
    protected void drawReset(int i, NumpyRandom rng, double[] qpos, double[] qvel) {
        for (int j = 0; j < nq; j++) qpos[j] = initQpos[j] + rng.uniform(-NOISE, NOISE);
        for (int j = 0; j < nv; j++) qvel[j] = initQvel[j] + NOISE * rng.standardNormal();
    }

    @Override
    protected void observe(int i, MjData d) {
        int o = i * 17;
        for (int j = 1; j < 9; j++) obs[o + j - 1] = d.qpos(j);
        for (int j = 0; j < 9; j++) obs[o + 8 + j] = d.qvel(j);
    }

    @Override protected boolean fillsTaskRewards() { return true; }

    @Override
    protected void reward(int i, MjData d, float[] actions, int aOff) {
        double ctrl = CTRL_WEIGHT * sumOfSquares(actions, aOff, 6);
        int b = i * nq;
        double vx = (d.qpos(0) - qposBefore[b]) / dt;
        double w = (d.qpos(2) - qposBefore[b + 2]) / dt;
        if (allTasks) {
            for (int t = 0; t < 4; t++) {
                taskRewards[t][i] = task(t, vx, w, ctrl);
                taskTerminated[t][i] = false;
            }
        } else {
            rewards[i] = task(taskId, vx, w, ctrl);
            terminated[i] = false;
        }
    }

    private static double task(int t, double vx, double w, double ctrl) {
        return switch (t) {
            case 0 -> vx - ctrl;
            case 1 -> -vx - ctrl;
            case 2 -> w - ctrl;
            default -> -w - ctrl;
        };
    }
}
