package policyzip.search;

import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.policy.MlpSpec;
import policyzip.rollout.Trajectories;

/**
 * The REINFORCE (score-function) estimate of the gradient of the expected return of Gaussian policies
 * a ~ N(π_θ(s), diag σ²), from the E episodes of each policy in {@link Trajectories}:
 * <pre>
 *   ∇_θ J     ≈ 1/E Σ_e Σ_t (G_{e,t} − b_{e,t}) · (∂π_θ(s_{e,t})/∂θ)ᵀ ε_{e,t}/σ      (∇_μ log N = (a − μ)/σ² = ε/σ)
 *   ∇_{log σ} J ≈ 1/E Σ_e Σ_t (G_{e,t} − b_{e,t}) · (ε_{e,t}² − 1)
 * </pre>
 * G_{e,t} = Σ_{t' ≥ t} γ^{t'−t} r_{e,t'} is the reward-to-go, b the {@link ReinforceConfig.Baseline}. The first sum runs
 * through the policy's batched backward ({@link Backend#mlpBackward}) with every visited state of a policy as one
 * SHARED state set: dJ/d(actions) [M, A] in, dJ/dθ [P] out.
 */
public final class PolicyGradient {
    private PolicyGradient() {}

    /** dJ/dθ [B, P] and dJ/d(log σ) [B, A]. */
    public record Result(float[] dTheta, float[] dLogSigma) {}

    public static Result estimate(Backend be, MlpSpec mlp, float[] thetas, Trajectories tr, ReinforceConfig.Baseline baseline, double gamma) {
        int b = tr.result().policies(), e = tr.result().episodes(), t = tr.maxSteps(), o = tr.obsDim(), a = tr.actDim(), p = mlp.paramCount();
        if (thetas.length != (long) b * p) throw new IllegalArgumentException("thetas has " + thetas.length + " floats; expected [B=" + b + ", P=" + p + "]");
        float[] dTheta = new float[b * p], dLogSigma = new float[b * a];
        double[] g = new double[e * t];
        for (int pol = 0; pol < b; pol++) {
            int m = 0;
            for (int ep = 0; ep < e; ep++) m += tr.length(pol * e + ep);
            rewardToGo(tr, pol, gamma, g);
            double[] base = baseline == ReinforceConfig.Baseline.TIME ? leaveOneOutMean(tr, pol, g) : null;
            float[] states = new float[m * o], dAct = new float[m * a];
            double[] dls = new double[a];
            int row = 0;
            for (int ep = 0; ep < e; ep++) {
                int j = pol * e + ep, len = tr.length(j);
                for (int s = 0; s < len; s++, row++) {
                    double w = (g[ep * t + s] - (base == null ? 0 : base[ep * t + s])) / e;
                    System.arraycopy(tr.obs(), (j * t + s) * o, states, row * o, o);
                    for (int d = 0; d < a; d++) {
                        double eps = tr.noise()[(j * t + s) * a + d];
                        dAct[row * a + d] = (float) (w * eps / tr.sigma()[pol * a + d]);
                        dls[d] += w * (eps * eps - 1);
                    }
                }
            }
            for (int d = 0; d < a; d++) dLogSigma[pol * a + d] = (float) dls[d];
            if (m == 0) continue;
            try (Buffer th = be.upload(thetas, pol * p, p); Buffer st = be.upload(states); Buffer act = be.allocate(m * a);
                 Buffer cache = be.allocate(mlp.hiddenUnits() * m); Buffer da = be.upload(dAct); Buffer dt = be.allocate(p)) {
                be.mlpForward(mlp, th, 1, st, StateLayout.SHARED, m, act, cache);
                be.mlpBackward(mlp, th, 1, st, StateLayout.SHARED, m, act, cache, da, dt, null);
                be.read(dt, dTheta, pol * p);
            }
        }
        return new Result(dTheta, dLogSigma);
    }

    /** G [E, T] of policy {@code pol}'s episodes (zero past each episode's end). */
    private static void rewardToGo(Trajectories tr, int pol, double gamma, double[] g) {
        int e = tr.result().episodes(), t = tr.maxSteps();
        java.util.Arrays.fill(g, 0);
        for (int ep = 0; ep < e; ep++) {
            int j = pol * e + ep;
            double acc = 0;
            for (int s = tr.length(j) - 1; s >= 0; s--) {
                acc = tr.rewards()[j * t + s] + gamma * acc;
                g[ep * t + s] = acc;
            }
        }
    }

    /** b_{e,t}: the mean of G_{e',t} over the other episodes e' still running at step t (0 when there are none). */
    private static double[] leaveOneOutMean(Trajectories tr, int pol, double[] g) {
        int e = tr.result().episodes(), t = tr.maxSteps();
        double[] b = new double[e * t];
        for (int s = 0; s < t; s++) {
            double sum = 0;
            int n = 0;
            for (int ep = 0; ep < e; ep++) {
                if (tr.length(pol * e + ep) > s) {
                    sum += g[ep * t + s];
                    n++;
                }
            }
            if (n < 2) continue;
            for (int ep = 0; ep < e; ep++) {
                if (tr.length(pol * e + ep) > s) b[ep * t + s] = (sum - g[ep * t + s]) / (n - 1);
            }
        }
        return b;
    }
}
