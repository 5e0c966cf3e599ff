package policyzip.env;

import java.util.function.IntConsumer;
import java.util.stream.IntStream;
import policyzip.env.mujoco.MjData;
import policyzip.env.mujoco.MjModel;
import policyzip.env.mujoco.MujocoLibrary;

/**
 * The machinery Gymnasium's {@code MujocoEnv} shares between its v5 environments (ENVS.md section 3), over N
 * instances: one {@code mjData} per instance on one shared, read-only {@code mjModel} per env kind.
 *
 * <p><b>Reset</b> is {@code mj_resetData}, the subclass's noise draws in Gymnasium's order ({@link #drawReset}), then
 * {@code set_state}: copy qpos and qvel, {@code mj_forward}. <b>Step</b> writes the float32 action widened to double
 * into {@code ctrl}, runs {@code mj_step} frame-skip times, and lets the subclass read observation and reward; derived
 * quantities such as body positions are therefore those of the last evaluation inside the last substep, as in
 * Gymnasium (Reacher's "stale" fingertip). The control costs are float32 computations, as numpy does them
 * ({@link #sumOfSquares}).
 *
 * <p><b>Threads.</b> With {@link #threads(int) threads} above 1, a step advances fixed chunks of instances
 * concurrently on the common fork-join pool (or on the pool of the calling fork-join worker); instances are
 * independent, so results do not depend on the thread count. Envs made by {@link Envs#make} start with one thread,
 * because the rollout engine already runs one env per thread.
 *
 * <p>{@link #close()} frees every {@code mjData}; a closed env cannot step.
 */
public abstract class MujocoEnv extends VecEnv {
    protected final MjModel model;
    protected final MjData[] data;
    protected final int frameSkip;
    /** {@code model.opt.timestep * frame_skip} (double product, as Gymnasium's {@code dt}). */
    protected final double dt;
    protected final double[] initQpos, initQvel;
    /** [N, nq]: each instance's qpos just before the current step. */
    protected final double[] qposBefore;
    private final double[] resetQpos, resetQvel;
    protected final int nq, nv, nu;
    private int threads = 1;
    private boolean closed;

    protected MujocoEnv(EnvSpec spec, String task, int n, AutoresetMode mode, String xml, int frameSkip) {
        super(spec, task, n, mode);
        this.model = MujocoLibrary.get().model(xml);
        this.frameSkip = frameSkip;
        this.dt = model.timestep() * frameSkip;
        nq = model.nq();
        nv = model.nv();
        nu = model.nu();
        if (nu != spec.actDim()) {
            throw new IllegalStateException(xml + " has " + nu + " actuators but " + spec.id() + " takes " + spec.actDim() + " actions: wrong model file");
        }
        data = new MjData[n];
        try {
            for (int i = 0; i < n; i++) data[i] = model.makeData();
        } catch (RuntimeException | Error e) {
            closeData();
            throw e;
        }
        initQpos = new double[nq];
        initQvel = new double[nv];
        for (int j = 0; j < nq; j++) initQpos[j] = data[0].qpos(j);
        for (int j = 0; j < nv; j++) initQvel[j] = data[0].qvel(j);
        qposBefore = new double[n * nq];
        resetQpos = new double[nq];
        resetQvel = new double[nv];
    }

    /** Steps instances on up to {@code threads} threads (1: on the caller only). Returns this env. */
    public MujocoEnv threads(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1, got " + threads);
        this.threads = threads;
        return this;
    }

    public int threads() { return threads; }
    public MjModel model() { return model; }
    public double dt() { return dt; }

    /**
     * Fills {@code qpos} [nq] and {@code qvel} [nv] with instance i's initial state, drawing the reset noise from
     * {@code rng} in Gymnasium's order ({@code reset_model}).
     */
    protected abstract void drawReset(int i, NumpyRandom rng, double[] qpos, double[] qvel);

    /** Writes instance i's observation row from {@code d} into {@link #obs} at {@code i * obsDim}. */
    protected abstract void observe(int i, MjData d);

    /**
     * Sets {@code rewards[i]} and {@code terminated[i]} (and in ALL_TASKS mode every task's) for the step just taken
     * by instance i under action row {@code actions[aOff .. aOff + nu)}; {@link #qposBefore} holds the state before
     * the step at {@code i * nq}. Called after {@link #observe}.
     */
    protected abstract void reward(int i, MjData d, float[] actions, int aOff);

