package policyzip.bench;

import java.util.Arrays;

/**
 * Times a {@link Workload} the way {@code policyzip bench} reports it: verify, warm up, then {@code reps} timed
 * repetitions of at least {@code secondsPerRep} each; throughput of each repetition is items / wall time, and
 * the result keeps the median with min and max (2 noisy cores: quote medians, TOOLCHAIN.md).
 */
public final class BenchRunner {
    private BenchRunner() {}

    public record Result(String name, String description, String unit, double median, double min, double max,
                         double gflops, int reps, double[] samples) {}

    public static Result measure(Workload w, double warmupSeconds, int reps, double secondsPerRep) {
        if (reps < 1) throw new IllegalArgumentException("reps must be >= 1, got " + reps);
        if (!(secondsPerRep > 0) || !(warmupSeconds >= 0)) {
            throw new IllegalArgumentException("seconds per rep must be > 0 and warm-up >= 0");
        }
        w.verify();
        runFor(w, warmupSeconds);
        double[] samples = new double[reps];
        for (int r = 0; r < reps; r++) {
            long[] opsAndNanos = runFor(w, secondsPerRep);
            samples[r] = opsAndNanos[0] * w.itemsPerOp() / (opsAndNanos[1] / 1e9);
        }
        double[] sorted = samples.clone();
        Arrays.sort(sorted);
        double median = reps % 2 == 1 ? sorted[reps / 2] : 0.5 * (sorted[reps / 2 - 1] + sorted[reps / 2]);
        double gflops = w.flopsPerOp() > 0 ? median / w.itemsPerOp() * w.flopsPerOp() / 1e9 : 0;
        return new Result(w.name(), w.description(), w.unit(), median, sorted[0], sorted[reps - 1], gflops, reps, samples);
    }

    /** Runs whole operations until {@code seconds} have passed (at least one); returns {ops, nanos}. */
    private static long[] runFor(Workload w, double seconds) {
        long budget = (long) (seconds * 1e9);
        long t0 = System.nanoTime(), ops = 0, now;
        do {
            w.run();
            ops++;
            now = System.nanoTime();
        } while (now - t0 < budget);
        return new long[] {ops, now - t0};
    }
}
