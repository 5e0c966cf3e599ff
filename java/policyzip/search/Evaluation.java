package policyzip.search;

/**
 * What evaluating an {@link Ask} gave: {@code fitness} [n], the mean return of each candidate (maximised); for a
 * stochastic ask also {@code gradient} [n, D], the REINFORCE estimate of d(expected return)/d(candidate), and
 * {@code logSigmaGradient} [n, A], of d(expected return)/d(log σ); {@code envSteps}, the environment steps it took.
 */
public record Evaluation(double[] fitness, float[] gradient, float[] logSigmaGradient, long envSteps) {
    /** Fitness alone (a deterministic evaluation, or a test's objective). */
    public static Evaluation of(double[] fitness) {
        return new Evaluation(fitness, null, null, 0);
    }
}
