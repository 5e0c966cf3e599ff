package policyzip.rollout;

import it.unimi.dsi.fastutil.floats.FloatArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * <p>All B·E episodes run together in one {@link VecEnv} of N = B·E instances (instance {@code b·E + e} is policy b's
 * episode e), reset with seed {@code seed + e}: every policy meets the same E initial states (common random
 * numbers, so returns compare policies rather than luck). Each step, the N observations go through one batched
 * forward with {@link StateLayout#PER_POLICY} states [B, M = E, O], and the actions [B, E, A] drive the env. An
 * episode ends at its first terminated or truncated step; finished instances are frozen
 * ({@link AutoresetMode#DISABLED}) and the loop stops when all have finished.
 *
 * <p>Optionally keeps the observations the policies acted on (every {@code stateStride}-th step of every running
 * episode), float32 [S, O]: the state buffers dataset generation and training draw from.
 *
 * <p>Not thread-safe (the backend is shared); one instance per thread.
 */
public final class Rollout {
    /** Told the step count and the number of still-running episodes after each env step. */
    @FunctionalInterface
    public interface Listener {
        void onStep(int step, int running);
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
     * Runs B = {@code batch} policies, θ [B, P] row-major in {@code thetas}, for E = {@code episodes} each on
     * {@code task}. {@code stateStride} 0 keeps no states. {@code listener} may be null.
     */
    public RolloutResult run(float[] thetas, int batch, String task, int episodes, long seed, int stateStride, Listener listener) {
        if (batch < 1 || episodes < 1) {
            throw new IllegalArgumentException("need at least one policy and one episode, got B=" + batch + ", E=" + episodes);
        }
        if (stateStride < 0) throw new IllegalArgumentException("state stride must be >= 0, got " + stateStride);
        long p = mlp.paramCount();
        if (thetas.length != batch * p) {
            throw new IllegalArgumentException("thetas has " + thetas.length + " floats; expected [B=" + batch + ", P=" + p + "] = " + batch * p);
        }
        for (int i = 0; i < thetas.length; i++) {
            if (!Float.isFinite(thetas[i])) {
                throw new IllegalArgumentException("policy " + i / p + " has a non-finite parameter (index " + i % p + " = " + thetas[i] + ")");
            }
        }
        int n = Math.multiplyExact(batch, episodes);
        int o = env.obsDim(), a = env.actDim();
        long started = System.nanoTime();
        double[] returns = new double[n];
        int[] lengths = new int[n];
        boolean[] finished = new boolean[n];
        FloatArrayList states = stateStride > 0 ? new FloatArrayList() : null;
        long envSteps = 0;
        try (VecEnv vec = Envs.make(env.name(), task, n, AutoresetMode.DISABLED);
             Buffer th = backend.upload(thetas);
             Buffer sb = backend.allocate(n * o);
             Buffer ab = backend.allocate(n * a)) {
            for (int b = 0; b < batch; b++) {
                for (int e = 0; e < episodes; e++) vec.reset(b * episodes + e, seed + e);
            }
            float[] obs = new float[n * o], act = new float[n * a];
            double[] rewards = vec.rewards();
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
                backend.mlpForward(mlp, th, batch, sb, StateLayout.PER_POLICY, episodes, ab, null);
                backend.read(ab, act, 0);
                vec.step(act);
                envSteps += running;
                for (int i = 0; i < n; i++) {
                    if (finished[i]) continue;
                    returns[i] += rewards[i];
                    lengths[i]++;
                    if (term[i] || trunc[i]) {
                        finished[i] = true;
                        running--;
                    }
                }
                if (listener != null) listener.onStep(t + 1, running);
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        return new RolloutResult(env.id(), task, batch, episodes, returns, lengths, envSteps, seconds,
                states == null ? new float[0] : states.toFloatArray(), o);
    }

    /** {@link #run} on every task of the env, in the env's order. */
    public Map<String, RolloutResult> runAllTasks(float[] thetas, int batch, int episodes, long seed, Listener listener) {
        Map<String, RolloutResult> out = new LinkedHashMap<>();
        for (String task : env.tasks()) out.put(task, run(thetas, batch, task, episodes, seed, 0, listener));
        return out;
    }
}
