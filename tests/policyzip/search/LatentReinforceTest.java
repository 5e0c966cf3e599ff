package policyzip.search;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.ae.Autoencoder;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;
import policyzip.rollout.RolloutResult;
import policyzip.rollout.Trajectories;

/**
 * The REINFORCE gradient against finite differences of the exact expected return, on a tiny deterministic setting: one-step
 * episodes from S fixed states, A = 2 actions (as Reacher's), reward r = −Σ_a (a_a − c_{s,a})², a ~ N(π_{g(z)}(s), diag σ²),
 * so J(z) = −1/S Σ_s Σ_a ((π_{g(z)}(s)_a − c_{s,a})² + σ_a²) and dJ/d(log σ_a) = −2σ_a².
 */
class LatentReinforceTest {
    static final int A = 2, S = 4;
    static final MlpSpec MLP = new MlpSpec(2, new int[] {6}, A, Activation.TANH, 1f);
    static final float[] STATES = {0.3f, -0.5f, -0.8f, 0.1f, 0.6f, 0.9f, -0.2f, -0.7f};
    static final double[] TARGET = {0.4, -0.2, -0.3, 0.5, 0.1, 0.0, 0.6, -0.6};   // [S, A]
    static final float[] SIGMA = {0.2f, 0.3f};

    /** A decoder with random weights, searched in raw z. */
    static PolicySpace.Latent space(CpuBackend be) {
        return space(be, new float[2], new float[] {1, 1}, false);
    }

    static PolicySpace.Latent space(CpuBackend be, float[] zMean, float[] zSpread, boolean standardised) {
        int p = MLP.paramCount();
        float[] mu = PolicyInit.initialize(MLP, 11), sd = new float[p];
        Arrays.fill(sd, 0.3f);
        Autoencoder ae = new Autoencoder(be, MLP, 2, new int[] {8}, new int[] {8}, mu, sd, null, 5, 4);
        return new PolicySpace.Latent(be, ae, zMean, zSpread, standardised);
    }

    /** The exact J(z) in double from float32 parameters. */
    static double expectedReturn(PolicySpace space, float[] z) {
        float[] theta = space.decode(z, 1);
        double j = 0;
        for (int s = 0; s < S; s++) {
            double[] mu = act(theta, s);
            for (int a = 0; a < A; a++) j -= (mu[a] - TARGET[s * A + a]) * (mu[a] - TARGET[s * A + a]) + SIGMA[a] * SIGMA[a];
        }
        return j / S;
    }

    /** π_θ(s) [A], in double. */
    static double[] act(float[] theta, int s) {
        double[] h = new double[6], out = new double[A];
        for (int u = 0; u < 6; u++) {
            double v = theta[MLP.biasOffset(0) + u];
            for (int i = 0; i < 2; i++) v += theta[MLP.weightOffset(0) + u * 2 + i] * STATES[s * 2 + i];
            h[u] = Math.tanh(v);
        }
        for (int a = 0; a < A; a++) {
            double o = theta[MLP.biasOffset(1) + a];
            for (int u = 0; u < 6; u++) o += theta[MLP.weightOffset(1) + a * 6 + u] * h[u];
            out[a] = Math.tanh(o);
        }
        return out;
    }

    /** E one-step episodes, episode e from state e mod S, with its reward drawn as a rollout would. */
    static Trajectories bandit(float[] theta, int e, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        float[] obs = new float[e * 2], noise = new float[e * A];
        double[] rewards = new double[e], returns = new double[e];
        int[] lengths = new int[e];
        for (int i = 0; i < e; i++) {
            int s = i % S;
            obs[2 * i] = STATES[2 * s];
            obs[2 * i + 1] = STATES[2 * s + 1];
            double[] mu = act(theta, s);
            for (int a = 0; a < A; a++) {
                noise[i * A + a] = (float) gaussian(rng);
                double x = mu[a] + SIGMA[a] * noise[i * A + a] - TARGET[s * A + a];
                rewards[i] -= x * x;
            }
            returns[i] = rewards[i];
            lengths[i] = 1;
        }
        RolloutResult r = new RolloutResult("bandit", "t", 1, e, returns, lengths, e, 0, new float[0], 2);
        return new Trajectories(r, 1, 2, A, SIGMA.clone(), obs, noise, rewards);
    }

    static double gaussian(SplittableRandom rng) {
        return Math.sqrt(-2 * Math.log(1 - rng.nextDouble())) * Math.cos(2 * Math.PI * rng.nextDouble());
    }

