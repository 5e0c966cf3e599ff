package policyzip.search;

import java.util.Arrays;
import policyzip.backend.Backend;
import policyzip.policy.PolicyInit;

/**
 * PGPE (Sehnke et al. 2010) over a diagonal Gaussian N(μ, diag σ²) in any {@link PolicySpace}: latent PGPE on z, and the
 * parameter-space baseline ({@link ParamPgpe}) on standardised θ (SPEC.md section 2, step 4).
 *
 * <p>Generation g asks for n = population candidates in symmetric pairs μ ± σ ⊙ ε_i, ε_i standard normal from the
 * counter-based stream {@code PolicyInit.gaussian(mix64(seed + (g + 1)·φ), i·D + d)}. With the shaped fitness f (z-scored by
 * default) of the pairs (f⁺_i, f⁻_i) and their mean b:
 * <pre>
 *   ∇μ = 1/(n/2) Σ_i (f⁺_i − f⁻_i)/2 · σ ⊙ ε_i                       → Adam ascent, lr
 *   ∇σ = 1/(n/2) Σ_i ((f⁺_i + f⁻_i)/2 − b) · σ ⊙ (ε_i² − 1)           → σ += clip(σ-lr · ∇σ, ±max change · σ)
 * </pre>
 * (the gradients of the expected fitness with respect to μ and σ, times σ² and σ, which makes the σ step relative).
 */
public final class Pgpe implements SearchStrategy {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private final String name;
    private final PgpeConfig cfg;
    private final int d;
    private final float[] mean, sigma;
    private final long seed;
    private final AscentAdam adam;
    private float[] eps;     // [n/2, D] of the pending ask
    private int generation;

    /** PGPE from mean μ0 with σ0 (both [D]); {@code name} is what reports call it. */
    public Pgpe(Backend be, String name, PgpeConfig cfg, float[] mean0, float[] sigma0, long seed) {
        if (mean0.length != sigma0.length || mean0.length < 1) {
            throw new IllegalArgumentException("PGPE needs a mean and σ of the same dimension >= 1, got " + mean0.length + " and " + sigma0.length);
        }
        for (float s : sigma0) {
            if (!(s > 0) || !Float.isFinite(s)) throw new IllegalArgumentException("σ0 must be finite and > 0, got " + s);
        }
        this.name = name;
        this.cfg = cfg;
        this.d = mean0.length;
        this.mean = mean0.clone();
        this.sigma = sigma0.clone();
        this.seed = seed;
        this.adam = new AscentAdam(be, cfg.lr(), d);
    }

    /** Latent PGPE on {@code space}: starts at its start point, σ0 = sigmaInit × its spread. */
    public static Pgpe of(Backend be, String name, PgpeConfig cfg, PolicySpace space, long seed) {
        float[] s0 = space.spread();
        for (int i = 0; i < s0.length; i++) s0[i] = cfg.sigmaInit() * Math.max(s0[i], 1e-6f);
        return new Pgpe(be, name, cfg, space.start(), s0, seed);
    }

    @Override public String name() { return name; }
    @Override public int dimension() { return d; }
    @Override public int generation() { return generation; }
    @Override public float[] center() { return mean.clone(); }
    /** The current σ, [D]. */
    public float[] sigma() { return sigma.clone(); }

    @Override public Ask ask() {
        int pairs = cfg.population() / 2;
        long s = PolicyInit.mix64(seed + (generation + 1L) * GOLDEN);
        eps = new float[pairs * d];
        float[] x = new float[cfg.population() * d];
        for (int i = 0; i < pairs; i++) {
            for (int j = 0; j < d; j++) {
                float e = PolicyInit.gaussian(s, (long) i * d + j);
                eps[i * d + j] = e;
                float delta = sigma[j] * e;
                x[2 * i * d + j] = mean[j] + delta;
                x[(2 * i + 1) * d + j] = mean[j] - delta;
            }
        }
        return new Ask(x, cfg.population(), d, cfg.episodes(), null);
    }

    @Override public void tell(Evaluation e) {
        if (eps == null) throw new IllegalStateException("tell without a pending ask");
        double[] f = shape(e.fitness(), cfg.shaping());
        int pairs = cfg.population() / 2;
        if (f.length != cfg.population()) throw new IllegalArgumentException("told " + f.length + " fitness values for " + cfg.population() + " candidates");
        double b = Arrays.stream(f).average().orElse(0);
        float[] gMean = new float[d];
        double[] gSigma = new double[d];
        for (int i = 0; i < pairs; i++) {
            double diff = (f[2 * i] - f[2 * i + 1]) / 2, avg = (f[2 * i] + f[2 * i + 1]) / 2 - b;
            for (int j = 0; j < d; j++) {
                double e2 = eps[i * d + j];
                gMean[j] += (float) (diff * sigma[j] * e2 / pairs);
                gSigma[j] += avg * sigma[j] * (e2 * e2 - 1) / pairs;
            }
        }
        adam.step(mean, gMean);
        for (int j = 0; j < d; j++) {
            double step = cfg.sigmaLr() * gSigma[j], limit = cfg.sigmaMaxChange() * sigma[j];
            sigma[j] = (float) (sigma[j] + Math.max(-limit, Math.min(limit, step)));
        }
        eps = null;
        generation++;
    }

    /** Fitness shaping; non-finite fitness is an error (a diverged evaluation should not steer the search). */
    static double[] shape(double[] fitness, PgpeConfig.Shaping how) {
        int n = fitness.length;
        for (double v : fitness) if (!Double.isFinite(v)) throw new IllegalArgumentException("non-finite fitness " + v);
        double[] f = new double[n];
        switch (how) {
            case RAW -> System.arraycopy(fitness, 0, f, 0, n);
            case ZSCORE -> {
                double m = Arrays.stream(fitness).average().orElse(0), v = 0;
                for (double x : fitness) v += (x - m) * (x - m);
                double sd = Math.sqrt(v / n);
                if (sd > 1e-12 * Math.max(1, Math.abs(m))) for (int i = 0; i < n; i++) f[i] = (fitness[i] - m) / sd;
            }
            case RANK -> {
                Integer[] idx = new Integer[n];
                for (int i = 0; i < n; i++) idx[i] = i;
                Arrays.sort(idx, (a, c) -> Double.compare(fitness[a], fitness[c]));
                for (int r = 0; r < n; ) {
                    int q = r;
                    while (q + 1 < n && fitness[idx[q + 1]] == fitness[idx[r]]) q++;
                    double rank = (r + q) / 2.0;
                    for (int t = r; t <= q; t++) f[idx[t]] = n == 1 ? 0 : rank / (n - 1) - 0.5;
                    r = q + 1;
                }
            }
        }
        return f;
    }

    @Override public void close() { adam.close(); }
}
