package policyzip.rollout;

import it.unimi.dsi.fastutil.floats.FloatArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.env.AutoresetMode;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.env.VecEnv;
import policyzip.policy.MlpSpec;

/**
 * Evaluates B deterministic policies × E episodes on one env task through a {@link Backend} (DESIGN.md, rollout).
 *
 * <p>Policy b's episode e starts from {@code reset(seed + e)}: every policy meets the same E initial states (common
 * random numbers, so returns compare policies rather than luck). The B policies are split into groups of
 * {@link Backend#preferredPolicyGroup} (on the CPU, groups whose parameters stay in cache across steps; on a GPU,
 * one group); groups run concurrently on {@link Backend#concurrentCallers} threads, each with its own {@link VecEnv}
 * of group·E instances (instance {@code b·E + e}). Each step, a group's observations go through one batched forward
 * with {@link StateLayout#PER_POLICY} states [b, M = E, O], and the actions [b, E, A] drive its env. An episode ends
 * at its first terminated or truncated step; finished instances are frozen ({@link AutoresetMode#DISABLED}) and a
 * group stops when all its episodes have. Groups are independent, so the result does not depend on the threads.
 *
 * <p>Optionally keeps the observations the policies acted on (every {@code stateStride}-th step of every running
 * episode), float32 [S, O], in group order then step order: the state buffers dataset generation and training draw
 * from.
 *
 * <p>One {@code run} at a time per instance.
 */
public final class Rollout {
    /** Progress: {@code done} of {@code total} instance-steps, an episode that ends early counting its remaining steps. */
    @FunctionalInterface
    public interface Listener {
        void onProgress(long done, long total);
    }

    private final Backend backend;
    private final EnvSpec env;
    private final MlpSpec mlp;

    /** Rollouts of policies shaped {@code mlp} on env {@code envName} (a name {@link Envs#spec} knows). */
    public Rollout(Backend backend, String envName, MlpSpec mlp) {
        this.backend = backend;
        this.env = Envs.spec(envName);
        this.mlp = mlp;
        if (mlp.obsDim() != env.obsDim() || mlp.actDim() != env.actDim()) {
            throw new IllegalArgumentException("policy " + mlp.describe() + " does not fit " + env.id() + ": it needs obs "
                    + env.obsDim() + " and action " + env.actDim() + ", the policy has " + mlp.obsDim() + " and " + mlp.actDim());
        }
    }

    public EnvSpec env() { return env; }
    public MlpSpec mlp() { return mlp; }

    /**
     * Policies of {@code paramCount} parameters per batch of rollouts: as many as 1,024, {@code maxFloats} of θ and a
     * sixteenth of the heap allow (a caller holds two such arrays at most), at least 1. Each env step is one forward
     * of the whole batch: on a GPU one launch, whose cost hardly grows with it; the CPU backend groups a batch for its
     * cache itself ({@link Backend#preferredPolicyGroup}).
     */
    public static int batchFor(int paramCount, long maxFloats) {
        long heapFloats = Runtime.getRuntime().maxMemory() / 16 / Float.BYTES;
        return (int) Math.max(1, Math.min(1024, Math.min(maxFloats, heapFloats) / paramCount));
    }

    /**
     * Runs B = {@code batch} policies, θ [B, P] row-major in {@code thetas}, for E = {@code episodes} each on
     * {@code task}. {@code stateStride} 0 keeps no states. {@code listener} may be null; it is called from worker
     * threads, one call at a time.
     */
    public RolloutResult run(float[] thetas, int batch, String task, int episodes, long seed, int stateStride, Listener listener) {
        env.checkTask(task);
        return runTasks(host(thetas, batch), batch, task, episodes, seed, stateStride, listener)[0];
    }

    /**
     * {@link #run} on every task of the env, in the env's order, from one pass over the trajectories where the env
     * can report all its tasks at once ({@link VecEnv#ALL_TASKS}): each task's return stops at its own first
     * termination or truncation, exactly as in a separate run. Each result's {@code envSteps} and {@code seconds} are
     * those of the shared pass. Envs whose tasks change the observation (Reacher) get one pass per task.
     */
    public Map<String, RolloutResult> runAllTasks(float[] thetas, int batch, int episodes, long seed, Listener listener) {
        return runAllTasks(host(thetas, batch), batch, episodes, seed, listener);
    }

    /**
     * {@link #runAllTasks(float[], int, int, long, Listener)} with θ [B, P] already on this rollout's backend (from seeds
     * by {@code PolicyRefs.load}, say): each group reads a slice of it, so θ neither crosses the bus nor is copied.
     * The caller vouches that θ is finite (the host variant checks).
     */
    public Map<String, RolloutResult> runAllTasks(Buffer thetas, int batch, int episodes, long seed, Listener listener) {
        long want = (long) batch * mlp.paramCount();
        if (batch < 1 || thetas.length() != want) {
            throw new IllegalArgumentException("thetas has " + thetas.length() + " floats; expected [B=" + batch + ", P=" + mlp.paramCount()
                    + "] = " + want);
        }
        int p = mlp.paramCount();
        return runAllTasks((b0, gb) -> thetas.slice(b0 * p, gb * p), batch, episodes, seed, listener);
    }

