package policyzip.search;

import java.util.ArrayList;
import java.util.List;
import policyzip.policy.PolicyInit;
import policyzip.rollout.RolloutResult;

/**
 * One search run: a strategy, told by an evaluator, until an environment-step budget is spent. Generation g's training
 * episodes start from env seed {@code envSeed(seed, g)} and its action noise from {@code noiseSeed(seed, g)}, so a run is a
 * function of its seed. Every {@code evalEvery} generations (and before the first) the strategy's center is decoded and
 * evaluated deterministically on the fixed evaluation episodes ({@code evalEpisodes} from {@code evalSeed}); those steps
 * are not charged to the budget. The curve is that evaluation against the training steps spent; the best policy is the
 * best-evaluated center, so its return is what {@code policyzip rollout} reports for it on the same episodes.
 */
public final class SearchRun {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L, ENV_STREAM = 0x454E56L, NOISE_STREAM = 0x4E4F495345L;

    private SearchRun() {}

    /** A point of a learning curve: training env steps spent, the center's evaluation, the generation's mean fitness. */
    public record Point(long envSteps, int generation, double evalReturn, double meanFitness) {}

    /** A finished run. */
    public record Result(String method, long seed, List<Point> curve, float[] bestTheta, double bestReturn, long envSteps, double seconds) {
        /** The final evaluation. */
        public double finalReturn() { return curve.get(curve.size() - 1).evalReturn(); }

        /** Training steps at the first evaluation that reached {@code threshold}, or -1. */
        public long stepsToReach(double threshold) {
            for (Point p : curve) if (p.evalReturn() >= threshold) return p.envSteps();
            return -1;
        }
    }

    /** How a run is measured. */
    public record Settings(long envStepBudget, int evalEvery, int evalEpisodes, long evalSeed) {
        public Settings {
            if (envStepBudget < 1 || evalEvery < 1 || evalEpisodes < 1 || evalSeed < 0) {
                throw new IllegalArgumentException("need an env-step budget >= 1, eval every >= 1 generation, eval episodes >= 1 and an eval seed >= 0; got "
                        + envStepBudget + ", " + evalEvery + ", " + evalEpisodes + ", " + evalSeed);
            }
        }
    }

    /** Progress: training env steps spent so far and the latest evaluation. */
    @FunctionalInterface
    public interface Listener {
        void onEval(long envSteps, double evalReturn);
    }

    /** Runs {@code strategy} to the budget. */
    public static Result run(SearchStrategy strategy, Evaluator ev, Settings s, long seed, Listener listener) {
        long t0 = System.nanoTime();
        List<Point> curve = new ArrayList<>();
        float[] best = null;
        double bestReturn = Double.NEGATIVE_INFINITY;
        long steps = 0;
        double meanFitness = Double.NaN;
        for (int g = 0; ; g++) {
            if (g % s.evalEvery() == 0 || steps >= s.envStepBudget()) {
                float[] theta = ev.space().decode(strategy.center(), 1);
                RolloutResult r = ev.evaluatePoint(theta, s.evalEpisodes(), s.evalSeed());
                double ret = r.meanReturn(0);
                curve.add(new Point(steps, g, ret, meanFitness));
                if (ret > bestReturn) {
                    bestReturn = ret;
                    best = theta;
                }
                if (listener != null) listener.onEval(steps, ret);
            }
            if (steps >= s.envStepBudget()) break;
            Ask ask = strategy.ask();
            Evaluation e = ev.evaluate(ask, envSeed(seed, g), noiseSeed(seed, g));
            strategy.tell(e);
            steps += e.envSteps();
            double sum = 0;
            for (double f : e.fitness()) sum += f;
            meanFitness = sum / e.fitness().length;
        }
        return new Result(strategy.name(), seed, curve, best, bestReturn, steps, (System.nanoTime() - t0) / 1e9);
    }

    /** Env seed of generation g's training episodes: non-negative (numpy's requirement), 31 bits. */
    static long envSeed(long seed, int g) {
        return PolicyInit.mix64((seed ^ ENV_STREAM) + (g + 1L) * GOLDEN) >>> 33;
    }

    static long noiseSeed(long seed, int g) {
        return PolicyInit.mix64((seed ^ NOISE_STREAM) + (g + 1L) * GOLDEN);
    }
}
