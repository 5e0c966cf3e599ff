package policyzip.bench;

import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.ae.Autoencoder;
import policyzip.ae.TrainConfig;
import policyzip.ae.TrainStep;
import policyzip.dataset.NoveltyConfig;
import policyzip.dataset.NoveltySearch;
import policyzip.dataset.PolicyRefs;
import policyzip.env.AutoresetMode;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.env.VecEnv;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;
import policyzip.rollout.Rollout;

/**
 * The named benchmark workloads, shared by {@code policyzip bench} and the JMH suites:
 * <ul>
 *   <li>{@code fwd-small}, {@code fwd-medium}, {@code fwd-large}: batched forward of B different MountainCar
 *   policies on M = 256 shared states, 2-8-1 with B = 4096, 2-32-32-1 with B = 1024 and 2-400-300-1 with B = 64.
 *   (fwd-small is 2-8-1 as issue 2 defines it; the {@code small} preset of SPEC.md is 2-4-1.)</li>
 *   <li>{@code knn-20k}: novelty's exact 10-NN of 20,000 descriptors of dimension 256 among themselves.</li>
 *   <li>{@code descriptors-medium}, {@code descriptors-large}: dataset generation's descriptor step, θ from seeds then
 *   256 probe states, for 10,000 medium or 256 large policies.</li>
 *   <li>{@code ae-medium}, {@code ae-large}: one behavioural autoencoder training step (θ from seeds, encode, decode,
 *   both policy forwards, the backward through policies, decoder and encoder, Adam): medium B = 128, K = 2; large
 *   B = 64, K = 1; M = 256 states, encoder and decoder hidden 256-256.</li>
 *   <li>{@code returns-medium}, {@code returns-large}, {@code returns-large-34}: a dataset's returns step
 *   (NoveltySearch), B policies from seeds to the end of one MountainCar episode (up to 999 steps, every task's reward
 *   at once), one forward of the whole batch per env step: B = 1024 medium, 550 large (the batches NoveltySearch
 *   takes now), and 34 large (the batch it took before: a GPU launch per step for a few policies).</li>
 *   <li>{@code bwd-medium}, {@code bwd-large}, {@code gpu-bwd-large}: the batched policy backward alone (dL/dθ from
 *   dL/d(actions), the forward's activations cached once): 2-32-32-1 with B = 1024, 2-400-300-1 with B = 64 and
 *   B = 512 (ae-large-512's batch), M = 256 shared states; FLOPs counted as twice the forward's.</li>
 *   <li>{@code gpu-fwd-large-cache}: ae-large-512's policy forward, B = 512 large policies on M = 256 shared states
 *   with the hidden activations written out for the backward (0.37 GB per op); by name only.</li>
 *   <li>{@code env-mountaincar}, {@code env-pendulum}: N = 4096 instances stepped 100 times with fixed random actions,
 *   on the calling thread (env stepping is single-threaded per VecEnv).</li>
 *   <li>{@code env-reacher}, {@code env-hopper}, {@code env-halfcheetah}, {@code env-invertedpendulum},
 *   {@code env-swimmer} and their {@code mjstep-} twins: a MuJoCo env's steps and the bare physics of the same run
 *   (N = 32 × 64 steps, on the backend's thread count; {@link MujocoSteps}).</li>
 * </ul>
 */
public final class Workloads {
    private Workloads() {}

    public static final int FWD_STATES = 256;

    /** The default workloads of {@code policyzip bench}. */
    public static List<String> names() {
        return List.of("fwd-small", "fwd-medium", "fwd-large", "knn-20k", "descriptors-medium", "descriptors-large", "ae-medium",
                "ae-large", "env-mountaincar", "env-pendulum");
    }

    /**
     * Workloads run by name only: a dataset's returns step at the batch sizes it takes, and the batched policy
     * backward alone (the training step's least efficient part on a GPU). Slow on the CPU for large.
     */
    public static List<String> byNameOnly() {
        return List.of("returns-medium", "returns-large", "returns-large-34", "bwd-medium", "bwd-large", "gpu-bwd-large",
                "gpu-fwd-large-cache");
    }

