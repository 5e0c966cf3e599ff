package policyzip.rollout;

import java.util.Arrays;

/**
 * Returns of B policies × E episodes on one task. {@code returns} and {@code lengths} are [B, E] row-major
 * (undiscounted sums of the task's rewards; steps until the first terminated or truncated step).
 * {@code states} is float32 [S, O] of kept observations (empty when none were asked for).
 */
public record RolloutResult(String envId, String task, int policies, int episodes, double[] returns, int[] lengths,
                            long envSteps, double seconds, float[] states, int obsDim) {

    /** Policy b's mean return over its episodes. */
    public double meanReturn(int b) {
        double s = 0;
        for (int e = 0; e < episodes; e++) s += returns[b * episodes + e];
        return s / episodes;
    }

    /** Mean return of every policy, [B]. */
    public double[] meanReturns() {
        double[] m = new double[policies];
        for (int b = 0; b < policies; b++) m[b] = meanReturn(b);
        return m;
    }

    /** Number of kept states. */
    public int stateCount() { return obsDim == 0 ? 0 : states.length / obsDim; }

    /** Env steps per second of wall time, policy evaluation included. */
    public double stepsPerSecond() { return envSteps / seconds; }

    /** Order statistics of the policies' mean returns: min, 10th, 50th, 90th percentile, max, and the mean. */
    public Summary summary() {
        double[] m = meanReturns();
        double mean = Arrays.stream(m).average().orElse(Double.NaN);
        Arrays.sort(m);
        return new Summary(m[0], quantile(m, 0.1), quantile(m, 0.5), quantile(m, 0.9), m[m.length - 1], mean);
    }

    public record Summary(double min, double p10, double median, double p90, double max, double mean) {}

    /** Linear interpolation between order statistics (numpy's default), on a sorted array. */
    public static double quantile(double[] sorted, double q) {
        double pos = q * (sorted.length - 1);
        int lo = (int) Math.floor(pos), hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }
}
