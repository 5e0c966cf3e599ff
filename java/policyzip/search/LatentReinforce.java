package policyzip.search;

import java.util.Arrays;
import policyzip.backend.Backend;

/**
 * Latent REINFORCE (SPEC.md section 2, step 4): the Gaussian policy a ~ N(π_{g(z)}(s), diag σ²) in action space around the
 * decoded policy; each iteration asks for the one point z with E stochastic episodes and is told the score-function
 * estimate of ∇_z J = (∂g/∂z)ᵀ ∇_θ J ({@link PolicyGradient}, then {@link PolicySpace#backward}), then takes an Adam
 * ascent step on z, and, when σ is learned, one on log σ. Works in any {@link PolicySpace} (on standardised θ it is plain
 * parameter-space REINFORCE).
 */
public final class LatentReinforce implements SearchStrategy {
    public static final String NAME = "reinforce";
    private static final float LOG_SIGMA_MIN = (float) Math.log(1e-3), LOG_SIGMA_MAX = (float) Math.log(10);
    private final ReinforceConfig cfg;
    private final float[] z, logSigma;
    private final AscentAdam adamZ, adamSigma;
    private boolean pending;
    private int generation;

    /** REINFORCE from {@code start} [D] for policies with A = {@code actDim} actions. */
    public LatentReinforce(Backend be, ReinforceConfig cfg, float[] start, int actDim) {
        this.cfg = cfg;
        this.z = start.clone();
        this.logSigma = new float[actDim];
        Arrays.fill(logSigma, (float) Math.log(cfg.actionSigma()));
        this.adamZ = new AscentAdam(be, cfg.lr(), z.length);
        this.adamSigma = cfg.learnSigma() ? new AscentAdam(be, cfg.sigmaLr(), actDim) : null;
    }

    @Override public String name() { return NAME; }
    @Override public int dimension() { return z.length; }
    @Override public int generation() { return generation; }
    @Override public float[] center() { return z.clone(); }

    /** The action σ, [A]. */
    public float[] actionSigma() {
        float[] s = new float[logSigma.length];
        for (int i = 0; i < s.length; i++) s[i] = (float) Math.exp(logSigma[i]);
        return s;
    }

    @Override public Ask ask() {
        pending = true;
        return new Ask(z.clone(), 1, z.length, cfg.episodes(), actionSigma());
    }

    @Override public void tell(Evaluation e) {
        if (!pending) throw new IllegalStateException("tell without a pending ask");
        if (e.gradient() == null || e.gradient().length != z.length) {
            throw new IllegalArgumentException("REINFORCE needs the policy-gradient estimate [1, " + z.length + "] of a stochastic evaluation");
        }
        adamZ.step(z, e.gradient());
        if (adamSigma != null) {
            adamSigma.step(logSigma, e.logSigmaGradient());
            for (int i = 0; i < logSigma.length; i++) logSigma[i] = Math.max(LOG_SIGMA_MIN, Math.min(LOG_SIGMA_MAX, logSigma[i]));
        }
        pending = false;
        generation++;
    }

    @Override public void close() {
        adamZ.close();
        if (adamSigma != null) adamSigma.close();
    }
}