    /** The MuJoCo env workloads ({@code native-build/mujoco.sh} must have run): env-&lt;env&gt; and mjstep-&lt;env&gt;. */
    public static List<String> mujocoNames() {
        List<String> all = new java.util.ArrayList<>();
        for (String env : MUJOCO) all.add("env-" + env);
        for (String env : MUJOCO) all.add("mjstep-" + env);
        return List.copyOf(all);
    }

    /** The MuJoCo envs with env-/mjstep- workloads, and N × T per op for each (about 0.1 s per op on one core). */
    static final List<String> MUJOCO = List.of("reacher", "hopper", "halfcheetah", "invertedpendulum", "swimmer");

    private static Workload mujoco(String name, Backend backend) {
        boolean raw = name.startsWith("mjstep-");
        String env = name.substring(name.indexOf('-') + 1);
        if (!MUJOCO.contains(env)) return null;
        int threads = backend == null ? 1 : backend.concurrentCallers();
        return new MujocoSteps(name, env, raw, 32, 64, threads);
    }

    /**
     * Forward workloads sized to fill a GPU (issue 7): SPEC.md's presets on M = 1024 shared states, small 2-4-1 with
     * B = 65,536 (6.7·10⁷ evaluations per op), medium with B = 16,384 (36 GFLOP per op), large with B = 1024 (252 GFLOP
     * per op, θ 0.5 GB); and {@code ae-large-512}, the large autoencoder step with B = 512 (issue 8). They run on the CPU
     * too (the speedup's baseline), slowly.
     */
    public static List<String> gpuNames() {
        return List.of("gpu-fwd-small", "gpu-fwd-medium", "gpu-fwd-large", "ae-large-512");
    }

    /** A ready workload on {@code backend} (the env workloads ignore it). */
    public static Workload create(String name, Backend backend) {
        return switch (name.toLowerCase(Locale.ROOT)) {
            case "fwd-small" -> new Forward("fwd-small", new int[] {8}, 4096, FWD_STATES, backend);
            case "fwd-medium" -> new Forward("fwd-medium", MlpSpec.MEDIUM, 1024, FWD_STATES, backend);
            case "fwd-large" -> new Forward("fwd-large", MlpSpec.LARGE, 64, FWD_STATES, backend);
            case "gpu-fwd-small" -> new Forward("gpu-fwd-small", MlpSpec.SMALL, 65_536, 1024, backend);
            case "gpu-fwd-medium" -> new Forward("gpu-fwd-medium", MlpSpec.MEDIUM, 16_384, 1024, backend);
            case "gpu-fwd-large" -> new Forward("gpu-fwd-large", MlpSpec.LARGE, 1024, 1024, backend);
            case "knn-20k" -> new Knn("knn-20k", 20_000, 256, 10, backend);
            case "descriptors-medium" -> new Descriptors("descriptors-medium", "medium", 10_000, backend);
            case "descriptors-large" -> new Descriptors("descriptors-large", "large", 256, backend);
            case "ae-medium" -> new AeStep("ae-medium", "medium", 2, 128, backend);
            case "ae-large" -> new AeStep("ae-large", "large", 1, 64, backend);
            case "ae-large-512" -> new AeStep("ae-large-512", "large", 1, 512, backend);
            case "returns-medium" -> new Returns("returns-medium", MlpSpec.MEDIUM, 1024, backend);
            case "bwd-medium" -> new Backward("bwd-medium", MlpSpec.MEDIUM, 1024, FWD_STATES, backend);
            case "bwd-large" -> new Backward("bwd-large", MlpSpec.LARGE, 64, FWD_STATES, backend);
            case "gpu-bwd-large" -> new Backward("gpu-bwd-large", MlpSpec.LARGE, 512, FWD_STATES, backend);
            case "gpu-fwd-large-cache" -> new Forward("gpu-fwd-large-cache", MlpSpec.LARGE, 512, FWD_STATES, true, backend);
            case "returns-large" -> new Returns("returns-large", MlpSpec.LARGE, 550, backend);
            case "returns-large-34" -> new Returns("returns-large-34", MlpSpec.LARGE, 34, backend);
            case "env-mountaincar" -> new EnvSteps("env-mountaincar", "mountaincar", 4096, 100);
            case "env-pendulum" -> new EnvSteps("env-pendulum", "pendulum", 4096, 100);
            default -> {
                Workload w = name.startsWith("env-") || name.startsWith("mjstep-") ? mujoco(name.toLowerCase(Locale.ROOT), backend) : null;
                if (w == null) throw new IllegalArgumentException("unknown workload '" + name + "'; known: " + String.join(", ", names()) + ", "
                        + String.join(", ", mujocoNames()) + ", " + String.join(", ", gpuNames()) + ", " + String.join(", ", byNameOnly()));
                yield w;
            }
        };
    }

