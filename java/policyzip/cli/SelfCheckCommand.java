package policyzip.cli;

import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import policyzip.backend.Backend;
import policyzip.ae.TrainingTwin;
import policyzip.backend.TwinCheck;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;

/**
 * {@code policyzip selfcheck}: the backend against its CPU twin on fresh random inputs ({@link TwinCheck}), so that a
 * GPU machine without Maven can run the kernel tests from the jar alone. Exit status 1 when a case fails.
 */
@Command(name = "selfcheck", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Compare the backend's kernels with the scalar CPU backend on fresh random inputs (outputs poisoned",
                "first; relative error ‖got − want‖/‖want‖ under 1e-5, for the dense layers ‖got − want‖/‖Σ|terms|‖ as their sums",
                "may run in another order; θ from seeds bit-identical), then 100 autoencoder training",
                "steps on it and on the CPU from the same seed (loss curves within 1e-5 over 20 steps, 1e-2 over all). Exit status 1 on a failure."})
final class SelfCheckCommand implements Callable<Integer> {
    @Option(names = "--seed", paramLabel = "S", description = "seed of the random inputs (default: the clock, printed)")
    Long seed;

    @Option(names = "--quick", description = "fewer sizes, and the small training run")
    boolean quick;

    @Option(names = "--no-training", description = "skip the training comparison (100 autoencoder steps here and on the CPU)")
    boolean noTraining;

    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    @Override public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        long s = seed != null ? seed : System.nanoTime();
        try (Backend be = backendOptions.create()) {
            out.println("selfcheck of " + be.name() + " (" + be.describe() + ") against cpu-scalar, seed " + s);
            out.printf("%-26s %-12s %-10s %s%n", "operation", "rel. error", "tolerance", "case");
            List<TwinCheck.Result> results = TwinCheck.run(be, s, quick, r -> {
                out.printf("%-26s %-12.2e %-10.0e %s%s%n", r.op(), r.relError(), r.tolerance(), r.what(), r.passed() ? "" : "   FAILED");
                out.flush();
            });
            long failed = results.stream().filter(r -> !r.passed()).count();
            double worst = results.stream().filter(r -> r.tolerance() > 0).mapToDouble(TwinCheck.Result::relError).max().orElse(0);
            out.println(results.size() + " cases, " + failed + " failed; largest relative error " + String.format("%.2e", worst));
            boolean trained = true;
            if (!noTraining) {
                TrainingTwin.Setup setup = quick ? TrainingTwin.SMALL : TrainingTwin.MEDIUM;
                out.println("training: " + setup.describe() + " on " + be.name() + " and on cpu-scalar, seed " + TrainingTwin.SEED + " ...");
                out.flush();
                TrainingTwin.Result t;
                try (CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
                    t = TrainingTwin.run(be, ref, setup, TrainingTwin.SEED);
                }
                out.println("training: " + t);
                trained = t.passed();
            }
            return failed == 0 && trained ? 0 : 1;
        }
    }
}
