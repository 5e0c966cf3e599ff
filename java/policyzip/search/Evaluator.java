package policyzip.search;

import policyzip.backend.Backend;
import policyzip.rollout.Rollout;
import policyzip.rollout.RolloutResult;
import policyzip.rollout.Trajectories;

/**
 * Evaluates an {@link Ask} on one task: decodes its candidates through the {@link PolicySpace} and runs them as one batch
 * through the rollout engine (every candidate meets the same episodes, reset from {@code envSeed + e}). A stochastic ask
 * runs Gaussian policies and adds the REINFORCE gradient, carried back from θ to the candidates by the space's backward.
 */
public final class Evaluator {
    private final Backend be;
    private final PolicySpace space;
    private final Rollout rollout;
    private final String task;
    private final ReinforceConfig.Baseline baseline;
    private final double gamma;

    /** An evaluator of {@code space}'s points on {@code env}'s {@code task}; the baseline and γ serve stochastic asks. */
    public Evaluator(Backend be, PolicySpace space, String env, String task, ReinforceConfig.Baseline baseline, double gamma) {
        this.be = be;
        this.space = space;
        this.rollout = new Rollout(be, env, space.policy());
        this.task = rollout.env().checkTask(task);
        this.baseline = baseline;
        this.gamma = gamma;
    }

    /** An evaluator with REINFORCE's default baseline and γ ({@link ReinforceConfig#defaults()}). */
    public Evaluator(Backend be, PolicySpace space, String env, String task) {
        this(be, space, env, task, ReinforceConfig.defaults().baseline(), ReinforceConfig.defaults().gamma());
    }

    public Rollout rollout() { return rollout; }
    public String task() { return task; }
    public PolicySpace space() { return space; }

    /** Fitness (and, for a stochastic ask, gradients) of the ask's candidates; noise from {@code noiseSeed}. */
    public Evaluation evaluate(Ask ask, long envSeed, long noiseSeed) {
        int n = ask.count();
        float[] thetas = space.decode(ask.candidates(), n);
        if (!ask.stochastic()) {
            RolloutResult r = rollout.run(thetas, n, task, ask.episodes(), envSeed, 0, null);
            return new Evaluation(r.meanReturns(), null, null, r.envSteps());
        }
        int a = rollout.env().actDim();
        if (ask.actionSigma().length != a) {
            throw new IllegalArgumentException("action σ has " + ask.actionSigma().length + " entries; the env has A = " + a);
        }
        float[] sigma = new float[n * a];
        for (int i = 0; i < n; i++) System.arraycopy(ask.actionSigma(), 0, sigma, i * a, a);
        Trajectories tr = rollout.runGaussian(thetas, n, task, ask.episodes(), envSeed, sigma, noiseSeed, null);
        PolicyGradient.Result g = PolicyGradient.estimate(be, space.policy(), thetas, tr, baseline, gamma);
        float[] dx = space.backward(ask.candidates(), n, g.dTheta());
        return new Evaluation(tr.result().meanReturns(), dx, g.dLogSigma(), tr.result().envSteps());
    }

    /** The deterministic returns of one policy θ [P] over {@code episodes} episodes from env seed {@code seed}. */
    public RolloutResult evaluatePoint(float[] theta, int episodes, long seed) {
        return rollout.run(theta, 1, task, episodes, seed, 0, null);
    }
}