    /** A ReLU policy of these hidden sizes for MountainCar (2 observations, 1 action, output scale 1). */
    static MlpSpec mountainCar(int[] hidden) { return new MlpSpec(2, hidden, 1, Activation.RELU, 1f); }

    /** θ [B, P] of the prior draws of seeds first, first + 1, ..., first + B − 1. */
    static float[] thetas(MlpSpec mlp, int batch, long first) {
        long[] seeds = new long[batch];
        for (int i = 0; i < batch; i++) seeds[i] = first + i;
        return PolicyInit.initialize(mlp, seeds);
    }

    /** Throws when {@code got[off + i]} is not within 1e-5 (absolute and relative) of the scalar reference {@code want[i]}. */
    static void checkClose(String what, float[] got, int off, float[] want) {
        for (int i = 0; i < want.length; i++) {
            if (!(Math.abs(got[off + i] - want[i]) <= 1e-5f + 1e-5f * Math.abs(want[i]))) {
                throw new IllegalStateException(what + " " + i + " is " + got[off + i] + ", the scalar reference gives " + want[i]);
            }
        }
    }

    /** B MountainCar policies on M shared states uniform in the observation box. */
    static final class Forward implements Workload {
        private final String name;
        private final MlpSpec mlp;
        private final int batch, m;
        private final Backend be;
        private final float[] theta, states;
        private final Buffer thetaBuf, statesBuf, actionsBuf, cacheBuf;

        Forward(String name, int[] hidden, int batch, int m, Backend be) {
            this(name, hidden, batch, m, false, be);
        }

        /** With {@code cache}, every op also writes the hidden activations, as the training step's forward does. */
        Forward(String name, int[] hidden, int batch, int m, boolean cache, Backend be) {
            this.name = name;
            this.mlp = mountainCar(hidden);
            this.batch = batch;
            this.m = m;
            this.be = be;
            theta = thetas(mlp, batch, 1000);
            EnvSpec env = Envs.spec("mountaincar");
            states = new float[m * 2];
            SplittableRandom rng = new SplittableRandom(7);
            for (int j = 0; j < m; j++) {
                for (int q = 0; q < 2; q++) {
                    states[j * 2 + q] = (float) (env.probeLow()[q] + rng.nextDouble() * (env.probeHigh()[q] - env.probeLow()[q]));
                }
            }
            thetaBuf = be.upload(theta);
            statesBuf = be.upload(states);
            actionsBuf = be.allocate(batch * m);
            cacheBuf = cache ? be.allocate(batch * mlp.hiddenUnits() * m) : null;
        }

        @Override public String name() { return name; }
        @Override public String description() {
            return "B=" + batch + " policies " + mlp.describe() + " × M=" + m + " shared states"
                    + (cacheBuf != null ? ", activations cached" : "") + " on " + be.name();
        }
        @Override public String unit() { return "evals/s"; }
        @Override public double itemsPerOp() { return (double) batch * m; }
        @Override public double flopsPerOp() { return 2.0 * mlp.macsPerState() * batch * m; }