    /** Where a group's θ comes from: a buffer on the backend that the group closes after its rollout. */
    @FunctionalInterface
    private interface Thetas {
        Buffer open(int b0, int gb);
    }

    /** Host θ [B, P], checked (shape, finiteness), uploaded group by group. */
    private Thetas host(float[] thetas, int batch) {
        long p = mlp.paramCount();
        if (batch >= 1 && thetas.length != batch * p) {
            throw new IllegalArgumentException("thetas has " + thetas.length + " floats; expected [B=" + batch + ", P=" + p + "] = " + batch * p);
        }
        for (int i = 0; i < thetas.length; i++) {
            if (!Float.isFinite(thetas[i])) {
                throw new IllegalArgumentException("policy " + i / p + " has a non-finite parameter (index " + i % p + " = " + thetas[i] + ")");
            }
        }
        int pi = (int) p;
        return (b0, gb) -> backend.upload(thetas, b0 * pi, gb * pi);
    }

    private Map<String, RolloutResult> runAllTasks(Thetas thetas, int batch, int episodes, long seed, Listener listener) {
        Map<String, RolloutResult> out = new LinkedHashMap<>();
        if (Envs.allTasksInOnePass(env.name())) {
            for (RolloutResult x : runTasks(thetas, batch, VecEnv.ALL_TASKS, episodes, seed, 0, listener)) out.put(x.task(), x);
        } else {
            // The task changes what the policy sees (Reacher's target): one pass per task, progress summed over them.
            int tasks = env.tasks().size();
            long[] finished = {0, 0}; // steps of the tasks already run, and the last total reported
            Listener l = listener == null ? null : (done, total) -> {
                finished[1] = total;
                listener.onProgress(finished[0] + done, total * tasks);
            };
            for (int t = 0; t < tasks; t++) {
                RolloutResult r = runTasks(thetas, batch, env.tasks().get(t), episodes, seed, 0, l)[0];
                out.put(r.task(), r);
                finished[0] += finished[1];
            }
        }
        return out;
    }

    /**
     * {@link #run} with Gaussian policies: the action of policy b is {@code π_{θ_b}(s) + σ_b ⊙ ε}, ε standard normal, and
     * the env receives it as it is (envs clip to their action box themselves). σ is [B, A]. ε of instance j = b·E + e at
     * step t, coordinate a, is {@code PolicyInit.gaussian(mix64(noiseSeed + (j + 1)·φ), t·A + a)}: counter-based, so the
     * result does not depend on the threads. Records what a policy-gradient estimate needs ({@link Trajectories}).
     */
    public Trajectories runGaussian(float[] thetas, int batch, String task, int episodes, long seed, float[] sigma, long noiseSeed,
                                    Listener listener) {
        env.checkTask(task);
        int a = env.actDim();
        if (sigma.length != (long) batch * a) {
            throw new IllegalArgumentException("sigma has " + sigma.length + " floats; expected [B=" + batch + ", A=" + a + "] = " + (long) batch * a);
        }
        for (float v : sigma) {
            if (!(v >= 0) || !Float.isFinite(v)) throw new IllegalArgumentException("action sigma must be finite and >= 0, got " + v);
        }
        int n = Math.multiplyExact(batch, episodes), t = env.maxEpisodeSteps();
        Trajectories.Recorder rec = new Trajectories.Recorder(sigma, noiseSeed, episodes, a, env.obsDim(), n, t);
        RolloutResult r = runTasks(host(thetas, batch), batch, task, episodes, seed, 0, listener, rec)[0];
        return rec.finish(r);
    }

    private RolloutResult[] runTasks(Thetas thetas, int batch, String task, int episodes, long seed, int stateStride, Listener listener) {
        return runTasks(thetas, batch, task, episodes, seed, stateStride, listener, null);
    }