    @Override
    protected final void resetInstance(int i, NumpyRandom rng) {
        checkOpen();
        data[i].reset();
        drawReset(i, rng, resetQpos, resetQvel);
        setState(i, resetQpos, resetQvel);
    }

    /**
     * Gymnasium's {@code set_state}: copies {@code qpos} [nq] and {@code qvel} [nv] into instance i, runs
     * {@code mj_forward} and writes its observation row (used after a reset, or to start from a recorded state).
     */
    public void setState(int i, double[] qpos, double[] qvel) {
        checkOpen();
        if (qpos.length != nq || qvel.length != nv) {
            throw new IllegalArgumentException(spec.id() + " state is qpos[" + nq + "], qvel[" + nv + "]; got qpos[" + qpos.length + "], qvel[" + qvel.length + "]");
        }
        MjData d = data[i];
        for (int j = 0; j < nq; j++) d.qpos(j, qpos[j]);
        for (int j = 0; j < nv; j++) d.qvel(j, qvel[j]);
        d.forward();
        observe(i, d);
    }

    /** Instance i's current qpos [nq] and qvel [nv], copied into the arrays given. */
    public void getState(int i, double[] qpos, double[] qvel) {
        checkOpen();
        MjData d = data[i];
        for (int j = 0; j < nq; j++) qpos[j] = d.qpos(j);
        for (int j = 0; j < nv; j++) qvel[j] = d.qvel(j);
    }

    @Override
    protected final void stepInstances(float[] actions) {
        checkOpen();
        if (threads <= 1 || n == 1) {
            for (int i = 0; i < n; i++) stepOne(i, actions); // no capturing lambda: a one-thread step allocates nothing
        } else {
            forEachInstance(n, threads, i -> stepOne(i, actions));
        }
    }

    /**
     * Runs {@code body} for instances 0..n−1: on the caller when {@code threads} is 1, else in {@code threads} fixed
     * chunks on the fork-join pool. The split does not change results (instances are independent) and bounds
     * concurrency.
     */
    public static void forEachInstance(int n, int threads, IntConsumer body) {
        int t = Math.min(threads, n);
        if (t <= 1) {
            for (int i = 0; i < n; i++) body.accept(i);
            return;
        }
        int chunk = (n + t - 1) / t;
        IntStream.range(0, t).parallel().forEach(c -> {
            for (int i = c * chunk, end = Math.min(n, i + chunk); i < end; i++) body.accept(i);
        });
    }

    private void stepOne(int i, float[] actions) {
        if (skip[i]) return;
        MjData d = data[i];
        int aOff = i * nu;
        for (int j = 0; j < nu; j++) d.ctrl(j, actions[aOff + j]);
        int b = i * nq;
        for (int j = 0; j < nq; j++) qposBefore[b + j] = d.qpos(j);
        for (int s = 0; s < frameSkip; s++) d.step();
        observe(i, d);
        reward(i, d, actions, aOff);
    }

    /**
     * The reset most v5 envs share: {@code qpos = init_qpos + U(−noise, noise, nq)}, then
     * {@code qvel = init_qvel + U(−noise, noise, nv)}, drawn in that order.
     */
    protected final void uniformNoise(NumpyRandom rng, double noise, double[] qpos, double[] qvel) {
        for (int j = 0; j < nq; j++) qpos[j] = initQpos[j] + rng.uniform(-noise, noise);
        for (int j = 0; j < nv; j++) qvel[j] = initQvel[j] + rng.uniform(-noise, noise);
    }

    /** numpy's {@code np.sum(np.square(a))} over a float32 action row: each square and the running sum in float32. */
    protected static float sumOfSquares(float[] a, int off, int len) {
        float s = 0f;
        for (int j = 0; j < len; j++) s += a[off + j] * a[off + j];
        return s;
    }

    private void checkOpen() {
        if (closed) throw new IllegalStateException(spec.id() + " env was closed");
    }

    private void closeData() {
        for (int i = 0; i < data.length; i++) {
            if (data[i] != null) data[i].close();
            data[i] = null;
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        closeData();
    }
}
