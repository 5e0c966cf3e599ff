package policyzip.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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

/** {@code policyzip rollout}: returns of random (or given) policies on every task of an env. */
@Command(name = "rollout", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Evaluate policies on an environment's tasks and print the spread of their returns.",
                "Policies are random draws from the prior (seeds FIRST-SEED ..) or float32 parameters from --theta."})
final class RolloutCommand implements Runnable {
    @Option(names = "--env", defaultValue = "mountaincar", description = "environment (default: ${DEFAULT-VALUE}); see `policyzip info`")
    String env;

    @Option(names = "--task", description = "one task (default: every task of the env)")
    String task;

    @Option(names = "--size", defaultValue = "medium", description = "policy size: small, medium, large or hidden sizes like 64-64 (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--activation", defaultValue = "relu", description = "hidden activation: relu or tanh (default: ${DEFAULT-VALUE})")
    String activation;

    @Option(names = "--policies", defaultValue = "256", description = "number of random policies B (default: ${DEFAULT-VALUE})")
    int policies;

    @Option(names = "--first-seed", defaultValue = "0", description = "seed of the first random policy; policy i has seed FIRST-SEED + i (default: ${DEFAULT-VALUE})")
    long firstSeed;

    @Option(names = "--theta", paramLabel = "FILE", description = "evaluate these policies instead: raw little-endian float32 [B, P]")
    Path thetaFile;

    @Option(names = "--episodes", defaultValue = "1", description = "episodes E per policy (default: ${DEFAULT-VALUE})")
    int episodes;

    @Option(names = "--seed", defaultValue = "0", description = "env seed: episode e starts from reset(seed + e) (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--json", paramLabel = "FILE", description = "also write the per-policy returns as JSON")
    Path json;

    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        EnvSpec e = Envs.spec(env);
        MlpSpec mlp = MlpSpec.of(size, e.obsDim(), e.actDim(), Activation.parse(activation), e.policyOutputScale());
        if (episodes < 1) throw new IllegalArgumentException("--episodes must be >= 1, got " + episodes);
        float[] thetas;
        int batch;
        if (thetaFile != null) {
            thetas = readTheta(thetaFile, mlp);
            batch = thetas.length / mlp.paramCount();
        } else {
            if (policies < 1) throw new IllegalArgumentException("--policies must be >= 1, got " + policies);
            batch = policies;
            long[] seeds = new long[batch];
            for (int i = 0; i < batch; i++) seeds[i] = firstSeed + i;
            thetas = PolicyInit.initialize(mlp, seeds);
        }
        List<String> tasks = task == null ? e.tasks() : List.of(e.checkTask(task));
        out.printf("%s, %d policies %s × %d episode%s, tasks %s%n", e.id(), batch, mlp.describe(), episodes, episodes == 1 ? "" : "s",
                String.join(", ", tasks));
        Map<String, RolloutResult> results = new LinkedHashMap<>();
        try (Backend be = backendOptions.create()) {
            Rollout rollout = new Rollout(be, env, mlp);
            try (Progress bar = new Progress(err, task == null ? "all tasks" : task, (long) batch * episodes * e.maxEpisodeSteps(), "steps")) {
                if (task == null) results.putAll(rollout.runAllTasks(thetas, batch, episodes, seed, (done, total) -> bar.update(done)));
                else results.put(task, rollout.run(thetas, batch, task, episodes, seed, 0, (done, total) -> bar.update(done)));
            }
            out.println("backend " + be.describe());
        }
        printTable(out, results);
        if (json != null) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("env", e.id());
            doc.put("policy", mlp.describe());
            doc.put("policies", batch);
            doc.put("episodes", episodes);
            doc.put("env_seed", seed);
            if (thetaFile == null) doc.put("first_policy_seed", firstSeed);
            else doc.put("theta_file", thetaFile.toString());
            Map<String, Object> per = new LinkedHashMap<>();
            for (var r : results.values()) {
                Map<String, Object> t = new LinkedHashMap<>();
                t.put("summary", r.summary());
                t.put("mean_returns", r.meanReturns());
                t.put("env_steps", r.envSteps());
                t.put("seconds", r.seconds());
                per.put(r.task(), t);
            }
            doc.put("tasks", per);
            Output.writeJson(json, doc);
            out.println("wrote " + json);
        }
    }

    static void printTable(PrintWriter out, Map<String, RolloutResult> results) {
        out.printf("%-8s %10s %10s %10s %10s %10s %10s %6s%n", "task", "min", "p10", "median", "p90", "max", "mean", "best");
        for (RolloutResult r : results.values()) {
            RolloutResult.Summary s = r.summary();
            double[] m = r.meanReturns();
            int best = 0;
            for (int b = 1; b < m.length; b++) if (m[b] > m[best]) best = b;
            out.printf("%-8s %10s %10s %10s %10s %10s %10s %6d%n", r.task(), Output.num(s.min()), Output.num(s.p10()),
                    Output.num(s.median()), Output.num(s.p90()), Output.num(s.max()), Output.num(s.mean()), best);
        }
        RolloutResult first = results.values().iterator().next();
        out.printf("%s env steps in %.2f s: %s env-steps/s, policy forward included%n", Output.num(first.envSteps()), first.seconds(),
                Output.num(first.stepsPerSecond()));
    }

    /** Raw little-endian float32 [B, P]; refuses a length that is not a whole number of policies, and non-finite values. */
    static float[] readTheta(Path file, MlpSpec mlp) {
        long bytes;
        byte[] raw;
        try {
            bytes = Files.size(file);
            long p = mlp.paramCount();
            if (bytes == 0 || bytes % (4 * p) != 0) {
                throw new IllegalArgumentException(file + ": " + bytes + " bytes is not a whole number of " + mlp.describe()
                        + " policies (" + 4 * p + " bytes each, little-endian float32); check --size and --env");
            }
            if (bytes > Integer.MAX_VALUE - 8) throw new IllegalArgumentException(file + ": too large for --theta (" + bytes + " bytes)");
            raw = Files.readAllBytes(file);
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot read " + file + ": " + ex.getMessage());
        }
        float[] t = new float[raw.length / 4];
        ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(t);
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < t.length && bad.size() < 3; i++) {
            if (!Float.isFinite(t[i])) bad.add(String.format(Locale.ROOT, "policy %d index %d = %s", i / mlp.paramCount(), i % mlp.paramCount(), t[i]));
        }
        if (!bad.isEmpty()) throw new IllegalArgumentException(file + ": non-finite parameters (" + String.join("; ", bad) + ")");
        return t;
    }
}
