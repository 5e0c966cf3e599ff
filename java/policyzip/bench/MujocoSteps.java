package policyzip.bench;

import java.util.SplittableRandom;
import policyzip.env.AutoresetMode;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.env.MujocoEnv;
import policyzip.env.mujoco.MjData;

/**
 * A MuJoCo env's throughput, and the physics' own cost to compare it with ({@link Workloads} {@code env-<env>} and
 * {@code mjstep-<env>}): N instances × T steps per op with pre-drawn uniform random actions, on {@code threads}
 * threads.
 *
 * <ul>
 *   <li>{@code env-<env>}: {@link MujocoEnv#step} with NEXT_STEP autoreset (observations, rewards, terminations,
 *   resets with their noise draws: everything a user of the env gets).</li>
 *   <li>{@code mjstep-<env>}: the bare physics of the same run: per instance and step, write ctrl and call
 *   {@code mj_step} frame-skip times; where the env run reset an instance, {@code mj_resetData} and {@code mj_forward}
 *   instead. The reset instants are recorded from an env run with the same actions at set-up, so both workloads
 *   spend their time in the same kinds of states (Hopper falls and restarts every ~20 steps under random actions).</li>
 * </ul>
 * The ratio env/mjstep is the share of an env step that is physics.
 */
final class MujocoSteps implements Workload {
    private final String name, envName;
    private final boolean raw;
    private final int n, steps, threads;
    private final MujocoEnv env;
    private final MjData[] data;
    private final float[][] actions;
    private final boolean[][] resets; // raw: [T][N], instance reset instead of stepped at step t
    private final int frameSkip, nu;

    MujocoSteps(String name, String envName, boolean raw, int n, int steps, int threads) {
        this.name = name;
        this.envName = envName;
        this.raw = raw;
        this.n = n;
        this.steps = steps;
        this.threads = Math.max(1, threads);
        EnvSpec spec = Envs.spec(envName);
        nu = spec.actDim();
        SplittableRandom rng = new SplittableRandom(3);
        actions = new float[steps][n * nu];
        for (float[] a : actions) {
            for (int i = 0; i < a.length; i++) a[i] = (float) (spec.actionLow() + rng.nextDouble() * (spec.actionHigh() - spec.actionLow()));
        }
        env = ((MujocoEnv) Envs.make(envName, spec.defaultTask(), n, AutoresetMode.NEXT_STEP)).threads(this.threads);
        env.reset(0);
        frameSkip = (int) Math.round(env.dt() / env.model().timestep());
        if (raw) {
            resets = new boolean[steps][n];
            boolean[] ended = new boolean[n];
            for (int t = 0; t < steps; t++) {
                System.arraycopy(ended, 0, resets[t], 0, n);
                env.step(actions[t]);
                for (int i = 0; i < n; i++) ended[i] = env.terminated()[i] || env.truncated()[i];
            }
            data = new MjData[n];
            for (int i = 0; i < n; i++) {
                data[i] = env.model().makeData();
                data[i].forward();
            }
        } else {
            resets = null;
            data = null;
        }
    }

    @Override public String name() { return name; }
    @Override public String description() {
        return "N=" + n + " × " + steps + " steps of " + env.spec().id() + (raw ? ", bare mj_step × " + frameSkip : ", the env")
                + ", " + threads + " thread" + (threads == 1 ? "" : "s");
    }
    @Override public String unit() { return "env-steps/s"; }
    @Override public double itemsPerOp() { return (double) n * steps; }
    @Override public double flopsPerOp() { return 0; }

    @Override public void run() {
        if (!raw) {
            for (float[] a : actions) env.step(a);
            return;
        }
        for (int t = 0; t < steps; t++) {
            final int step = t;
            MujocoEnv.forEachInstance(n, threads, i -> rawStep(i, step));
        }
    }

    private void rawStep(int i, int t) {
        MjData d = data[i];
        if (resets[t][i]) {
            d.reset();
            d.forward();
            return;
        }
        float[] a = actions[t];
        for (int j = 0; j < nu; j++) d.ctrl(j, a[i * nu + j]);
        for (int s = 0; s < frameSkip; s++) d.step();
    }

    @Override public void verify() {
        run();
        if (raw) {
            for (MjData d : data) {
                if (!Double.isFinite(d.qpos(0))) throw new IllegalStateException(name + ": non-finite state after stepping");
            }
        } else {
            for (double v : env.obs()) {
                if (!Double.isFinite(v)) throw new IllegalStateException(name + ": non-finite observation after stepping " + envName);
            }
        }
    }

    @Override public void close() {
        if (data != null) for (MjData d : data) d.close();
        env.close();
    }
}