    @Test
    void gradientMatchesFiniteDifferencesOfTheExpectedReturn() {
        try (CpuBackend be = new CpuBackend(2); PolicySpace.Latent space = space(be)) {
            float[] z = {0.4f, -0.7f};
            float[] theta = space.decode(z, 1);
            PolicyGradient.Result g = PolicyGradient.estimate(be, MLP, theta, bandit(theta, 200_000, 1), ReinforceConfig.Baseline.TIME, 1);
            float[] dz = space.backward(z, 1, g.dTheta());
            double h = 1e-2;
            double[] fd = new double[2];
            for (int d = 0; d < 2; d++) {
                float[] zp = z.clone(), zm = z.clone();
                zp[d] += (float) h;
                zm[d] -= (float) h;
                fd[d] = (expectedReturn(space, zp) - expectedReturn(space, zm)) / (zp[d] - zm[d]);
            }
            double norm = Math.hypot(fd[0], fd[1]);
            assertTrue(norm > 1e-2, "the setting must have a gradient to compare: " + Arrays.toString(fd));
            for (int d = 0; d < 2; d++) {
                assertEquals(fd[d], dz[d], 0.05 * norm, "dJ/dz" + d + ": estimate " + Arrays.toString(dz) + ", finite differences " + Arrays.toString(fd));
            }
            for (int a = 0; a < A; a++) {
                double want = -2 * SIGMA[a] * SIGMA[a];
                assertEquals(want, g.dLogSigma()[a], 0.1 * Math.abs(want), "dJ/dlog σ" + a);
            }
        }
    }

    /** The per-step baseline cannot remove the spread between states (it is one number per step), so expect a partial cut. */
    @Test
    void baselineLowersTheVariance() {
        try (CpuBackend be = new CpuBackend(1); PolicySpace.Latent space = space(be)) {
            float[] theta = space.decode(new float[] {0.4f, -0.7f}, 1);
            int reps = 40, e = 400;
            double[][] with = new double[reps][], without = new double[reps][];
            for (int r = 0; r < reps; r++) {
                Trajectories tr = bandit(theta, e, 100 + r);
                with[r] = toDouble(PolicyGradient.estimate(be, MLP, theta, tr, ReinforceConfig.Baseline.TIME, 1).dTheta());
                without[r] = toDouble(PolicyGradient.estimate(be, MLP, theta, tr, ReinforceConfig.Baseline.NONE, 1).dTheta());
            }
            double varWith = spread(with), varWithout = spread(without);
            assertTrue(varWith < 0.75 * varWithout, "variance with the baseline " + varWith + ", without " + varWithout);
        }
    }

    static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** Total variance of the rows. */
    static double spread(double[][] rows) {
        int n = rows.length, p = rows[0].length;
        double v = 0;
        for (int j = 0; j < p; j++) {
            double m = 0;
            for (double[] r : rows) m += r[j] / n;
            for (double[] r : rows) v += (r[j] - m) * (r[j] - m) / n;
        }
        return v;
    }

    @Test
    void decoderBackwardIsTheJacobianTransposeProduct() {
        for (boolean standardised : new boolean[] {false, true}) {
            try (CpuBackend be = new CpuBackend(1);
                 PolicySpace.Latent space = space(be, new float[] {0.3f, -0.2f}, new float[] {0.5f, 2f}, standardised)) {
                checkBackward(space);
                float[] x = {1f, -1f};
                float[] z = space.latentOf(x, 1);
                assertArrayEquals(standardised ? new float[] {0.8f, -2.2f} : x, z, 1e-6f);
                assertArrayEquals(standardised ? new float[2] : new float[] {0.3f, -0.2f}, space.start());
            }
        }
    }

    static void checkBackward(PolicySpace space) {
        int p = MLP.paramCount();
        float[] z = {0.2f, 0.5f, -1.1f, 0.3f};   // two points
        float[] v = new float[2 * p];
        SplittableRandom rng = new SplittableRandom(3);
        for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextDouble(-1, 1);
        float[] dz = space.backward(z, 2, v);
        for (int b = 0; b < 2; b++) {
            for (int d = 0; d < 2; d++) {
                float[] zp = z.clone(), zm = z.clone();
                zp[2 * b + d] += 1e-2f;
                zm[2 * b + d] -= 1e-2f;
                float[] tp = space.decode(zp, 2), tm = space.decode(zm, 2);
                double fd = 0;
                for (int i = b * p; i < (b + 1) * p; i++) fd += v[i] * (tp[i] - tm[i]) / (zp[2 * b + d] - zm[2 * b + d]);
                assertEquals(fd, dz[2 * b + d], 1e-3 * Math.max(1, Math.abs(fd)), "point " + b + ", z" + d);
            }
        }
    }

    @Test
    void tellNeedsTheGradientAndMovesUpIt() {
        try (CpuBackend be = new CpuBackend(1);
             LatentReinforce r = new LatentReinforce(be, ReinforceConfig.defaults(), new float[] {1f, 2f}, 1)) {
            Ask a = r.ask();
            assertTrue(a.stochastic());
            assertArrayEquals(new float[] {0.3f}, a.actionSigma(), 1e-6f);
            assertThrows(IllegalArgumentException.class, () -> r.tell(new double[] {0}));
            r.tell(new Evaluation(new double[] {0}, new float[] {1f, -1f}, new float[] {-1f}, 10));
            assertTrue(r.center()[0] > 1f && r.center()[1] < 2f, Arrays.toString(r.center()));
            assertTrue(r.actionSigma()[0] < 0.3f, "σ learned down its gradient");
        }
    }
}
