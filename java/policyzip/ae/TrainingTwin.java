package policyzip.ae;

import java.util.Locale;
import policyzip.backend.Backend;
import policyzip.dataset.PolicyRefs;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * The same behavioural training run on two backends from the same seed (issue 8: a device must train what the CPU
 * trains): fresh MountainCar policies of one size, an autoencoder with the prior's standardisation, the full
 * {@link TrainStep} (θ from seeds on the backend, both policy forwards, the policies' and the autoencoder's backward,
 * Adam) for a number of steps; the two loss curves and their largest relative deviation. Float sums in another order
 * make the curves drift apart, slowly at first ({@link #EARLY_TOLERANCE}); a wrong kernel makes them part sooner. Adam
 * cannot see a gradient scaled uniformly, so this complements {@code TwinCheck}'s per-kernel comparison and does not
 * replace it.
 */
public final class TrainingTwin {
    private TrainingTwin() {}

    /**
     * Tolerances on the relative deviation of the loss curves: over the first {@link #EARLY_STEPS} steps, and over all.
     * Float sums in another order (a GPU's) start the curves apart by about 10⁻⁸, and Adam amplifies that: it moves every
     * coordinate by about lr whatever the size of its gradient, so coordinates whose gradients are noise walk apart.
     * Measured with the CPU emulator of the CUDA kernels against the scalar CPU at ae-medium's size (B = 128, M = 256, AE
     * 256-256): 10⁻⁷ at step 10, 7·10⁻⁶ at step 40, 10⁻³ from step 50 on. A wrong kernel shows early (a policy
     * gradient 2 % off: 10⁻⁴ within 20 steps, {@code TrainingTwinTest}); later only a gross divergence is told from
     * the drift.
     */
    public static final double EARLY_TOLERANCE = 1e-5, TOLERANCE = 1e-2;
    public static final int EARLY_STEPS = 20;
    /**
     * The seed {@code selfcheck} trains from: fixed, because the tolerances were measured on runs from it (the kernel
     * comparisons draw fresh inputs every time; the drift of a whole run depends on its seed).
     */
    public static final long SEED = 42;

    /** A run's size: policy preset, latent K, autoencoder hidden width (two layers each side), batch B, states M. */
    public record Setup(String policySize, int latent, int hidden, int batch, int states, int steps) {
        public String describe() {
            return String.format(Locale.ROOT, "%s policies, K=%d, AE %d-%d, B=%d, M=%d, %d steps", policySize, latent, hidden, hidden,
                    batch, states, steps);
        }
    }

    /** The autoencoder training step the benchmarks time (ae-medium), 100 steps. */
    public static final Setup MEDIUM = new Setup("medium", 2, 256, 128, 256, 100);
    /** A small one, for emulators and quick checks. */
    public static final Setup SMALL = new Setup("medium", 2, 32, 8, 16, 100);

    public record Result(Setup setup, double[] device, double[] reference, double earlyDeviation, double maxRelDeviation, int worstStep) {
        public boolean passed() { return earlyDeviation <= EARLY_TOLERANCE && maxRelDeviation <= TOLERANCE; }

        @Override public String toString() {
            return String.format(Locale.ROOT, "%s: loss %.6g → %.6g here, %.6g → %.6g on the reference; %s%s",
                    setup.describe(), device[0], device[device.length - 1], reference[0], reference[reference.length - 1],
                    maxRelDeviation == 0 ? "identical curves" : String.format(Locale.ROOT,
                            "largest relative deviation %.2e in the first %d steps (tolerance %.0e), %.2e in all (at step %d; tolerance %.0e)",
                            earlyDeviation, Math.min(EARLY_STEPS, device.length), EARLY_TOLERANCE, maxRelDeviation, worstStep, TOLERANCE),
                    passed() ? "" : "   FAILED");
        }
    }

    /** Trains {@code setup} on both backends from {@code seed} and compares the loss curves. */
    public static Result run(Backend device, Backend reference, Setup setup, long seed) {
        double[] d = losses(device, setup, seed), r = losses(reference, setup, seed);
        double worst = 0, early = 0;
        int at = 0;
        for (int i = 0; i < d.length; i++) {
            double dev = Double.isFinite(d[i]) && Double.isFinite(r[i]) ? Math.abs(d[i] - r[i]) / Math.max(Math.abs(r[i]), 1e-30)
                    : Double.POSITIVE_INFINITY;
            if (dev > worst) {
                worst = dev;
                at = i + 1;
            }
            if (i < EARLY_STEPS) early = Math.max(early, dev);
        }
        return new Result(setup, d, r, early, worst, at);
    }

    /** The loss of every step of {@code setup} on {@code be}. */
    public static double[] losses(Backend be, Setup setup, long seed) {
        MlpSpec mlp = MlpSpec.of(setup.policySize(), 2, 1, Activation.RELU, 1f);
        EnvSpec env = Envs.spec("mountaincar");
        int b = setup.batch(), p = mlp.paramCount();
        PolicyRefs refs = new PolicyRefs();
        for (int i = 0; i < 4 * b; i++) refs.addFresh(PolicyInit.mix64(seed + i));
        int[] hidden = {setup.hidden(), setup.hidden()};
        double[] loss = new double[setup.steps()];
        try (Autoencoder ae = new Autoencoder(be, mlp, setup.latent(), hidden, hidden, new float[p], PolicyInit.priorStd(mlp), null, seed, b);
             TrainStep step = new TrainStep(be, ae, TrainConfig.Loss.BEHAVIOURAL, 1e-3f, setup.states(), null, null)) {
            int[] idx = new int[b];
            for (int t = 1; t <= setup.steps(); t++) {
                for (int j = 0; j < b; j++) idx[j] = (int) Math.floorMod(PolicyInit.mix64(seed ^ (31L * t + j)), 4L * b);
                loss[t - 1] = step.run(t, refs, 0f, idx, env.sampleProbeStates(setup.states(), seed + t));
            }
        }
        return loss;
    }
}
