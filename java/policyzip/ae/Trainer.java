package policyzip.ae;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.dataset.Dataset;
import policyzip.dataset.PolicyRefs;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * Trains the policy autoencoder on a dataset (SPEC.md section 2, step 2).
 *
 * <p>Each step t (1-based) draws B training policies (with replacement, from a counter-based stream of (seed, t))
 * and, for the behavioural loss, M fresh states (MountainCar, Pendulum: uniform in the probe box, seed (seed, t)):
 * <pre>
 *   L = 1/(B·M·A) Σ_i Σ_j ‖π_{θ_i}(s_j) − π_{g(f(θ_i))}(s_j)‖²
 * </pre>
 * computed with two batched forwards (the originals without, the decoded with cached activations), its gradient
 * through the batched policy backward into θ', then through the decoder and the encoder; one Adam step on all
 * autoencoder parameters. The {@link TrainConfig.Loss#PARAMETER} ablation uses the squared error of the standardised
 * parameters instead. Everything a step reads derives from (seed, t), so a resumed run repeats an uninterrupted one.
 *
 * <p>The last {@code heldOut} fraction of the dataset is never trained on; every {@code evalEvery} steps the
 * behavioural loss of up to 512 of those policies on fixed states is recorded. A non-finite loss stops training with
 * the step and the last checkpoint named.
 *
 * <p>Checkpoints: every {@code checkpointEvery} steps and at the last, but, with {@link #minCheckpointInterval}, none
 * sooner than that after the previous one (or the start). A large autoencoder's checkpoint (its parameters and Adam
 * moments: 752 MB for P = 121,801) takes seconds to write, which on a GPU is longer than its 500 steps take; the CLI
 * asks for at most one a minute. Which steps are saved never changes the result: a resumed run repeats an
 * uninterrupted one from whichever checkpoint it finds.
 */
public final class Trainer {
    private static final long PHI = 0x9E3779B97F4A7C15L;
    private static final long BATCH_STREAM = 0x4241544348L, STATE_STREAM = 0x5354415445L, EVAL_STREAM = 0x4556414CL;
    static final int EVAL_POLICIES = 512;

    /** Progress callbacks (may throw to stop training; the last checkpoint stays). */
    public interface Listener {
        default void onStep(int step, int steps, double loss) {}
        default void onEval(int step, double heldOutLoss) {}
        default void onCheckpoint(int step, Path file) {}
    }

    private final Backend be;
    private final Dataset ds;
    private final TrainConfig cfg;
    private final MlpSpec mlp;
    private final int nTrain, nEval;
    private long minCheckpointNanos;

    public Trainer(Backend be, Dataset ds, TrainConfig cfg) {
        this.be = be;
        this.ds = ds;
        this.cfg = cfg;
        this.mlp = ds.mlp();
        int n = ds.size();
        int held = (int) Math.round(cfg.heldOut() * n);
        nTrain = n - held;
        nEval = Math.min(EVAL_POLICIES, held);
        if (nTrain < 2) throw new IllegalArgumentException("dataset " + ds.path() + " leaves " + nTrain + " training policies; lower --held-out");
    }

    public int trainingPolicies() { return nTrain; }

    /** No checkpoint but the last within {@code interval} of the previous one or of the start (default zero: every one). */
    public Trainer minCheckpointInterval(java.time.Duration interval) {
        if (interval.isNegative()) throw new IllegalArgumentException("checkpoint interval must be >= 0, got " + interval);
        this.minCheckpointNanos = interval.toNanos();
        return this;
    }

    /** Per-coordinate mean and standard deviation of θ over up to statsPolicies training policies (evenly spaced). */
    public float[][] standardisation() {
        int p = mlp.paramCount(), count = Math.min(nTrain, cfg.statsPolicies());
        double[] sum = new double[p], sq = new double[p];
        int chunk = Math.max(1, Math.min(count, (1 << 22) / p));
        float[] th = new float[chunk * p];
        int[] idx = new int[chunk];
        PolicyRefs refs = ds.contents().refs();
        for (int from = 0; from < count; from += chunk) {
            int b = Math.min(chunk, count - from);
            for (int j = 0; j < b; j++) idx[j] = (int) ((long) (from + j) * nTrain / count);
            refs.thetas(mlp, ds.config().mutationSigma(), idx, b, th);
            for (int j = 0; j < b; j++) {
                for (int q = 0; q < p; q++) {
                    double v = th[j * p + q];
                    sum[q] += v;
                    sq[q] += v * v;
                }
            }
        }
        float[] mean = new float[p], std = new float[p];
        for (int q = 0; q < p; q++) {
            double m = sum[q] / count, var = Math.max(0, sq[q] / count - m * m);
            mean[q] = (float) m;
            std[q] = (float) Math.max(Math.sqrt(var), 1e-6);
        }
        return new float[][] {mean, std};
    }

    /** Trains to {@code cfg.steps()}, writing checkpoints to {@code checkpoint}; with {@code resume}, continues it. */
    public Checkpoint train(Path checkpoint, boolean resume, Listener listener) throws IOException {
        Listener l = listener == null ? new Listener() {} : listener;
        Checkpoint start = null;
        if (resume && Files.exists(checkpoint)) {
            start = Checkpoint.read(checkpoint);
            if (!start.config().sameRunAs(cfg)) {
                throw new IllegalArgumentException(checkpoint + " was trained with other options (" + start.config().toJson()
                        + "); resume with those, or write a new checkpoint");
            }
            start.checkDataset(ds);
        } else if (!resume && Files.exists(checkpoint)) {
            throw new IllegalArgumentException(checkpoint + " exists; pass --resume to continue it or --force to start over");
        }
        float[][] stats = start != null ? new float[][] {start.mean(), start.std()} : standardisation();
        int b = cfg.batch(), m = cfg.states(), p = mlp.paramCount();
        try (Autoencoder ae = new Autoencoder(be, mlp, cfg.latent(), cfg.encoderHidden(), cfg.decoderHidden(), stats[0], stats[1],
                start == null ? null : start.params(), PolicyInit.mix64(cfg.seed()), b);
             TrainStep step = new TrainStep(be, ae, cfg.loss(), cfg.lr(), m, start == null ? null : start.adamM(),
                     start == null ? null : start.adamV())) {
            double[] losses = Arrays.copyOf(start == null ? new double[0] : start.trainLoss(), cfg.steps());
            int[] evalSteps = start == null ? new int[0] : start.evalSteps();
            double[] evalLosses = start == null ? new double[0] : start.evalLoss();
            int first = start == null ? 1 : start.step() + 1;
            int lastSaved = first - 1;
            int[] idx = new int[b];
            EvalSet eval = nEval > 0 ? new EvalSet() : null;
            long lastSaveNanos = System.nanoTime();
            for (int t = first; t <= cfg.steps(); t++) {
                long stepSeed = PolicyInit.mix64(cfg.seed() + t * PHI);
                for (int j = 0; j < b; j++) idx[j] = (int) (PolicyInit.unit(PolicyInit.mix64(stepSeed ^ BATCH_STREAM) + (j + 1) * PHI) * nTrain);
                float[] st = cfg.loss() == TrainConfig.Loss.BEHAVIOURAL ? ds.sampleStates(m, stepSeed ^ STATE_STREAM) : null;
                double loss = step.run(t, ds.contents().refs(), ds.config().mutationSigma(), idx, st);
                if (!Double.isFinite(loss)) {
                    throw new IllegalStateException("training diverged at step " + t + " (loss " + loss + "); "
                            + (lastSaved > 0 ? "the checkpoint of step " + lastSaved + " is kept" : "no checkpoint was written")
                            + "; try a lower --lr");
                }
                losses[t - 1] = loss;
                l.onStep(t, cfg.steps(), loss);
                if (eval != null && (t % cfg.evalEvery() == 0 || t == cfg.steps())) {
                    double h = eval.loss(ae, step.states, step.target, step.pred);
                    evalSteps = Arrays.copyOf(evalSteps, evalSteps.length + 1);
                    evalLosses = Arrays.copyOf(evalLosses, evalLosses.length + 1);
                    evalSteps[evalSteps.length - 1] = t;
                    evalLosses[evalLosses.length - 1] = h;
                    l.onEval(t, h);
                }
                if (t == cfg.steps() || t % cfg.checkpointEvery() == 0 && System.nanoTime() - lastSaveNanos >= minCheckpointNanos) {
                    float[][] mv = step.moments();
                    Checkpoint c = new Checkpoint(cfg, mlp, ae.sizes(), t, ae.parametersToHost(), mv[0], mv[1], stats[0], stats[1],
                            Arrays.copyOf(losses, t), evalSteps, evalLosses, Checkpoint.datasetIdentity(ds));
                    c.write(checkpoint);
                    lastSaved = t;
                    lastSaveNanos = System.nanoTime();
                    l.onCheckpoint(t, checkpoint);
                    if (t == cfg.steps()) return c;
                }
            }
            return Checkpoint.read(checkpoint);
        }
    }

    /**
     * The behavioural loss of the last {@link Autoencoder#forward} of θ [B, P] on states [M, O], and its gradient
     * into {@link Autoencoder#grads()}: target actions [B, M, A] of the originals, pred of the decoded policies with
     * their activations cached, L and dL/dpred, the policies' backward into dL/dθ' [B, P], then the autoencoder's.
     */
    static double behavioural(Backend be, MlpSpec mlp, Autoencoder ae, Buffer theta, int b, Buffer states, int m, Buffer target,
                              Buffer pred, Buffer dPred, Buffer cache, Buffer dTheta) {
        be.mlpForward(mlp, theta, b, states, StateLayout.SHARED, m, target, null);
        be.mlpForward(mlp, ae.decoded(b), b, states, StateLayout.SHARED, m, pred, cache);
        double loss = be.meanSquaredError(pred, target, dPred);
        be.mlpBackward(mlp, ae.decoded(b), b, states, StateLayout.SHARED, m, pred, cache, dPred, dTheta, null);
        ae.backwardFromDecoded(dTheta, b);
        return loss;
    }

    /** Held-out policies (the dataset's last nEval) and fixed states: the behavioural loss of their reconstructions. */
    private final class EvalSet {
        final int[] idx = new int[nEval];
        final float[] states;

        EvalSet() {
            for (int i = 0; i < nEval; i++) idx[i] = ds.size() - nEval + i;
            states = ds.sampleStates(cfg.states(), PolicyInit.mix64(cfg.seed() ^ EVAL_STREAM));
        }

        double loss(Autoencoder ae, Buffer statesBuf, Buffer target, Buffer pred) {
            int b = cfg.batch(), p = mlp.paramCount(), m = cfg.states(), a = mlp.actDim();
            be.write(statesBuf, states, 0);
            double sum = 0;
            float[] th = null;   // only for chunks holding mutated policies
            try (Buffer theta = be.allocate(b * p)) {
                for (int from = 0; from < nEval; from += b) {
                    int n = Math.min(b, nEval - from);
                    int[] chunk = Arrays.copyOfRange(idx, from, from + n);
                    Buffer tb = theta.slice(0, n * p);
                    th = ds.contents().refs().load(be, mlp, ds.config().mutationSigma(), chunk, n, tb, th);
                    ae.forward(tb, n);
                    Buffer tg = target.slice(0, n * m * a), pr = pred.slice(0, n * m * a);
                    be.mlpForward(mlp, tb, n, statesBuf, StateLayout.SHARED, m, tg, null);
                    be.mlpForward(mlp, ae.decoded(n), n, statesBuf, StateLayout.SHARED, m, pr, null);
                    sum += be.meanSquaredError(pr, tg, null) * n;
                }
            }
            return sum / nEval;
        }
    }


}