    private RolloutResult[] runTasks(Thetas thetas, int batch, String task, int episodes, long seed, int stateStride, Listener listener,
                                     Trajectories.Recorder rec) {
        if (batch < 1 || episodes < 1) {
            throw new IllegalArgumentException("need at least one policy and one episode, got B=" + batch + ", E=" + episodes);
        }
        if (stateStride < 0) throw new IllegalArgumentException("state stride must be >= 0, got " + stateStride);
        boolean all = VecEnv.ALL_TASKS.equals(task);
        int tasks = all ? env.tasks().size() : 1;
        int n = Math.multiplyExact(batch, episodes);
        long started = System.nanoTime();
        double[][] returns = new double[tasks][n];
        int[][] lengths = new int[tasks][n];
        int group = (int) Math.max(1, Math.min(batch, backend.preferredPolicyGroup(mlp, episodes)));
        int groups = (batch + group - 1) / group;
        FloatArrayList[] kept = new FloatArrayList[groups];
        long[] steps = new long[groups];
        Progress progress = new Progress(listener, (long) n * env.maxEpisodeSteps());
        int threads = Math.max(1, Math.min(groups, backend.concurrentCallers()));
        java.util.function.IntConsumer one = gi -> {
            int b0 = gi * group, gb = Math.min(group, batch - b0);
            FloatArrayList states = stateStride > 0 ? new FloatArrayList() : null;
            steps[gi] = runGroup(thetas, b0, gb, task, episodes, seed, stateStride, states, returns, lengths, progress, rec);
            kept[gi] = states;
        };
        if (threads == 1) {
            for (int gi = 0; gi < groups; gi++) one.accept(gi);
        } else {
            ForkJoinPool pool = new ForkJoinPool(threads);
            try {
                pool.submit(() -> IntStream.range(0, groups).parallel().forEach(one)).join();
            } finally {
                pool.shutdown();
            }
        }
        long envSteps = 0;
        for (long s : steps) envSteps += s;
        float[] states = new float[0];
        if (stateStride > 0) {
            FloatArrayList list = new FloatArrayList();
            for (FloatArrayList k : kept) list.addAll(k);
            states = list.toFloatArray();
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        RolloutResult[] out = new RolloutResult[tasks];
        for (int t = 0; t < tasks; t++) {
            out[t] = new RolloutResult(env.id(), all ? env.tasks().get(t) : task, batch, episodes, returns[t], lengths[t], envSteps,
                    seconds, states, env.obsDim());
        }
        return out;
    }

    /** Policies [b0, b0 + gb) to the end of their episodes; returns the env steps taken. */
    private long runGroup(Thetas thetas, int b0, int gb, String task, int episodes, long seed, int stateStride,
                          FloatArrayList states, double[][] returns, int[][] lengths, Progress progress, Trajectories.Recorder rec) {
        int n = gb * episodes, o = env.obsDim(), a = env.actDim(), off = b0 * episodes;
        int maxSteps = env.maxEpisodeSteps(), tasks = returns.length;
        boolean[] finished = new boolean[n];
        boolean[][] taskFinished = new boolean[tasks][n];
        long envSteps = 0;
        try (VecEnv vec = Envs.make(env.name(), task, n, AutoresetMode.DISABLED);
             Buffer th = thetas.open(b0, gb);
             Buffer sb = backend.allocate(n * o);
             Buffer ab = backend.allocate(n * a)) {
            for (int b = 0; b < gb; b++) {
                for (int e = 0; e < episodes; e++) vec.reset(b * episodes + e, seed + e);
            }
            float[] obs = new float[n * o], act = new float[n * a];
            boolean[] term = vec.terminated(), trunc = vec.truncated();
            int running = n;
            for (int t = 0; running > 0; t++) {
                vec.obsAsFloat(obs);
                if (states != null && t % stateStride == 0) {
                    for (int i = 0; i < n; i++) {
                        if (!finished[i]) states.addElements(states.size(), obs, i * o, o);
                    }
                }
                backend.write(sb, obs, 0);
                backend.mlpForward(mlp, th, gb, sb, StateLayout.PER_POLICY, episodes, ab, null);
                backend.read(ab, act, 0);
                if (rec != null) rec.act(off, n, t, obs, act, finished);
                vec.step(act);
                envSteps += running;
                for (int k = 0; k < tasks; k++) {
                    double[] r = vec.allTasks() ? vec.taskRewards(k) : vec.rewards();
                    boolean[] te = vec.allTasks() ? vec.taskTerminated(k) : term;
                    boolean[] done = taskFinished[k];
                    double[] ret = returns[k];
                    int[] len = lengths[k];
                    for (int i = 0; i < n; i++) {
                        if (done[i]) continue;
                        ret[off + i] += r[i];
                        if (rec != null) rec.reward(off + i, len[off + i], r[i]);
                        len[off + i]++;
                        if (te[i] || trunc[i]) done[i] = true;
                    }
                }
                long credit = running;
                for (int i = 0; i < n; i++) {
                    if (finished[i] || !(term[i] || trunc[i])) continue;
                    finished[i] = true;
                    running--;
                    credit += maxSteps - vec.elapsed(i);
                }
                progress.add(credit);
            }
        }
        return envSteps;
    }

    /** Sums progress from the groups' threads and reports it, one call at a time, at most ~100 times a run. */
    private static final class Progress {
        private final Listener listener;
        private final long total, every;
        private final AtomicLong done = new AtomicLong();
        private long reported = -1;

        Progress(Listener listener, long total) {
            this.listener = listener;
            this.total = total;
            this.every = Math.max(1, total / 100);
        }

        void add(long steps) {
            if (listener == null) return;
            long d = done.addAndGet(steps);
            synchronized (this) {
                if (d - reported >= every || d == total) {
                    reported = d;
                    listener.onProgress(Math.min(d, total), total);
                }
            }
        }
    }
}
