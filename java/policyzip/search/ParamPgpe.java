package policyzip.search;

import policyzip.backend.Backend;

/**
 * The parameter-space baseline (SPEC.md section 2, step 4): {@link Pgpe} on θ ∈ R^P directly, in standardised
 * coordinates u = (θ − μ)/s ({@link PolicySpace.Parameters}), so SPEC.md's defaults (lr 0.15, σ0 = 0.1 × spread, spread 1)
 * mean the same per coordinate as in the latent space.
 */
public final class ParamPgpe {
    public static final String NAME = "param-pgpe";

    private ParamPgpe() {}

    /** Parameter-space PGPE on {@code space}, from its start point. */
    public static Pgpe of(Backend be, PgpeConfig cfg, PolicySpace.Parameters space, long seed) {
        return Pgpe.of(be, NAME, cfg, space, seed);
    }
}
