package policyzip.cli;

import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import policyzip.backend.Backend;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;
import policyzip.rollout.Rollout;
import policyzip.rollout.RolloutResult;

/**
 * {@code policyzip demo}: what the engine does so far, on MountainCar with no downloads. Random medium policies
 * from the prior are evaluated in one batch on every MountainCar task; the demo shows how their returns spread
 * (the behavioural diversity the compression will have to keep) and how fast the engine evaluates them.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Evaluate random MountainCar policies in batch: the spread of their returns and the throughput.")
final class DemoCommand implements Runnable {
    @Option(names = "--policies", defaultValue = "2000", description = "random policies (default: ${DEFAULT-VALUE})")
    int policies;

    @Option(names = "--size", defaultValue = "medium", description = "policy size (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--episodes", defaultValue = "2", description = "episodes per policy (default: ${DEFAULT-VALUE})")
    int episodes;

    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (policies < 1 || episodes < 1) throw new IllegalArgumentException("--policies and --episodes must be >= 1");
        EnvSpec e = Envs.spec("mountaincar");
        MlpSpec mlp = MlpSpec.of(size, e.obsDim(), e.actDim(), Activation.RELU, e.policyOutputScale());
        long[] seeds = new long[policies];
        for (int i = 0; i < policies; i++) seeds[i] = i;
        float[] thetas = PolicyInit.initialize(mlp, seeds);
        out.printf(Locale.ROOT, "PolicyZip demo: %d random %s policies (%s, %,d parameters each) on %s, %d episode%s each.%n",
                policies, size, mlp.describe(), mlp.paramCount(), e.id(), episodes, episodes == 1 ? "" : "s");
        Map<String, RolloutResult> results = new LinkedHashMap<>();
        long evals = 0;
        double seconds = 0;
        try (Backend be = backendOptions.create()) {
            Rollout rollout = new Rollout(be, "mountaincar", mlp);
            try (Progress bar = new Progress(err, "all tasks", (long) policies * episodes * e.maxEpisodeSteps(), "steps")) {
                results.putAll(rollout.runAllTasks(thetas, policies, episodes, 0, (done, total) -> bar.update(done)));
            }
            RolloutResult any = results.values().iterator().next();
            evals = any.envSteps();
            seconds = any.seconds();
            out.println("backend: " + be.describe());
        }
        out.println();
        out.println("Returns per task (each policy's mean over its episodes):");
        RolloutCommand.printTable(out, results);
        out.println();
        RolloutResult goal = results.get("goal");
        double[] m = goal.meanReturns();
        long solved = Arrays.stream(m).filter(v -> v > 0).count();
        out.println("Histogram of 'goal' returns:");
        histogram(out, m, 12);
        out.println();
        RolloutResult.Summary height = results.get("height").summary();
        RolloutResult.Summary g = goal.summary();
        out.printf(Locale.ROOT, "%d of %d random policies (%.1f%%) reach the goal. Their behaviour still differs: the highest point%n"
                        + "they reach (task 'height', max of sin 3x) ranges from %s to %s, and their 'goal' returns from %s to %s.%n"
                        + "That diversity, drawn without any reward, is what the later stages (novelty search, the behavioural%n"
                        + "autoencoder) will compress.%n",
                solved, policies, 100.0 * solved / policies, Output.num(height.min()), Output.num(height.max()),
                Output.num(g.min()), Output.num(g.max()));
        out.printf(Locale.ROOT, "Throughput: %,d policy-env steps (all four tasks from one pass) in %.2f s = %s steps/s, policy forward included.%n",
                evals, seconds, Output.num(evals / seconds));
    }

    /** A text histogram with {@code bins} equal-width bins over [min, max]. */
    static void histogram(PrintWriter out, double[] v, int bins) {
        double lo = Arrays.stream(v).min().orElse(0), hi = Arrays.stream(v).max().orElse(0);
        if (hi <= lo) {
            out.printf("  all %d values = %s%n", v.length, Output.num(lo));
            return;
        }
        int[] count = new int[bins];
        for (double x : v) count[Math.min(bins - 1, (int) ((x - lo) / (hi - lo) * bins))]++;
        int peak = Arrays.stream(count).max().orElse(1);
        for (int b = 0; b < bins; b++) {
            double a = lo + (hi - lo) * b / bins, z = lo + (hi - lo) * (b + 1) / bins;
            out.printf("  [%9s, %9s) %6d %s%n", Output.num(a), Output.num(z), count[b], "#".repeat((int) Math.ceil(40.0 * count[b] / peak)));
        }
    }
}