        @Override public void run() {
            be.mlpForward(mlp, thetaBuf, batch, statesBuf, StateLayout.SHARED, m, actionsBuf, cacheBuf);
            be.synchronize();
        }

        @Override public void verify() {
            run();
            float[] got = new float[batch * m];
            be.read(actionsBuf, got, 0);
            // The first 16 policies, fewer where the scalar reference would take seconds (2 of gpu-fwd-large).
            int check = (int) Math.max(1, Math.min(Math.min(batch, 16), (1L << 28) / (mlp.macsPerState() * m)));
            try (CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
                float[] want = new float[check * m];
                Buffer a = ref.allocate(want.length);
                ref.mlpForward(mlp, ref.upload(theta, 0, check * mlp.paramCount()), check, ref.upload(states), StateLayout.SHARED,
                        m, a, null);
                ref.read(a, want, 0);
                checkClose(name + ": action", got, 0, want);
            }
        }

        @Override public void close() {
            thetaBuf.close();
            statesBuf.close();
            actionsBuf.close();
            if (cacheBuf != null) cacheBuf.close();
        }
    }

    /**
     * The batched policy backward alone: B MountainCar policies on M shared states, their forward run once with the
     * activations cached, dL/d(actions) uniform in ±1 from a fixed seed; each op is one {@link Backend#mlpBackward}
     * into dθ (no input gradient), as the training step runs it.
     */
    static final class Backward implements Workload {
        private final String name;
        private final MlpSpec mlp;
        private final int batch, m;
        private final Backend be;
        private final float[] theta, states, dActions;
        private final Buffer thetaBuf, statesBuf, actionsBuf, cacheBuf, dActionsBuf, dThetaBuf;

        Backward(String name, int[] hidden, int batch, int m, Backend be) {
            this.name = name;
            this.mlp = mountainCar(hidden);
            this.batch = batch;
            this.m = m;
            this.be = be;
            theta = thetas(mlp, batch, 3000);
            SplittableRandom rng = new SplittableRandom(9);
            states = new float[m * 2];
            for (int i = 0; i < states.length; i++) states[i] = (float) (rng.nextDouble() * 2 - 1);
            dActions = new float[batch * m];
            for (int i = 0; i < dActions.length; i++) dActions[i] = (float) (rng.nextDouble() * 2 - 1);
            thetaBuf = be.upload(theta);
            statesBuf = be.upload(states);
            actionsBuf = be.allocate(batch * m);
            cacheBuf = be.allocate(batch * mlp.hiddenUnits() * m);
            dActionsBuf = be.upload(dActions);
            dThetaBuf = be.allocate(batch * mlp.paramCount());
            be.mlpForward(mlp, thetaBuf, batch, statesBuf, StateLayout.SHARED, m, actionsBuf, cacheBuf);
        }

        @Override public String name() { return name; }
        @Override public String description() {
            return "backward of B=" + batch + " policies " + mlp.describe() + " × M=" + m + " shared states on " + be.name();
        }
        @Override public String unit() { return "evals/s"; }
        @Override public double itemsPerOp() { return (double) batch * m; }
        @Override public double flopsPerOp() { return 4.0 * mlp.macsPerState() * batch * m; }

        @Override public void run() {
            be.mlpBackward(mlp, thetaBuf, batch, statesBuf, StateLayout.SHARED, m, actionsBuf, cacheBuf, dActionsBuf, dThetaBuf, null);
            be.synchronize();
        }

