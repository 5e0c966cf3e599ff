package policyzip.search;

import java.util.Locale;

/**
 * Latent REINFORCE's hyperparameters: episodes per iteration E, Adam learning rate of the point, the Gaussian action σ
 * (initial value when learned), whether log σ is learned and its learning rate, the baseline, and the discount γ of the
 * reward-to-go (1: the undiscounted return that is the fitness).
 */
public record ReinforceConfig(int episodes, float lr, float actionSigma, boolean learnSigma, float sigmaLr, Baseline baseline, double gamma) {
    /** The baseline subtracted from each step's reward-to-go. */
    public enum Baseline {
        /** None: the plain reward-to-go. */
        NONE,
        /** The mean reward-to-go at the same time step over the other episodes of the iteration (leave-one-out, so unbiased). */
        TIME;

        public static Baseline parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "none" -> NONE;
                case "time", "per-step" -> TIME;
                default -> throw new IllegalArgumentException("unknown baseline '" + s + "': expected time or none");
            };
        }
    }

    public ReinforceConfig {
        if (episodes < 1 || !(lr > 0) || !(actionSigma > 0) || !Float.isFinite(actionSigma) || !(sigmaLr >= 0) || !(gamma > 0 && gamma <= 1)) {
            throw new IllegalArgumentException("bad REINFORCE settings: episodes " + episodes + ", lr " + lr + ", action sigma " + actionSigma
                    + ", sigma lr " + sigmaLr + ", gamma " + gamma + " (need episodes >= 1, lr > 0, sigma > 0, sigma lr >= 0, 0 < gamma <= 1)");
        }
        java.util.Objects.requireNonNull(baseline, "baseline");
    }

    /** 10 episodes per iteration, lr 0.05, action σ 0.3 learned at lr 0.01, per-step baseline, γ = 1. */
    public static ReinforceConfig defaults() {
        return new ReinforceConfig(10, 0.05f, 0.3f, true, 0.01f, Baseline.TIME, 1.0);
    }
}
