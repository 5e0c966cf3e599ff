package policyzip.dataset;

import it.unimi.dsi.fastutil.floats.FloatArrayList;
import policyzip.backend.Backend;
import policyzip.env.EnvSpec;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;
import policyzip.rollout.Rollout;
import policyzip.rollout.RolloutResult;

/**
 * The states an env without a probe box (the MuJoCo envs) is probed and trained on (SPEC.md section 2): observations
 * visited by rollouts of random policies from the reset distribution, collected once and stored with the dataset.
 *
 * <p>{@link #collect} rolls out batches of {@link #POLICIES_PER_BATCH} policies (fewer for large ones) drawn from the prior of the dataset's
 * architecture (seeds of their own stream, one episode each on the env's standard task, every visited observation
 * kept) until it has seen at least twice {@code size} states or {@link #MAX_BATCHES} batches ran, then keeps
 * {@code size} of them (or all, if fewer were seen) chosen uniformly without replacement, in a random order: so the
 * first M rows are themselves a uniform sample and serve as the M probe states. Deterministic in its seed.
 */
public final class StateBuffer {
    /** States kept in a dataset's buffer. */
    public static final int SIZE = 10_000;
    static final int POLICIES_PER_BATCH = 256, MAX_BATCHES = 40;
    private static final long PHI = 0x9E3779B97F4A7C15L;

    private StateBuffer() {}

    /** Up to {@code size} visited observations [S, O], float32, a pure function of the arguments. */
    public static float[] collect(Backend backend, EnvSpec env, MlpSpec mlp, int size, long seed) {
        if (size < 1) throw new IllegalArgumentException("state buffer size must be >= 1, got " + size);
        Rollout rollout = new Rollout(backend, env.name(), mlp);
        int o = env.obsDim();
        FloatArrayList seen = new FloatArrayList();
        // Large policies: fewer per batch, so that a batch's θ stays under 64 MB.
        int batch = (int) Math.max(16, Math.min(POLICIES_PER_BATCH, (1L << 24) / mlp.paramCount()));
        for (int b = 0; b < MAX_BATCHES && seen.size() / o < 2L * size; b++) {
            long[] seeds = new long[batch];
            for (int i = 0; i < seeds.length; i++) seeds[i] = PolicyInit.mix64(seed + ((long) b * batch + i + 1) * PHI);
            float[] thetas = PolicyInit.initialize(mlp, seeds);
            long envSeed = PolicyInit.mix64(seed ^ (b + 1L) * PHI) >>> 1;
            RolloutResult r = rollout.run(thetas, seeds.length, env.defaultTask(), 1, envSeed, 1, null);
            seen.addElements(seen.size(), r.states());
        }
        int count = seen.size() / o;
        if (count == 0) throw new IllegalStateException("rollouts on " + env.id() + " visited no states");
        int keep = Math.min(size, count);
        // Partial Fisher-Yates over row indices: the first `keep` of a uniform random permutation.
        int[] rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = i;
        long pick = PolicyInit.mix64(seed ^ 0x5DEECE66DL);
        for (int i = 0; i < keep; i++) {
            int j = i + (int) (PolicyInit.unit(pick + (i + 1L) * PHI) * (count - i));
            int t = rows[i];
            rows[i] = rows[j];
            rows[j] = t;
        }
        float[] all = seen.elements(), out = new float[keep * o];
        for (int i = 0; i < keep; i++) System.arraycopy(all, rows[i] * o, out, i * o, o);
        return out;
    }

    /**
     * M rows of {@code buffer} [S, O] drawn uniformly with replacement, as a pure function of {@code seed} (the
     * training states of an env without a probe box).
     */
    public static float[] sample(float[] buffer, int obsDim, int m, long seed) {
        int s = buffer.length / obsDim;
        if (s == 0) throw new IllegalStateException("the dataset holds no state buffer");
        float[] out = new float[Math.multiplyExact(m, obsDim)];
        for (int j = 0; j < m; j++) {
            int row = (int) (PolicyInit.unit(seed + (j + 1L) * PHI) * s);
            System.arraycopy(buffer, row * obsDim, out, j * obsDim, obsDim);
        }
        return out;
    }
}