        @Override public void verify() {
            run();
            int p = mlp.paramCount(), check = mlp.paramCount() > 10_000 ? 1 : 4;
            float[] got = new float[check * p];
            be.read(dThetaBuf.slice(0, check * p), got, 0);
            try (CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
                Buffer th = ref.upload(theta, 0, check * p), st = ref.upload(states), a = ref.allocate(check * m);
                Buffer c = ref.allocate(check * mlp.hiddenUnits() * m), d = ref.allocate(check * p);
                ref.mlpForward(mlp, th, check, st, StateLayout.SHARED, m, a, c);
                ref.mlpBackward(mlp, th, check, st, StateLayout.SHARED, m, a, c, ref.upload(dActions, 0, check * m), d, null);
                float[] want = new float[check * p];
                ref.read(d, want, 0);
                checkClose(name + ": dθ", got, 0, want);
            }
        }

        @Override public void close() {
            for (Buffer b : new Buffer[] {thetaBuf, statesBuf, actionsBuf, cacheBuf, dActionsBuf, dThetaBuf}) b.close();
        }
    }

    /**
     * Exact k-NN of Q descriptors among themselves (queries = pool, self excluded), uniform in [−1, 1]^D from a fixed
     * seed; out [Q, k] ascending squared distances.
     */
    static final class Knn implements Workload {
        private final String name;
        private final int q, dim, k;
        private final Backend be;
        private final float[] desc;            // [Q, D]
        private final Buffer descBuf, outBuf;

        Knn(String name, int q, int dim, int k, Backend be) {
            this.name = name;
            this.q = q;
            this.dim = dim;
            this.k = k;
            this.be = be;
            desc = new float[q * dim];
            SplittableRandom rng = new SplittableRandom(11);
            for (int i = 0; i < desc.length; i++) desc[i] = (float) (rng.nextDouble() * 2 - 1);
            descBuf = be.upload(desc);
            outBuf = be.allocate(q * k);
        }

        @Override public String name() { return name; }
        @Override public String description() {
            return "exact " + k + "-NN of Q=" + q + " descriptors among themselves (P=" + q + ", D=" + dim + ", self excluded) on " + be.name();
        }
        @Override public String unit() { return "descriptors/s"; }
        @Override public double itemsPerOp() { return q; }
        @Override public double flopsPerOp() { return 2.0 * q * q * dim; }

        @Override public void run() {
            be.knnSquaredDistances(descBuf, q, descBuf, q, dim, k, 0, outBuf);
            be.synchronize();
        }

        @Override public void verify() {
            run();
            float[] got = new float[q * k];
            be.read(outBuf, got, 0);
            double maxNorm = 0;
            for (int j = 0; j < q; j++) maxNorm = Math.max(maxNorm, norm2(j));
            // Brute force in double on a few rows; the expanded form the kernel uses is within (2D + 4)·2⁻²⁴·(‖q‖² + ‖p‖²).
            for (int i : new int[] {0, 1, q / 3, q / 2, q - 2, q - 1}) {
                double[] d = new double[q - 1];
                for (int j = 0, n = 0; j < q; j++) {
                    if (j == i) continue;
                    double s = 0;
                    for (int c = 0; c < dim; c++) {
                        double e = (double) desc[i * dim + c] - desc[j * dim + c];
                        s += e * e;
                    }
                    d[n++] = s;
                }
                java.util.Arrays.sort(d);
                double tol = (2.0 * dim + 4) * 0x1p-24 * (norm2(i) + maxNorm);
                for (int r = 0; r < k; r++) {
                    if (!(Math.abs(got[i * k + r] - d[r]) <= tol)) {
                        throw new IllegalStateException(name + ": query " + i + " neighbour " + r + " is " + got[i * k + r]
                                + ", brute force gives " + d[r] + " (tolerance " + tol + ")");
                    }
                }
            }
        }

        private double norm2(int j) {
            double s = 0;
            for (int c = 0; c < dim; c++) s += (double) desc[j * dim + c] * desc[j * dim + c];
            return s;
        }

        @Override public void close() {
            descBuf.close();
            outBuf.close();
        }
    }

