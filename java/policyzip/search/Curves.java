package policyzip.search;

import java.util.Arrays;
import java.util.List;
import policyzip.rollout.RolloutResult;

/**
 * Learning curves over seeds: each run's evaluations as a step function of training env steps (the latest evaluation at
 * or before x), sampled on a common grid, then their mean and order statistics per grid point.
 */
public final class Curves {
    private Curves() {}

    /** One method's curves over its seeds, on the grid {@code steps}. */
    public record Band(String method, int runs, double[] steps, double[] mean, double[] min, double[] q25, double[] median, double[] q75,
                       double[] max) {}

    /** The runs of one method on a grid of {@code points} from 0 to {@code budget} env steps. */
    public static Band aggregate(String method, List<SearchRun.Result> runs, long budget, int points) {
        if (runs.isEmpty() || points < 2) throw new IllegalArgumentException("need at least one run and two grid points");
        double[] x = new double[points], mean = new double[points], min = new double[points], q25 = new double[points],
                med = new double[points], q75 = new double[points], max = new double[points];
        double[] v = new double[runs.size()];
        for (int i = 0; i < points; i++) {
            x[i] = (double) budget * i / (points - 1);
            for (int r = 0; r < runs.size(); r++) v[r] = valueAt(runs.get(r).curve(), x[i]);
            Arrays.sort(v);
            mean[i] = Arrays.stream(v).average().orElse(Double.NaN);
            min[i] = v[0];
            q25[i] = RolloutResult.quantile(v, 0.25);
            med[i] = RolloutResult.quantile(v, 0.5);
            q75[i] = RolloutResult.quantile(v, 0.75);
            max[i] = v[v.length - 1];
        }
        return new Band(method, runs.size(), x, mean, min, q25, med, q75, max);
    }

    /** The latest evaluation at or before {@code steps} (the first one if none is). */
    static double valueAt(List<SearchRun.Point> curve, double steps) {
        double v = curve.get(0).evalReturn();
        for (SearchRun.Point p : curve) {
            if (p.envSteps() > steps) break;
            v = p.evalReturn();
        }
        return v;
    }

    /**
     * The level "90 % of the best return": {@code fraction · best} for a positive best, and {@code best − (1 − fraction)·|best|}
     * otherwise (within 10 % of it), so that the level never lies above the best.
     */
    public static double threshold(double best, double fraction) {
        return best > 0 ? fraction * best : best - (1 - fraction) * Math.abs(best);
    }
}
