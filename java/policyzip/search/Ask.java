package policyzip.search;

/**
 * Candidates to evaluate: {@code candidates} [n, D] row-major, each over {@code episodes} episodes. {@code actionSigma}
 * [A] null means the deterministic policies π_θ; otherwise Gaussian policies π_θ(s) + σ ⊙ ε, for which the strategy
 * also wants the policy-gradient estimate ({@link Evaluation#gradient()}).
 */
public record Ask(float[] candidates, int count, int dimension, int episodes, float[] actionSigma) {
    public Ask {
        if (count < 1 || episodes < 1 || candidates.length != (long) count * dimension) {
            throw new IllegalArgumentException("ask holds " + candidates.length + " floats for " + count + " candidates of dimension "
                    + dimension + " over " + episodes + " episodes");
        }
    }

    /** Whether the candidates are to be evaluated as Gaussian policies with a gradient estimate. */
    public boolean stochastic() { return actionSigma != null; }

    /** Candidate i, [D] (a copy). */
    public float[] candidate(int i) {
        return java.util.Arrays.copyOfRange(candidates, i * dimension, (i + 1) * dimension);
    }
}