    /**
     * Dataset generation's descriptor step: B random MountainCar policies regenerated from their seeds, then their
     * actions on M = 256 probe states ({@link NoveltySearch#descriptors}); one item = one policy's descriptor.
     */
    static final class Descriptors implements Workload {
        private final String name;
        private final NoveltyConfig cfg;
        private final NoveltySearch search;
        private final PolicyRefs refs = new PolicyRefs();
        private final float[] probes, out;
        private final Backend be;

        Descriptors(String name, String size, int batch, Backend be) {
            this.name = name;
            this.be = be;
            this.cfg = new NoveltyConfig("mountaincar", size, Activation.RELU, 50_000, batch, 256, 10, 0.1, 0, 0.1f, 0, 1);
            this.search = new NoveltySearch(be, cfg);
            for (int i = 0; i < batch; i++) refs.addFresh(1000 + i);
            probes = cfg.envSpec().sampleProbeStates(256, 3);
            out = new float[batch * 256];
        }

        @Override public String name() { return name; }
        @Override public String description() {
            return refs.size() + " policies " + cfg.mlp().describe() + " from seeds × M=256 probe states on " + be.name();
        }
        @Override public String unit() { return "descriptors/s"; }
        @Override public double itemsPerOp() { return refs.size(); }
        @Override public double flopsPerOp() { return 2.0 * cfg.mlp().macsPerState() * 256 * refs.size(); }
        @Override public void run() { search.descriptors(refs, probes, out, 0); }

        @Override public void verify() {
            run();
            MlpSpec mlp = cfg.mlp();
            int check = Math.min(4, refs.size());
            try (CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
                for (int b = 0; b < check; b++) {
                    Buffer a = ref.allocate(256);
                    ref.mlpForward(mlp, ref.upload(PolicyInit.initialize(mlp, refs.root(b))), 1, ref.upload(probes), StateLayout.SHARED, 256, a, null);
                    float[] want = new float[256];
                    ref.read(a, want, 0);
                    checkClose(name + ": descriptor " + b + " entry", out, b * 256, want);
                }
            }
        }
    }

    /**
     * B MountainCar policies from seeds, one episode each to its end (every task's reward in the same run), as
     * NoveltySearch's returns step runs them; reset seed fixed, so every op is the same work.
     */
    static final class Returns implements Workload {
        private final String name;
        private final MlpSpec mlp;
        private final int batch;
        private final Backend be;
        private final float[] theta;
        private final Rollout rollout;
        private double[] last;

        Returns(String name, int[] hidden, int batch, Backend be) {
            this.name = name;
            this.mlp = mountainCar(hidden);
            this.batch = batch;
            this.be = be;
            this.theta = thetas(mlp, batch, 5000);
            this.rollout = new Rollout(be, "mountaincar", mlp);
        }

        @Override public String name() { return name; }
        @Override public String description() {
            return "B=" + batch + " policies " + mlp.describe() + ", one MountainCar episode each (up to 999 steps, all tasks) on " + be.name();
        }
        @Override public String unit() { return "policies/s"; }
        @Override public double itemsPerOp() { return batch; }
        @Override public double flopsPerOp() { return 0; }   // episode lengths vary with the policies
        @Override public void run() { last = rollout.runAllTasks(theta, batch, 1, 11, null).get("goal").meanReturns(); }

        @Override public void verify() {
            run();
            for (int i = 0; i < batch; i++) {
                if (!Double.isFinite(last[i])) throw new IllegalStateException(name + ": return of policy " + i + " is " + last[i]);
            }
            // The first policy's episode on the scalar CPU backend: the same return within float tolerance (actions agree to
            // ~1e-6, and MountainCar's goal return is a sum of squared actions plus the goal bonus).
            try (CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
                double want = new Rollout(ref, "mountaincar", mlp).runAllTasks(java.util.Arrays.copyOf(theta, mlp.paramCount()), 1, 1, 11, null)
                        .get("goal").meanReturns()[0];
                if (!(Math.abs(last[0] - want) <= 1e-3 * Math.max(1, Math.abs(want)))) {
                    throw new IllegalStateException(name + ": return of policy 0 is " + last[0] + ", the scalar reference gives " + want);
                }
            }
        }
    }

