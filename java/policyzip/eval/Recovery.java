package policyzip.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import policyzip.ae.Autoencoder;
import policyzip.ae.Checkpoint;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.dataset.Dataset;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;
import policyzip.rollout.Rollout;
import policyzip.rollout.RolloutResult;

/**
 * Performance recovery of a latent space (SPEC.md section 2, step 3): how much of the dataset's range of returns the
 * decoder's image of a latent set Z_eval reaches, per task.
 * <pre>
 *   PR_max   = max_{z ∈ Z} J(g(z)) / max_{θ ∈ D} J(θ)
 *   PR_range = (max_Z J − min_Z J) / (max_D J − min_D J)
 * </pre>
 * Z_eval: for K ≤ 3 a grid over the bounding box of the encoded dataset (1000 points for K = 1, 100² for K = 2, 30³
 * for K = 3); for K > 3 the encoded dataset points plus as many uniform samples of the box. Returns J use the
 * dataset's own evaluation (its return episodes and seed), so both sides are measured alike. The raw maxima and
 * minima are reported beside the ratios: with negative returns a ratio alone misleads.
 */
public final class Recovery {
    private Recovery() {}

    /** One task's recovery. {@code bestLatent} is the index into Z of the best decoded policy. */
    public record TaskRecovery(String task, double maxLatent, double minLatent, double maxData, double minData, double prMax,
                               double prRange, int bestLatent) {}

    /** Z [G, K], the returns of its decoded policies [T][G], the box, and each task's recovery. */
    public record Result(int latent, float[] z, int points, double[][] returns, float[] low, float[] high, List<TaskRecovery> tasks,
                         long envSteps, double seconds) {}

    /** Progress: {@code done} of {@code total} latent points decoded and evaluated. */
    @FunctionalInterface
    public interface Listener {
        void onProgress(int done, int total);
    }

    /** A task's recovery from the raw extremes of the latent set's and the dataset's returns. */
    public static TaskRecovery of(String task, double maxLatent, double minLatent, double maxData, double minData, int best) {
        return new TaskRecovery(task, maxLatent, minLatent, maxData, minData, maxLatent / maxData,
                (maxLatent - minLatent) / (maxData - minData), best);
    }

    /** Grid points per axis for K ≤ 3 (SPEC.md): 1000, 100, 30. */
    public static int gridPerAxis(int k) {
        return switch (k) {
            case 1 -> 1000;
            case 2 -> 100;
            case 3 -> 30;
            default -> 0;
        };
    }

    /** Z_eval for latent codes {@code encoded} [N, K] (SPEC.md), deterministic ({@code seed} for K > 3). */
    public static float[] latentSet(float[] encoded, int k, float[] low, float[] high, long seed) {
        int n = encoded.length / k;
        for (int d = 0; d < k; d++) {
            low[d] = Float.POSITIVE_INFINITY;
            high[d] = Float.NEGATIVE_INFINITY;
        }
        for (int i = 0; i < n; i++) {
            for (int d = 0; d < k; d++) {
                low[d] = Math.min(low[d], encoded[i * k + d]);
                high[d] = Math.max(high[d], encoded[i * k + d]);
            }
        }
        int per = gridPerAxis(k);
        if (per > 0) {
            int g = (int) Math.pow(per, k);
            float[] z = new float[g * k];
            for (int i = 0; i < g; i++) {
                int rest = i;
                for (int d = k - 1; d >= 0; d--) {
                    int c = rest % per;
                    rest /= per;
                    z[i * k + d] = low[d] + (high[d] - low[d]) * c / (per - 1);
                }
            }
            return z;
        }
        float[] z = java.util.Arrays.copyOf(encoded, 2 * n * k);
        for (int i = 0; i < n * k; i++) {
            int d = i % k;
            double u = PolicyInit.unit(seed + (i + 1) * 0x9E3779B97F4A7C15L);
            z[n * k + i] = (float) (low[d] + (high[d] - low[d]) * u);
        }
        return z;
    }

    /** Runs the whole measurement. */
    public static Result run(Backend be, Dataset ds, Checkpoint ck, Listener listener) {
        long t0 = System.nanoTime();
        MlpSpec mlp = ds.mlp();
        if (!mlp.equals(ck.policy())) {
            throw new IllegalArgumentException("the checkpoint's policies are " + ck.policy().describe() + ", the dataset's " + mlp.describe());
        }
        int k = ck.latent(), p = mlp.paramCount();
        // Decoded policies per batch (the autoencoder's batch too): Rollout.batchFor with 128 MB of θ.
        int batch = Rollout.batchFor(p, 1 << 25);
        try (Autoencoder ae = ck.autoencoder(be, batch)) {
            float[] encoded = ae.encodeDataset(ds);
            float[] low = new float[k], high = new float[k];
            float[] z = latentSet(encoded, k, low, high, ck.config().seed());
            int g = z.length / k, tasks = ds.tasks().size();
            double[][] returns = new double[tasks][g];
            Rollout rollout = new Rollout(be, ds.env().name(), mlp);
            float[] th = new float[batch * p];
            long steps = 0;
            try (Buffer zb = be.allocate(batch * k)) {
                for (int from = 0; from < g; from += batch) {
                    int c = Math.min(batch, g - from);
                    Buffer zs = zb.slice(0, c * k);
                    be.write(zs, java.util.Arrays.copyOfRange(z, from * k, (from + c) * k), 0);
                    ae.decode(zs, c);
                    be.read(ae.decoded(c), th, 0);
                    Map<String, RolloutResult> r = rollout.runAllTasks(java.util.Arrays.copyOf(th, c * p), c, ds.config().returnEpisodes(),
                            ds.contents().returnSeed(), null);
                    for (int t = 0; t < tasks; t++) {
                        double[] means = r.get(ds.tasks().get(t)).meanReturns();
                        System.arraycopy(means, 0, returns[t], from, c);
                    }
                    steps += r.values().iterator().next().envSteps();
                    if (listener != null) listener.onProgress(from + c, g);
                }
            }
            List<TaskRecovery> out = new ArrayList<>();
            for (int t = 0; t < tasks; t++) {
                double maxZ = Double.NEGATIVE_INFINITY, minZ = Double.POSITIVE_INFINITY, maxD = Double.NEGATIVE_INFINITY, minD = Double.POSITIVE_INFINITY;
                int best = 0;
                for (int i = 0; i < g; i++) {
                    double v = returns[t][i];
                    if (v > maxZ) {
                        maxZ = v;
                        best = i;
                    }
                    minZ = Math.min(minZ, v);
                }
                for (int i = 0; i < ds.size(); i++) {
                    maxD = Math.max(maxD, ds.returnOf(i, t));
                    minD = Math.min(minD, ds.returnOf(i, t));
                }
                out.add(of(ds.tasks().get(t), maxZ, minZ, maxD, minD, best));
            }
            return new Result(k, z, g, returns, low, high, out, steps, (System.nanoTime() - t0) / 1e9);
        }
    }
}
