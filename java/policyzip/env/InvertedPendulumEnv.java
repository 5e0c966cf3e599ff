package policyzip.env;

import java.util.List;
import policyzip.env.mujoco.MjData;

/**
 * InvertedPendulum-v5 (Gymnasium 1.3.0, default arguments; ENVS.md section 4) on MuJoCo. qpos = (cart x, pole
 * angle), frame skip 2 (dt 0.04). Observation (4) = qpos and qvel. Terminated when an observation is not finite or
 * {@code |angle| > 0.2}; reward 1 while not terminated, 0 on the terminating step (v5). Reset:
 * {@code qpos = init + U(−0.01, 0.01, 2)}, then {@code qvel = init + U(−0.01, 0.01, 2)}. Actions in [−3, 3]. One
 * task, {@code balance}.
 */
public final class InvertedPendulumEnv extends MujocoEnv {
    public static final EnvSpec SPEC = new EnvSpec("InvertedPendulum-v5", "invertedpendulum", 4, 1, -3f, 3f, 1000,
            null, null, List.of("balance"), 3f);
    private static final double NOISE = 0.01;

    public InvertedPendulumEnv(String task, int n, AutoresetMode mode) {
        super(SPEC, task, n, mode, "inverted_pendulum.xml", 2);
    }

    @Override
    protected void drawReset(int i, NumpyRandom rng, double[] qpos, double[] qvel) {
        uniformNoise(rng, NOISE, qpos, qvel);
    }

    @Override
    protected void observe(int i, MjData d) {
        int o = i * 4;
        obs[o] = d.qpos(0);
        obs[o + 1] = d.qpos(1);
        obs[o + 2] = d.qvel(0);
        obs[o + 3] = d.qvel(1);
    }

    @Override
    protected void reward(int i, MjData d, float[] actions, int aOff) {
        int o = i * 4;
        boolean finite = true;
        for (int j = 0; j < 4; j++) finite &= Double.isFinite(obs[o + j]);
        boolean term = !finite || Math.abs(obs[o + 1]) > 0.2;
        rewards[i] = term ? 0.0 : 1.0;
        terminated[i] = term;
    }
}