    /** One training step of the behavioural autoencoder on random MountainCar policies ({@link TrainStep}). */
    static final class AeStep implements Workload {
        private final String name;
        private final MlpSpec mlp;
        private final int batch;
        private final Backend be;
        private final Autoencoder ae;
        private final TrainStep step;
        private final PolicyRefs refs = new PolicyRefs();
        private final int[][] batches = new int[4][];
        private final float[][] states = new float[4][];
        private int t;

        AeStep(String name, String size, int k, int batch, Backend be) {
            this.name = name;
            this.batch = batch;
            this.be = be;
            EnvSpec env = Envs.spec("mountaincar");
            mlp = MlpSpec.of(size, 2, 1, Activation.RELU, 1f);
            int p = mlp.paramCount();
            ae = new Autoencoder(be, mlp, k, new int[] {256, 256}, new int[] {256, 256}, new float[p], PolicyInit.priorStd(mlp), null, 1, batch);
            step = new TrainStep(be, ae, TrainConfig.Loss.BEHAVIOURAL, 1e-3f, 256, null, null);
            for (int i = 0; i < 4; i++) {
                batches[i] = new int[batch];
                for (int j = 0; j < batch; j++) {
                    batches[i][j] = refs.size();
                    refs.addFresh(1000L * i + j);
                }
                states[i] = env.sampleProbeStates(256, i);
            }
        }

        @Override public String name() { return name; }
        @Override public String description() {
            return "train step B=" + batch + " policies " + mlp.describe() + " × M=256, K=" + ae.latent() + ", AE 256-256 on " + be.name();
        }
        @Override public String unit() { return "steps/s"; }
        @Override public double itemsPerOp() { return 1; }
        @Override public double flopsPerOp() { return 0; }

        @Override public void run() {
            t++;
            step.run(t, refs, 0f, batches[t & 3], states[t & 3]);
        }

        @Override public void verify() {
            double first = step.run(++t, refs, 0f, batches[0], states[0]);
            if (!Double.isFinite(first)) throw new IllegalStateException(name + ": non-finite loss " + first);
        }

        @Override public void close() {
            step.close();
            ae.close();
        }
    }

    /** N env instances stepped T times per op with pre-drawn random actions; autoreset keeps them running. */
    static final class EnvSteps implements Workload {
        private final String name;
        private final VecEnv env;
        private final float[][] actions;
        private final int n, steps;

        EnvSteps(String name, String envName, int n, int steps) {
            this.name = name;
            this.n = n;
            this.steps = steps;
            this.env = Envs.make(envName, Envs.spec(envName).defaultTask(), n, AutoresetMode.NEXT_STEP);
            env.reset(0);
            EnvSpec spec = env.spec();
            SplittableRandom rng = new SplittableRandom(3);
            actions = new float[steps][n * spec.actDim()];
            for (float[] a : actions) {
                for (int i = 0; i < a.length; i++) a[i] = (float) (spec.actionLow() + rng.nextDouble() * (spec.actionHigh() - spec.actionLow()));
            }
        }

        @Override public String name() { return name; }
        @Override public String description() { return "N=" + n + " × " + steps + " steps of " + env.spec().id() + ", one thread"; }
        @Override public String unit() { return "env-steps/s"; }
        @Override public double itemsPerOp() { return (double) n * steps; }
        @Override public double flopsPerOp() { return 0; }

        @Override public void run() {
            for (float[] a : actions) env.step(a);
        }

        @Override public void verify() {
            run();
            for (double v : env.obs()) {
                if (!Double.isFinite(v)) throw new IllegalStateException(name + ": non-finite observation after stepping");
            }
        }

        @Override public void close() { env.close(); }
    }
}
