package policyzip.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import policyzip.backend.Backend;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.bench.BenchRunner;
import policyzip.bench.Workload;
import policyzip.bench.Workloads;

/** {@code policyzip bench}: the named workloads the JMH suites also run, timed with medians. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Time named workloads (median of repetitions, standard units) and optionally write JSON.",
                "Workloads: fwd-small, fwd-medium, fwd-large, knn-20k, descriptors-medium, descriptors-large, ae-medium, ae-large,",
                "env-mountaincar, env-pendulum; MuJoCo (env threads = --threads; default where MuJoCo is set up): env-reacher,",
                "env-hopper, env-halfcheetah, env-invertedpendulum, env-swimmer, and mjstep-<env> (the bare mj_step loop of the",
                "same run); sized to fill a GPU (default with --backend cuda): gpu-fwd-small, gpu-fwd-medium, gpu-fwd-large,",
                "ae-large-512; by name only: a dataset's returns step returns-medium, returns-large, returns-large-34, and the",
                "policy backward alone bwd-medium, bwd-large, gpu-bwd-large, and ae-large-512's forward with its activations",
                "cached, gpu-fwd-large-cache.",
                "For one-core figures run under `taskset -c 0` with --threads 1."})
final class BenchCommand implements Runnable {
    @Option(names = {"-w", "--workload"}, split = ",", paramLabel = "NAME", description = "workloads to run (default: all)")
    List<String> workloads;

    @Option(names = "--reps", defaultValue = "5", description = "timed repetitions (default: ${DEFAULT-VALUE})")
    int reps;

    @Option(names = "--seconds", defaultValue = "1.0", description = "seconds per repetition (default: ${DEFAULT-VALUE})")
    double seconds;

    @Option(names = "--warmup", defaultValue = "2.0", description = "warm-up seconds per workload (default: ${DEFAULT-VALUE})")
    double warmup;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the results as JSON")
    Path json;

    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    /** Without -w: the CPU workloads, plus the MuJoCo ones where the library is set up; on a GPU, the GPU-sized ones too. */
    private static List<String> defaults(Backend be) {
        List<String> names = new ArrayList<>(Workloads.names());
        if (be.name().equals("cuda")) {
            names.addAll(Workloads.gpuNames());
        } else {
            try {
                policyzip.env.mujoco.MujocoLibrary.get();
                names.addAll(Workloads.mujocoNames());
            } catch (policyzip.env.mujoco.MujocoUnavailableException e) {
                // MuJoCo not set up: its workloads are left out of the default run (naming one with -w says why)
            }
        }
        return names;
    }

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> known = new ArrayList<>(Workloads.names());
        known.addAll(Workloads.mujocoNames());
        known.addAll(Workloads.gpuNames());
        known.addAll(Workloads.byNameOnly());
        for (String n : workloads == null ? List.<String>of() : workloads) {
            if (!known.contains(n)) throw new IllegalArgumentException("unknown workload '" + n + "'; known: " + String.join(", ", known));
        }
        List<BenchRunner.Result> results = new ArrayList<>();
        String backendName;
        double peak;
        try (Backend be = backendOptions.create()) {
            List<String> names = workloads != null && !workloads.isEmpty() ? workloads : defaults(be);
            backendName = be.describe();
            peak = be.peakGflops();
            out.println("backend " + backendName + "; " + reps + " × " + seconds + " s per workload after " + warmup + " s warm-up");
            out.printf("%-24s %12s %12s %12s %14s %9s %6s  %s%n", "workload", "median", "min", "max", "unit", "GFLOP/s", "%peak", "what");
            for (String n : names) {
                try (Workload w = Workloads.create(n, be)) {
                    BenchRunner.Result r = BenchRunner.measure(w, warmup, reps, seconds);
                    results.add(r);
                    out.printf("%-24s %12.4g %12.4g %12.4g %14s %9s %6s  %s%n", r.name(), r.median(), r.min(), r.max(), r.unit(),
                            r.gflops() > 0 ? Output.num(r.gflops()) : "-",
                            r.gflops() > 0 && peak > 0 ? String.format(java.util.Locale.ROOT, "%.1f", 100 * r.gflops() / peak) : "-",
                            r.description());
                    out.flush();
                }
            }
        }
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("when", Instant.now().toString());
            doc.put("jdk", Runtime.version().toString());
            doc.put("processors", Runtime.getRuntime().availableProcessors());
            doc.put("backend", backendName);
            if (peak > 0) doc.put("peak_gflops", peak);
            doc.put("kernels", KernelsProvider.reason());
            doc.put("results", results);
            Output.writeJson(json, doc);
            out.println("wrote " + json);
        }
    }
}
