package policyzip.env;

import java.util.List;
import policyzip.env.mujoco.MjData;

/**
 * Reacher-v5 (Gymnasium 1.3.0, default arguments; ENVS.md section 5) on MuJoCo, with SPEC.md section 3's tasks.
 *
 * <p>qpos = (joint0, joint1, target x, target y), frame skip 2 (dt 0.02). Observation (10) = cos and sin of the two
 * arm angles, the target position, the arm's joint velocities and the first two coordinates of fingertip − target.
 * Reward {@code −‖fingertip − target‖ − Σ a²} (the control sum in float32), computed after the step; never
 * terminates. The fingertip position is the one MuJoCo computed during the last RK4 stage of the last substep,
 * not at the returned state: Gymnasium reads it the same way, and reading it from MuJoCo here gives exactly that.
 *
 * <p>Reset, in Gymnasium's draw order: {@code qpos = U(−0.1, 0.1, 4) + init}; a goal {@code U(−0.2, 0.2, 2)} drawn
 * again until {@code ‖goal‖ < 0.2}; {@code qvel = init + U(−0.005, 0.005, 4)} with the target's two velocities zeroed.
 * Tasks: {@code target} puts the target at that goal (Gymnasium's env); {@code reach-ne}, {@code reach-nw},
 * {@code reach-sw} and {@code reach-se} make the same draws (so the arm starts alike) but put the target at
 * (0.1, 0.1), (−0.1, 0.1), (−0.1, −0.1) and (0.1, −0.1). The target is part of the observation, so each task is its
 * own trajectory: this env does not run all tasks in one pass.
 */
public final class ReacherEnv extends MujocoEnv {
    public static final EnvSpec SPEC = new EnvSpec("Reacher-v5", "reacher", 10, 2, -1f, 1f, 50,
            null, null, List.of("target", "reach-ne", "reach-nw", "reach-sw", "reach-se"), 1f);
    private static final double[][] FIXED = {null, {0.1, 0.1}, {-0.1, 0.1}, {-0.1, -0.1}, {0.1, -0.1}};
    private final double[] fixedTarget;
    private final int fingertip, target;

    public ReacherEnv(String task, int n, AutoresetMode mode) {
        super(SPEC, task, n, mode, "reacher.xml", 2);
        fixedTarget = FIXED[SPEC.tasks().indexOf(this.task)];
        fingertip = model.bodyId("fingertip");
        target = model.bodyId("target");
    }

    @Override
    protected void drawReset(int i, NumpyRandom rng, double[] qpos, double[] qvel) {
        for (int j = 0; j < nq; j++) qpos[j] = rng.uniform(-0.1, 0.1) + initQpos[j];
        double gx, gy;
        do {
            gx = rng.uniform(-0.2, 0.2);
            gy = rng.uniform(-0.2, 0.2);
        } while (!(Math.sqrt(gx * gx + gy * gy) < 0.2));
        qpos[2] = fixedTarget == null ? gx : fixedTarget[0];
        qpos[3] = fixedTarget == null ? gy : fixedTarget[1];
        for (int j = 0; j < nv; j++) qvel[j] = initQvel[j] + rng.uniform(-0.005, 0.005);
        qvel[2] = 0;
        qvel[3] = 0;
    }

    @Override
    protected void observe(int i, MjData d) {
        int o = i * 10;
        double q0 = d.qpos(0), q1 = d.qpos(1);
        obs[o] = Math.cos(q0);
        obs[o + 1] = Math.cos(q1);
        obs[o + 2] = Math.sin(q0);
        obs[o + 3] = Math.sin(q1);
        obs[o + 4] = d.qpos(2);
        obs[o + 5] = d.qpos(3);
        obs[o + 6] = d.qvel(0);
        obs[o + 7] = d.qvel(1);
        obs[o + 8] = d.xpos(fingertip, 0) - d.xpos(target, 0);
        obs[o + 9] = d.xpos(fingertip, 1) - d.xpos(target, 1);
    }

    @Override
    protected void reward(int i, MjData d, float[] actions, int aOff) {
        double dx = d.xpos(fingertip, 0) - d.xpos(target, 0);
        double dy = d.xpos(fingertip, 1) - d.xpos(target, 1);
        double dz = d.xpos(fingertip, 2) - d.xpos(target, 2);
        double dist = Math.sqrt(dx * dx + dy * dy + dz * dz);
        float ctrl = -sumOfSquares(actions, aOff, 2);
        rewards[i] = -dist + ctrl;
        terminated[i] = false;
    }
}
