package policyzip.search;

import java.util.Arrays;
import policyzip.ae.Autoencoder;
import policyzip.ae.Checkpoint;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.dataset.Dataset;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * Where a search moves: a map x ∈ R^D → θ ∈ R^P with its vector-Jacobian product, a start point and a per-dimension
 * spread (SPEC.md section 2, step 4).
 * <ul>
 *   <li>{@link #latent}: θ = g(z), the frozen decoder of a checkpoint. Standardised (the default): x = (z − z̄)/s, z̄ and s the
 *       per-dimension mean and standard deviation of the encoded dataset, so start 0 and spread 1, and a learning rate means
 *       the same fraction of the dataset's spread in every dimension and every latent space. Raw: x = z, start z̄, spread s
 *       (SPEC.md read literally: lr 0.15 in units of z, whatever the encoder's scale).</li>
 *   <li>{@link #parameters}: x = u, θ = μ + s ⊙ u, parameters standardised per coordinate (μ, s: the dataset statistics the
 *       autoencoder was trained with, or the prior's); spread 1. Searching u rather than θ gives every coordinate the same
 *       scale, so one learning rate and σ0 = 0.1 × spread serve both spaces.</li>
 * </ul>
 * Not thread-safe (the decoder keeps work buffers).
 */
public abstract sealed class PolicySpace implements AutoCloseable permits PolicySpace.Latent, PolicySpace.Parameters {
    final MlpSpec policy;
    final float[] start, spread;

    PolicySpace(MlpSpec policy, float[] start, float[] spread) {
        this.policy = policy;
        this.start = start;
        this.spread = spread;
    }

    public MlpSpec policy() { return policy; }
    public int dimension() { return start.length; }
    /** Where a search starts, [D]. */
    public float[] start() { return start.clone(); }
    /** Per-dimension spread, [D]: σ0 = scale × spread. */
    public float[] spread() { return spread.clone(); }

    /** θ [n, P] of the points x [n, D]. */
    public abstract float[] decode(float[] x, int n);

    /** dJ/dx = (∂θ/∂x)ᵀ dJ/dθ at the points x [n, D], from dJ/dθ [n, P]; [n, D]. */
    public abstract float[] backward(float[] x, int n, float[] dTheta);

    @Override public void close() {}

    /**
     * The latent space of checkpoint {@code ck} (decoder frozen), started and scaled by its dataset {@code ds} encoded;
     * decodes up to {@code maxBatch} points a call.
     */
    public static Latent latent(Backend be, Checkpoint ck, Dataset ds, int maxBatch, boolean standardised) {
        if (!ds.mlp().equals(ck.policy())) {
            throw new IllegalArgumentException("the checkpoint's policies are " + ck.policy().describe() + ", the dataset's " + ds.mlp().describe());
        }
        Autoencoder ae = ck.autoencoder(be, Math.max(maxBatch, Math.min(512, Math.max(1, (1 << 22) / ck.policy().paramCount()))));
        try {
            float[] z = ae.encodeDataset(ds);
            int k = ck.latent(), n = z.length / k;
            float[] mean = new float[k], sd = new float[k];
            for (int d = 0; d < k; d++) {
                double s = 0, sq = 0;
                for (int i = 0; i < n; i++) {
                    s += z[i * k + d];
                    sq += (double) z[i * k + d] * z[i * k + d];
                }
                double m = s / n;
                mean[d] = (float) m;
                sd[d] = (float) Math.sqrt(Math.max(0, sq / n - m * m));
            }
            return new Latent(be, ae, mean, sd, standardised);
        } catch (RuntimeException e) {
            ae.close();
            throw e;
        }
    }

    /** Standardised parameters with the dataset statistics of checkpoint {@code ck}, starting at θ0 [P]. */
    public static Parameters parameters(Checkpoint ck, float[] theta0) {
        return new Parameters(ck.policy(), ck.mean(), ck.std(), theta0);
    }

    /** Standardised parameters under the prior (mean 0, s = bound/√3 per layer), starting at the prior draw of {@code seed}. */
    public static Parameters prior(MlpSpec mlp, long seed) {
        int p = mlp.paramCount();
        float[] mu = new float[p], s = new float[p];
        for (int l = 0; l < mlp.layers(); l++) {
            float sd = (float) (PolicyInit.bound(mlp.in(l)) / Math.sqrt(3));
            Arrays.fill(s, mlp.weightOffset(l), mlp.biasOffset(l) + mlp.out(l), sd);
        }
        return new Parameters(mlp, mu, s, PolicyInit.initialize(mlp, seed));
    }

    /** x ↦ z = z̄ + s ⊙ x (standardised) or z = x (raw) ↦ g(z) through a checkpoint's decoder. */
    public static final class Latent extends PolicySpace {
        private final Backend be;
        private final Autoencoder ae;
        private final int k, p;
        private final float[] zMean, zSpread, offset, scale;

        /** The space of {@code ae}'s decoder; z̄ and s [K] the encoded dataset's mean and standard deviation. */
        Latent(Backend be, Autoencoder ae, float[] zMean, float[] zSpread, boolean standardised) {
            int k = zMean.length;
            float[] s = new float[k], ones = new float[k];
            for (int d = 0; d < k; d++) {
                s[d] = Math.max(zSpread[d], 1e-6f);
                ones[d] = 1f;
            }
            super(ae.policy(), standardised ? new float[k] : zMean.clone(), standardised ? ones : zSpread.clone());
            this.be = be;
            this.ae = ae;
            this.k = ae.latent();
            this.p = ae.policy().paramCount();
            this.zMean = zMean.clone();
            this.zSpread = zSpread.clone();
            this.offset = standardised ? zMean.clone() : new float[k];
            this.scale = standardised ? s : ones;
        }

        /** The frozen autoencoder. */
        public Autoencoder autoencoder() { return ae; }
        /** The encoded dataset's per-dimension mean z̄ and standard deviation s, [K] each. */
        public float[] latentMean() { return zMean.clone(); }
        public float[] latentSpread() { return zSpread.clone(); }

        /** The latent codes z [n, K] of points x [n, K]. */
        public float[] latentOf(float[] x, int n) {
            float[] z = new float[n * k];
            for (int i = 0; i < n * k; i++) z[i] = Math.fma(x[i], scale[i % k], offset[i % k]);
            return z;
        }

        @Override public float[] decode(float[] x, int n) {
            float[] zs = latentOf(x, n);
            float[] theta = new float[n * p];
            for (int from = 0; from < n; from += ae.maxBatch()) {
                int c = Math.min(ae.maxBatch(), n - from);
                try (Buffer z = be.upload(zs, from * k, c * k)) {
                    ae.decode(z, c);
                    be.read(ae.decoded(c), theta, from * p);
                }
            }
            return theta;
        }

        @Override public float[] backward(float[] x, int n, float[] dTheta) {
            float[] zs = latentOf(x, n), dx = new float[n * k];
            for (int from = 0; from < n; from += ae.maxBatch()) {
                int c = Math.min(ae.maxBatch(), n - from);
                try (Buffer z = be.upload(zs, from * k, c * k); Buffer dt = be.upload(dTheta, from * p, c * p); Buffer dz = be.allocate(c * k)) {
                    ae.decode(z, c);
                    ae.backwardToLatent(z, dt, c, dz);
                    be.read(dz, dx, from * k);
                }
            }
            for (int i = 0; i < n * k; i++) dx[i] *= scale[i % k];
            return dx;
        }

        @Override public void close() { ae.close(); }
    }

    /** u ↦ μ + s ⊙ u. */
    public static final class Parameters extends PolicySpace {
        private final float[] mu, s;

        Parameters(MlpSpec mlp, float[] mu, float[] s, float[] theta0) {
            if (theta0.length != mlp.paramCount()) {
                throw new IllegalArgumentException("θ0 has " + theta0.length + " parameters; " + mlp.describe() + " has " + mlp.paramCount());
            }
            super(mlp, standardise(theta0, mu, s), ones(mlp.paramCount()));
            this.mu = mu;
            this.s = s;
        }

        private static float[] standardise(float[] theta, float[] mu, float[] s) {
            float[] u = new float[theta.length];
            for (int i = 0; i < u.length; i++) u[i] = (theta[i] - mu[i]) / s[i];
            return u;
        }

        private static float[] ones(int n) {
            float[] o = new float[n];
            Arrays.fill(o, 1f);
            return o;
        }

        @Override public float[] decode(float[] x, int n) {
            int p = mu.length;
            float[] theta = new float[n * p];
            for (int i = 0; i < n * p; i++) theta[i] = Math.fma(x[i], s[i % p], mu[i % p]);
            return theta;
        }

        @Override public float[] backward(float[] x, int n, float[] dTheta) {
            int p = mu.length;
            float[] dx = new float[n * p];
            for (int i = 0; i < n * p; i++) dx[i] = dTheta[i] * s[i % p];
            return dx;
        }
    }
}
