package policyzip.env;

import java.util.List;
import policyzip.env.mujoco.MjData;

/**
 * Swimmer-v5 (Gymnasium 1.3.0, default arguments; ENVS.md section 6) on MuJoCo. qpos = (slider x, slider y, free
 * body rotation, motor1, motor2), frame skip 4 (dt 0.04). Observation (8) = qpos[2:] and qvel. Reward
 * {@code v_x − f32(1e-4)·Σ a²} (float32 cost); never terminates. Reset: {@code qpos = init + U(−0.1, 0.1, 5)}, then
 * {@code qvel = init + U(−0.1, 0.1, 5)}. One task, {@code forward}.
 */
public final class SwimmerEnv extends MujocoEnv {
    public static final EnvSpec SPEC = new EnvSpec("Swimmer-v5", "swimmer", 8, 2, -1f, 1f, 1000,
            null, null, List.of("forward"), 1f);
    private static final double NOISE = 0.1;
    private static final float CTRL_WEIGHT = 1e-4f;

    public SwimmerEnv(String task, int n, AutoresetMode mode) {
        super(SPEC, task, n, mode, "swimmer.xml", 4);
    }

    @Override
    protected void drawReset(int i, NumpyRandom rng, double[] qpos, double[] qvel) {
        uniformNoise(rng, NOISE, qpos, qvel);
    }

    @Override
    protected void observe(int i, MjData d) {
        int o = i * 8;
        for (int j = 2; j < 5; j++) obs[o + j - 2] = d.qpos(j);
        for (int j = 0; j < 5; j++) obs[o + 3 + j] = d.qvel(j);
    }

    @Override
    protected void reward(int i, MjData d, float[] actions, int aOff) {
        double vx = (d.qpos(0) - qposBefore[i * nq]) / dt;
        rewards[i] = vx - CTRL_WEIGHT * sumOfSquares(actions, aOff, 2);
        terminated[i] = false;
    }
}
