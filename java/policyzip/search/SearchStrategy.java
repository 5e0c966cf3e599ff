package policyzip.search;

/**
 * A search method as ask/tell (SPEC.md section 2, step 4; the evosax pattern): {@link #ask} gives the candidates to
 * evaluate next, {@link #tell} takes their evaluation. A run is (strategy, its config, its state, a seed); every random
 * number comes from a counter-based stream of that seed, so the same seed gives the same run on any thread count.
 *
 * <p>Fitness is maximised (it is an episode return). Candidates are points of a {@link PolicySpace}: latent codes z
 * [K] or standardised parameters [P]. Used by {@link SearchRun} and the CLI, and directly by embedders.
 */
public interface SearchStrategy extends AutoCloseable {
    /** The method's name as the CLI spells it ("pgpe", "reinforce", "param-pgpe"). */
    String name();

    /** D, the dimension of the search space. */
    int dimension();

    /** The next candidates: [n, D] and how to evaluate them. Call {@link #tell} before asking again. */
    Ask ask();

    /** The evaluation of the last {@link #ask}'s candidates, in their order. */
    void tell(Evaluation evaluation);

    /** Convenience for methods that need fitness only: {@code tell(Evaluation.of(fitness))}. */
    default void tell(double[] fitness) { tell(Evaluation.of(fitness)); }

    /** The current estimate of the best point, [D] (the search distribution's mean). */
    float[] center();

    /** Generations told so far. */
    int generation();

    /** Frees the optimiser's buffers. */
    @Override default void close() {}
}
