package policyzip.rollout;

import policyzip.policy.PolicyInit;

/**
 * What {@link Rollout#runGaussian} saw, for policy-gradient estimates: per instance j = b·E + e (policy b, episode e) and
 * step t < {@code result.lengths()[j]}, the observation the policy acted on, the standard normal noise ε of its action
 * {@code a = π_θ(s) + σ_b ⊙ ε}, and the task's reward. Layouts: {@code obs} [N, T, O], {@code noise} [N, T, A],
 * {@code rewards} [N, T] with N = B·E and T the env's time limit; entries past an episode's length are zero.
 */
public record Trajectories(RolloutResult result, int maxSteps, int obsDim, int actDim, float[] sigma, float[] obs, float[] noise,
                           double[] rewards) {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    /** Episodes, N = B·E. */
    public int instances() { return result.policies() * result.episodes(); }

    /** Steps of instance j's episode. */
    public int length(int j) { return result.lengths()[j]; }

    /** The noise ε of instance j at step t, coordinate a (the rollout's counter-based stream). */
    static float noise(long noiseSeed, int j, int t, int actDim, int a) {
        return PolicyInit.gaussian(PolicyInit.mix64(noiseSeed + (j + 1) * GOLDEN), (long) t * actDim + a);
    }

    /** Fills the arrays from inside a rollout's groups (each group writes its own instances). */
    static final class Recorder {
        private final float[] sigma, obs, noise;
        private final double[] rewards;
        private final long noiseSeed;
        private final int episodes, a, o, t;

        Recorder(float[] sigma, long noiseSeed, int episodes, int a, int o, int n, int t) {
            this.sigma = sigma.clone();
            this.noiseSeed = noiseSeed;
            this.episodes = episodes;
            this.a = a;
            this.o = o;
            this.t = t;
            obs = new float[Math.multiplyExact(Math.multiplyExact(n, t), o)];
            noise = new float[Math.multiplyExact(Math.multiplyExact(n, t), a)];
            rewards = new double[Math.multiplyExact(n, t)];
        }

        /** Step {@code step} of instances [off, off + n): records obs [n, O] and adds σ ⊙ ε to the mean actions [n, A]. */
        void act(int off, int n, int step, float[] obsGroup, float[] actions, boolean[] finished) {
            for (int i = 0; i < n; i++) {
                if (finished[i]) continue;
                int j = off + i, b = j / episodes;
                System.arraycopy(obsGroup, i * o, obs, (j * t + step) * o, o);
                for (int d = 0; d < a; d++) {
                    float e = noise(noiseSeed, j, step, a, d);
                    noise[(j * t + step) * a + d] = e;
                    actions[i * a + d] += sigma[b * a + d] * e;
                }
            }
        }

        void reward(int j, int step, double r) {
            rewards[j * t + step] = r;
        }

        Trajectories finish(RolloutResult r) {
            return new Trajectories(r, t, o, a, sigma, obs, noise, rewards);
        }
    }
}
