package policyzip.search;

import java.util.Locale;

/**
 * PGPE's hyperparameters (SPEC.md section 2, step 4, and its defaults): population (even: symmetric pairs), Adam learning
 * rate of the mean, σ learning rate, the largest relative σ change per generation, σ0 as a multiple of the space's
 * per-dimension spread, the fitness shaping, and episodes per candidate.
 */
public record PgpeConfig(int population, float lr, float sigmaLr, float sigmaMaxChange, float sigmaInit, Shaping shaping, int episodes) {
    /** How fitness is turned into update weights (applied per generation). */
    public enum Shaping {
        /** (f − mean) / std; all-equal fitness gives no update. */
        ZSCORE,
        /** centred ranks in [−0.5, 0.5] (ties share their mean rank). */
        RANK,
        /** f as it is. */
        RAW;

        public static Shaping parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "zscore", "z-score" -> ZSCORE;
                case "rank", "ranks" -> RANK;
                case "raw", "none" -> RAW;
                default -> throw new IllegalArgumentException("unknown fitness shaping '" + s + "': expected zscore, rank or raw");
            };
        }
    }

    public PgpeConfig {
        if (population < 2 || population % 2 != 0) {
            throw new IllegalArgumentException("PGPE population must be even and >= 2 (symmetric pairs), got " + population);
        }
        if (!(lr > 0) || !(sigmaLr >= 0) || !(sigmaMaxChange >= 0 && sigmaMaxChange < 1) || !(sigmaInit > 0) || episodes < 1) {
            throw new IllegalArgumentException("bad PGPE settings: lr " + lr + ", sigma lr " + sigmaLr + ", sigma max change " + sigmaMaxChange
                    + ", sigma init " + sigmaInit + ", episodes " + episodes
                    + " (need lr > 0, sigma lr >= 0, 0 <= max change < 1, sigma init > 0, episodes >= 1)");
        }
        java.util.Objects.requireNonNull(shaping, "shaping");
    }

    /** SPEC.md's defaults: population 20, lr 0.15, σ lr 0.1, σ change ±20 %, σ0 = 0.1 × spread, z-scored fitness, 1 episode. */
    public static PgpeConfig defaults() {
        return new PgpeConfig(20, 0.15f, 0.1f, 0.2f, 0.1f, Shaping.ZSCORE, 1);
    }
}
