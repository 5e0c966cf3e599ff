package policyzip.env;

import java.util.Arrays;

/**
 * N instances of one environment stepped together, state kept as structure of arrays (DESIGN.md, Environments).
 *
 * <p>Semantics follow Gymnasium 1.3.0's vector envs: {@code terminated} (the MDP reached a terminal state) and
 * {@code truncated} (the time limit of {@link EnvSpec#maxEpisodeSteps()}) are kept apart; the time limit counts
 * steps since the instance's reset, as {@code TimeLimit} does; the {@link AutoresetMode} is explicit. Instance
 * i reset with seed s draws its initial state exactly as {@code env.reset(seed=s)} does (numpy's PCG64), and a
 * later autoreset continues that instance's stream; {@link #reset(long)} seeds instance i with s + i, as
 * Gymnasium's {@code vector_env.reset(seed=s)} does.
 *
 * <p>Buffers are owned by the env and overwritten by each call: {@link #obs()} [N, O], {@link #rewards()} [N],
 * {@link #terminated()} [N], {@link #truncated()} [N], {@link #finalObs()} [N, O]. Not thread-safe.
 *
 * <p>{@link #step} allocates nothing; besides the subclass's pass over the instances it makes one bookkeeping pass
 * (time limit, autoreset), and in NEXT_STEP mode one more to mark last step's finished instances in {@link #skip}.
 */
public abstract class VecEnv implements AutoCloseable {
    protected final EnvSpec spec;
    protected final String task;
    protected final int n;
    protected final AutoresetMode mode;
    protected final double[] obs, rewards, finalObs;
    protected final boolean[] terminated, truncated;
    /**
     * Instances the subclass must not advance this step: in DISABLED mode the finished (frozen) ones, in NEXT_STEP
     * mode the ones that ended last step and are reset by this one. Never set in SAME_STEP mode.
     */
    protected final boolean[] skip;
    private final int[] elapsed;
    private final boolean[] seeded;
    private final NumpyRandom[] rngs;
    /** Instances never reset; {@link #step} refuses to run while this is positive. */
    private int unseeded;

    /**
     * The task name that makes an env report every task of its spec in one pass: the dynamics are the same for all
     * tasks, so one trajectory serves them all until each task's own termination. Then {@link #taskRewards} and
     * {@link #taskTerminated} hold every task's reward and termination of this step, {@link #rewards()} the first
     * task's, and an instance terminates once every task has (truncation is common to all).
     */
    public static final String ALL_TASKS = "*";
    protected final boolean allTasks;
    /** ALL_TASKS mode: [T][N], this step's reward and termination per task (filled by the subclass, or by this class for one-task envs). */
    protected final double[][] taskRewards;
    protected final boolean[][] taskTerminated;
    private final boolean[][] taskEnded;

    protected VecEnv(EnvSpec spec, String task, int n, AutoresetMode mode) {
        if (n < 1) throw new IllegalArgumentException("number of env instances must be >= 1, got " + n);
        this.spec = spec;
        this.allTasks = ALL_TASKS.equals(task);
        this.task = allTasks ? ALL_TASKS : spec.checkTask(task);
        if (allTasks && spec.tasks().size() > 1 && !fillsTaskRewards()) {
            throw new IllegalArgumentException("env " + spec.name() + " cannot report all its tasks in one pass; step one task at a time");
        }
        int tasks = allTasks ? spec.tasks().size() : 0;
        taskRewards = new double[tasks][n];
        taskTerminated = new boolean[tasks][n];
        taskEnded = new boolean[tasks][n];
        this.n = n;
        this.mode = mode;
        obs = new double[n * spec.obsDim()];
        finalObs = new double[n * spec.obsDim()];
        rewards = new double[n];
        terminated = new boolean[n];
        truncated = new boolean[n];
        skip = new boolean[n];
        elapsed = new int[n];
        seeded = new boolean[n];
        rngs = new NumpyRandom[n];
        unseeded = n;
    }

    public EnvSpec spec() { return spec; }
    public String task() { return task; }
    public int size() { return n; }
    public AutoresetMode autoresetMode() { return mode; }

    /** Resets every instance, instance i with seed {@code seed + i}. */
    public final void reset(long seed) {
        for (int i = 0; i < n; i++) reset(i, seed + i);
    }

    /** Resets instance i with a fresh generator for {@code seed} (as {@code env.reset(seed=seed)}). */
    public final void reset(int i, long seed) {
        if (i < 0 || i >= n) throw new IndexOutOfBoundsException("instance " + i + " does not exist: this env has N=" + n + " instances (0.." + (n - 1) + ")");
        rngs[i] = new NumpyRandom(seed);
        if (!seeded[i]) {
            seeded[i] = true;
            unseeded--;
        }
        resetOne(i);
    }

    private void resetOne(int i) {
        resetInstance(i, rngs[i]);
        elapsed[i] = 0;
        skip[i] = false;
        terminated[i] = false;
        truncated[i] = false;
        rewards[i] = 0;
        for (int t = 0; t < taskEnded.length; t++) {
            taskEnded[t][i] = false;
            taskTerminated[t][i] = false;
            taskRewards[t][i] = 0;
        }
    }

    /** Whether the subclass fills {@link #taskRewards} and {@link #taskTerminated} itself in ALL_TASKS mode. */
    protected boolean fillsTaskRewards() { return false; }

    /** ALL_TASKS mode: this step's reward of task t (index into the spec's tasks), [N]. */
    public double[] taskRewards(int t) { return taskRewards[t]; }

    /** ALL_TASKS mode: whether task t's own termination condition held this step, [N]. */
    public boolean[] taskTerminated(int t) { return taskTerminated[t]; }

    /** Whether this env reports every task ({@link #ALL_TASKS}). */
    public boolean allTasks() { return allTasks; }

    /**
     * Steps every instance with actions [N, A] (float32, as Gymnasium's Box). Afterwards {@link #rewards()},
     * {@link #terminated()}, {@link #truncated()} and {@link #obs()} describe this step, per the autoreset mode.
     */
    public final void step(float[] actions) {
        int a = spec.actDim();
        if (actions.length != n * a) {
            throw new IllegalArgumentException("actions has " + actions.length + " floats; expected [N=" + n + ", A=" + a + "] = " + n * a);
        }
        if (unseeded > 0) {
            int i = 0;
            while (seeded[i]) i++;
            throw new IllegalStateException("instance " + i + " was never reset (" + unseeded + " of " + n + " are not): call reset(seed) before step");
        }
        if (mode == AutoresetMode.NEXT_STEP) {
            // The instances that ended last step sit this one out and are reset below (no allocation: skip marks them).
            for (int i = 0; i < n; i++) skip[i] = terminated[i] | truncated[i];
        }
        stepInstances(actions);
        if (allTasks) combineTasks();
        int limit = spec.maxEpisodeSteps();
        int o = spec.obsDim();
        for (int i = 0; i < n; i++) {
            if (skip[i]) {
                if (mode == AutoresetMode.NEXT_STEP) resetOne(i);
                else rewards[i] = 0; // DISABLED and already finished
                continue;
            }
            int e = ++elapsed[i];
            boolean trunc = e >= limit;
            truncated[i] = trunc;
            if (trunc | terminated[i]) {
                if (mode == AutoresetMode.SAME_STEP) {
                    System.arraycopy(obs, i * o, finalObs, i * o, o);
                    boolean term = terminated[i];
                    double r = rewards[i];
                    resetOne(i);
                    terminated[i] = term;
                    truncated[i] = trunc;
                    rewards[i] = r;
                } else if (mode == AutoresetMode.DISABLED) {
                    skip[i] = true;
                }
            }
        }
    }

    /** ALL_TASKS mode: an instance terminates once every task has; {@code rewards} is the first task's. */
    private void combineTasks() {
        boolean single = !fillsTaskRewards();
        for (int i = 0; i < n; i++) {
            if (skip[i]) continue;
            if (single) {
                taskRewards[0][i] = rewards[i];
                taskTerminated[0][i] = terminated[i];
            }
            boolean all = true;
            for (int t = 0; t < taskEnded.length; t++) all &= taskEnded[t][i] |= taskTerminated[t][i];
            terminated[i] = all;
            rewards[i] = taskRewards[0][i];
        }
    }

    /** Draws instance i's initial state from {@code rng} (Gymnasium's reset draws, in order) and writes its obs row. */
    protected abstract void resetInstance(int i, NumpyRandom rng);

    /**
     * Advances every instance with {@code !skip[i]} by one step under the task: sets its state, obs row,
     * {@code rewards[i]} and {@code terminated[i]}. Truncation and resets are the base class's.
     */
    protected abstract void stepInstances(float[] actions);

    /** Current observations [N, O]. */
    public double[] obs() { return obs; }
    public double[] rewards() { return rewards; }
    public boolean[] terminated() { return terminated; }
    public boolean[] truncated() { return truncated; }
    /** SAME_STEP mode: the last observation of episodes that ended this step [N, O]. */
    public double[] finalObs() { return finalObs; }
    /** Steps since instance i's last reset. */
    public int elapsed(int i) { return elapsed[i]; }
    /** DISABLED mode: whether instance i has finished and is frozen. */
    public boolean done(int i) { return skip[i]; }

    /** Copies observations into float32 [N, O] (what policies read). */
    public void obsAsFloat(float[] dst) {
        for (int i = 0; i < obs.length; i++) dst[i] = (float) obs[i];
    }

    @Override public void close() {}

    @Override public String toString() {
        return spec.id() + "[" + task + "] ×" + n + " (" + mode + ")" + (Arrays.equals(seeded, new boolean[n]) ? ", not reset" : "");
    }
}
