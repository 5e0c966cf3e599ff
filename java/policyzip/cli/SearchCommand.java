package policyzip.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import policyzip.ae.Checkpoint;
import policyzip.backend.Backend;
import policyzip.dataset.Dataset;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.eval.Plots;
import policyzip.io.ArrayFile;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.search.Curves;
import policyzip.search.Evaluator;
import policyzip.search.LatentReinforce;
import policyzip.search.ParamPgpe;
import policyzip.search.Pgpe;
import policyzip.search.PgpeConfig;
import policyzip.search.PolicySpace;
import policyzip.search.ReinforceConfig;
import policyzip.search.SearchRun;
import policyzip.search.SearchStrategy;

/** {@code policyzip search}: solve a task by searching a frozen decoder's latent space, or θ directly as the baseline. */
@Command(name = "search", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Latent policy search (SPEC.md section 2, step 4): PGPE and REINFORCE in the latent space of a trained",
                "autoencoder (decoder frozen), and PGPE on the parameters θ as the baseline, over several seeds.",
                "Writes learning curves (return against env steps, mean and spread over seeds) as JSON, CSV and PNG,",
                "and each method's best policy as raw float32 θ that `policyzip rollout --theta` replays."})
final class SearchCommand implements Runnable {
    @Option(names = {"-c", "--checkpoint"}, paramLabel = "FILE", description = "trained autoencoder (policyzip train); needed by pgpe and reinforce")
    Path checkpoint;
    @Option(names = {"-d", "--dataset"}, paramLabel = "FILE", description = "its dataset, for the start point and σ0 (default: the path the checkpoint records)")
    Path dataset;
    @Option(names = "--method", defaultValue = "pgpe,reinforce,param-pgpe", split = ",",
            description = "methods, comma-separated: pgpe, reinforce, param-pgpe (default: ${DEFAULT-VALUE})")
    List<String> methods;
    @Option(names = "--task", description = "task (default: the env's standard task)")
    String task;
    @Option(names = "--seeds", defaultValue = "10", description = "runs per method, seeds FIRST-SEED.. (default: ${DEFAULT-VALUE})")
    int seeds;
    @Option(names = "--first-seed", defaultValue = "0", description = "seed of the first run (default: ${DEFAULT-VALUE})")
    long firstSeed;
    @Option(names = "--env-steps", defaultValue = "500000", description = "training env steps per run (default: ${DEFAULT-VALUE})")
    long budget;
    @Option(names = "--env", description = "without --checkpoint (param-pgpe only): the env (default: mountaincar)")
    String env;
    @Option(names = "--size", defaultValue = "medium", description = "without --checkpoint: policy size (default: ${DEFAULT-VALUE})")
    String size;

    @Option(names = "--latent-units", defaultValue = "spread",
            description = "latent coordinates the methods move in: spread (z standardised by the encoded dataset's mean and spread)"
                    + " or raw (z itself) (default: ${DEFAULT-VALUE})")
    String latentUnits;

    @Option(names = "--population", defaultValue = "20", description = "PGPE population, even (default: ${DEFAULT-VALUE})")
    int population;
    @Option(names = "--lr", defaultValue = "0.15", description = "PGPE Adam learning rate of the mean (default: ${DEFAULT-VALUE})")
    float lr;
    @Option(names = "--sigma-lr", defaultValue = "0.1", description = "PGPE σ learning rate (default: ${DEFAULT-VALUE})")
    float sigmaLr;
    @Option(names = "--sigma-max-change", defaultValue = "0.2", description = "PGPE largest relative σ change a generation (default: ${DEFAULT-VALUE})")
    float sigmaMaxChange;
    @Option(names = "--sigma-init", defaultValue = "0.1", description = "PGPE σ0 as a multiple of the per-dimension spread (default: ${DEFAULT-VALUE})")
    float sigmaInit;
    @Option(names = "--fitness", defaultValue = "zscore", description = "PGPE fitness shaping: zscore, rank or raw (default: ${DEFAULT-VALUE})")
    String shaping;
    @Option(names = "--episodes", defaultValue = "1", description = "PGPE episodes per candidate (default: ${DEFAULT-VALUE})")
    int episodes;

    @Option(names = "--reinforce-episodes", defaultValue = "10", description = "REINFORCE episodes per iteration (default: ${DEFAULT-VALUE})")
    int reinforceEpisodes;
    @Option(names = "--reinforce-lr", defaultValue = "0.05", description = "REINFORCE Adam learning rate of z (default: ${DEFAULT-VALUE})")
    float reinforceLr;
    @Option(names = "--action-sigma", defaultValue = "0.3", description = "REINFORCE Gaussian action σ (initial, if learned) (default: ${DEFAULT-VALUE})")
    float actionSigma;
    @Option(names = "--fixed-sigma", description = "REINFORCE: keep the action σ fixed instead of learning log σ")
    boolean fixedSigma;
    @Option(names = "--action-sigma-lr", defaultValue = "0.01", description = "REINFORCE Adam learning rate of log σ (default: ${DEFAULT-VALUE})")
    float actionSigmaLr;
    @Option(names = "--baseline", defaultValue = "time", description = "REINFORCE baseline: time (leave-one-out mean reward-to-go per step) or none (default: ${DEFAULT-VALUE})")
    String baseline;
    @Option(names = "--gamma", defaultValue = "1", description = "REINFORCE discount of the reward-to-go (default: ${DEFAULT-VALUE})")
    double gamma;

    @Option(names = "--eval-every", defaultValue = "1", description = "generations between evaluations of the current policy (default: ${DEFAULT-VALUE})")
    int evalEvery;
    @Option(names = "--eval-episodes", defaultValue = "5", description = "episodes of each evaluation (default: ${DEFAULT-VALUE})")
    int evalEpisodes;
    @Option(names = "--eval-seed", defaultValue = "1000000", description = "env seed of the evaluation episodes (default: ${DEFAULT-VALUE})")
    long evalSeed;
    @Option(names = "--fraction", defaultValue = "0.9", description = "report env steps to reach this fraction of the best return (default: ${DEFAULT-VALUE})")
    double fraction;
    @Option(names = "--grid", defaultValue = "50", description = "points of the curves in the CSV and plot (default: ${DEFAULT-VALUE})")
    int grid;
    @Option(names = {"-o", "--out"}, paramLabel = "PREFIX", description = "output prefix (default: search-TASK in the current folder)")
    Path outPrefix;
    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (seeds < 1) throw new IllegalArgumentException("--seeds must be >= 1, got " + seeds);
        if (!(fraction > 0 && fraction <= 1)) throw new IllegalArgumentException("--fraction must be in (0, 1], got " + fraction);
        if (grid < 2) throw new IllegalArgumentException("--grid must be >= 2, got " + grid);
        List<String> names = methods.stream().map(m -> m.strip().toLowerCase(Locale.ROOT)).distinct().toList();
        for (String m : names) {
            if (!List.of("pgpe", "reinforce", ParamPgpe.NAME).contains(m)) {
                throw new IllegalArgumentException("unknown method '" + m + "': expected pgpe, reinforce or param-pgpe");
            }
            if (!m.equals(ParamPgpe.NAME) && checkpoint == null) {
                throw new IllegalArgumentException("method " + m + " searches a latent space: pass --checkpoint (policyzip train)");
            }
        }
        boolean standardised = switch (latentUnits.toLowerCase(Locale.ROOT)) {
            case "spread" -> true;
            case "raw" -> false;
            default -> throw new IllegalArgumentException("unknown --latent-units '" + latentUnits + "': expected spread or raw");
        };
        PgpeConfig pgpe = new PgpeConfig(population, lr, sigmaLr, sigmaMaxChange, sigmaInit, PgpeConfig.Shaping.parse(shaping), episodes);
        ReinforceConfig rf = new ReinforceConfig(reinforceEpisodes, reinforceLr, actionSigma, !fixedSigma, actionSigmaLr,
                ReinforceConfig.Baseline.parse(baseline), gamma);
        SearchRun.Settings settings = new SearchRun.Settings(budget, evalEvery, evalEpisodes, evalSeed);
        Checkpoint ck = checkpoint == null ? null : Checkpoint.read(checkpoint);
        Dataset ds = ck == null ? null : Dataset.open(dataset != null ? dataset : recordedDataset(checkpoint, ck));
        EnvSpec e = ds != null ? ds.env() : Envs.spec(env == null ? "mountaincar" : env);
        if (ds != null && env != null && !Envs.spec(env).equals(e)) {
            throw new IllegalArgumentException("--env " + env + " does not match the checkpoint's env " + e.name());
        }
        String t = e.checkTask(task == null ? e.defaultTask() : task);
        MlpSpec mlp = ck != null ? ck.policy() : MlpSpec.of(size, e.obsDim(), e.actDim(), Activation.RELU, e.policyOutputScale());
        Path prefix = outPrefix != null ? outPrefix : Path.of("search-" + t);

        Map<String, List<SearchRun.Result>> results = new LinkedHashMap<>();
        try (Backend be = backendOptions.create();
             PolicySpace.Latent latent = ck == null ? null : PolicySpace.latent(be, ck, ds, Math.max(population, 1), standardised)) {
            out.printf(Locale.ROOT, "%s '%s', policies %s%s; %d seed%s × %s env steps per method%n", e.id(), t, mlp.describe(),
                    latent == null ? "" : ", latent K=" + latent.dimension() + " (encoded dataset: mean " + Arrays.toString(latent.latentMean())
                            + ", spread " + Arrays.toString(latent.latentSpread()) + "; search in " + (standardised ? "spread units" : "raw z") + ")",
                    seeds, seeds == 1 ? "" : "s", Output.num(budget));
            long total = (long) names.size() * seeds * budget;
            try (Progress bar = new Progress(err, "search", total, "env steps")) {
                int done = 0;
                for (String m : names) {
                    List<SearchRun.Result> runs = new ArrayList<>();
                    for (int s = 0; s < seeds; s++) {
                        long seed = firstSeed + s;
                        try (PolicySpace.Parameters params = m.equals(ParamPgpe.NAME)
                                ? (latent != null ? PolicySpace.parameters(ck, latent.decode(latent.start(), 1)) : PolicySpace.prior(mlp, seed))
                                : null) {
                            PolicySpace space = params != null ? params : latent;
                            Evaluator ev = new Evaluator(be, space, e.name(), t, rf.baseline(), rf.gamma());
                            long base = (long) done * budget;
                            bar.extra(m + " seed " + seed);
                            try (SearchStrategy st = switch (m) {
                                case "pgpe" -> Pgpe.of(be, "pgpe", pgpe, space, seed);
                                case "reinforce" -> new LatentReinforce(be, rf, space.start(), e.actDim());
                                default -> ParamPgpe.of(be, pgpe, params, seed);
                            }) {
                                runs.add(SearchRun.run(st, ev, settings, seed, (steps, ret) -> bar.update(base + Math.min(steps, budget))));
                            }
                        }
                        done++;
                    }
                    results.put(m, runs);
                }
            }
        }
        report(out, err, prefix, e, t, mlp, results);
    }

    private void report(PrintWriter out, PrintWriter err, Path prefix, EnvSpec e, String t, MlpSpec mlp, Map<String, List<SearchRun.Result>> results) {
        double best = results.values().stream().flatMap(List::stream).mapToDouble(SearchRun.Result::bestReturn).max().orElseThrow();
        double level = Curves.threshold(best, fraction);
        out.printf(Locale.ROOT, "best return found by any method %s; level %.0f %%: %s (evaluation: %d episodes from env seed %d)%n",
                Output.num(best), fraction * 100, Output.num(level), evalEpisodes, evalSeed);
        out.printf("%-11s %5s %11s %11s %11s %11s %15s %8s%n", "method", "runs", "final mean", "final min", "final max", "best", "steps to level", "reached");
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("env", e.id());
        doc.put("task", t);
        doc.put("policy", mlp.describe());
        doc.put("checkpoint", checkpoint == null ? null : checkpoint.toString());
        doc.put("env_steps_per_run", budget);
        doc.put("latent_units", latentUnits);
        doc.put("evaluation", Map.of("episodes", evalEpisodes, "env_seed", evalSeed, "every", evalEvery));
        doc.put("options", spec.commandLine().getParseResult().originalArgs());
        doc.put("best_return", best);
        doc.put("fraction", fraction);
        doc.put("level", level);
        Map<String, Object> per = new LinkedHashMap<>();
        List<Curves.Band> bands = new ArrayList<>();
        StringBuilder csv = new StringBuilder("method,env_steps,mean,min,q25,median,q75,max\n");
        StringBuilder runsCsv = new StringBuilder("method,seed,generation,env_steps,eval_return,mean_fitness\n");
        String hidden = Arrays.stream(hiddenSizes(mlp)).mapToObj(Integer::toString).collect(Collectors.joining("-"));
        for (var entry : results.entrySet()) {
            String m = entry.getKey();
            List<SearchRun.Result> runs = entry.getValue();
            Curves.Band band = Curves.aggregate(m, runs, budget, grid);
            bands.add(band);
            for (int i = 0; i < grid; i++) {
                csv.append(String.format(Locale.ROOT, "%s,%.0f,%s,%s,%s,%s,%s,%s%n", m, band.steps()[i], band.mean()[i], band.min()[i],
                        band.q25()[i], band.median()[i], band.q75()[i], band.max()[i]));
            }
            long[] reach = runs.stream().mapToLong(r -> r.stepsToReach(level)).toArray();
            long[] reached = Arrays.stream(reach).filter(x -> x >= 0).sorted().toArray();
            double median = reached.length == 0 ? Double.NaN : reached.length % 2 == 1 ? reached[reached.length / 2]
                    : (reached[reached.length / 2 - 1] + reached[reached.length / 2]) / 2.0;
            double[] fin = runs.stream().mapToDouble(SearchRun.Result::finalReturn).toArray();
            SearchRun.Result top = runs.stream().max((a, b) -> Double.compare(a.bestReturn(), b.bestReturn())).orElseThrow();
            Path theta = prefix.resolveSibling(prefix.getFileName() + "." + m + ".best.f32");
            writeTheta(theta, top.bestTheta());
            out.printf("%-11s %5d %11s %11s %11s %11s %15s %8s%n", m, runs.size(), Output.num(Arrays.stream(fin).average().orElseThrow()),
                    Output.num(Arrays.stream(fin).min().orElseThrow()), Output.num(Arrays.stream(fin).max().orElseThrow()), Output.num(top.bestReturn()),
                    reached.length == 0 ? "–" : Output.num(median), reached.length + "/" + runs.size());
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("steps_to_level_median", reached.length == 0 ? null : median);
            o.put("steps_to_level", reach);
            o.put("reached", reached.length);
            o.put("final_returns", fin);
            o.put("best_return", top.bestReturn());
            o.put("best_seed", top.seed());
            o.put("best_theta", theta.toString());
            o.put("replay", "policyzip rollout --env " + e.name() + " --size " + hidden + " --activation "
                    + mlp.hiddenActivation().name().toLowerCase(Locale.ROOT) + " --theta " + theta + " --task " + t + " --episodes " + evalEpisodes
                    + " --seed " + evalSeed);
            o.put("band", band);
            o.put("runs", runs.stream().map(r -> Map.of("seed", r.seed(), "best_return", r.bestReturn(), "final_return", r.finalReturn(),
                    "env_steps", r.envSteps(), "seconds", r.seconds())).toList());
            for (SearchRun.Result r : runs) {
                for (SearchRun.Point pt : r.curve()) {
                    runsCsv.append(String.format(Locale.ROOT, "%s,%d,%d,%d,%s,%s%n", m, r.seed(), pt.generation(), pt.envSteps(), pt.evalReturn(),
                            pt.meanFitness()));
                }
            }
            per.put(m, o);
        }
        doc.put("methods", per);
        Path json = prefix.resolveSibling(prefix.getFileName() + ".json"), csvFile = prefix.resolveSibling(prefix.getFileName() + ".csv"),
                png = prefix.resolveSibling(prefix.getFileName() + ".png");
        Output.writeJson(json, doc);
        boolean drawn;
        try {
            ArrayFile.writeAtomically(csvFile, csv.toString().getBytes(StandardCharsets.UTF_8));
            ArrayFile.writeAtomically(prefix.resolveSibling(prefix.getFileName() + ".runs.csv"), runsCsv.toString().getBytes(StandardCharsets.UTF_8));
            double[] x = bands.get(0).steps();
            drawn = Output.figure(err, Plots.line(png, csvFile, e.id() + " '" + t + "': return, mean and quartiles over " + seeds + " seeds", "env steps",
                    "return", x, bands.stream().map(Curves.Band::mean).toArray(double[][]::new),
                    bands.stream().map(Curves.Band::q25).toArray(double[][]::new), bands.stream().map(Curves.Band::q75).toArray(double[][]::new),
                    bands.stream().map(Curves.Band::method).toArray(String[]::new), false));
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot write " + prefix + ".*: " + ex.getMessage());
        }
        out.println("wrote " + json + ", .csv (curves over seeds), .runs.csv (every evaluation), " + (drawn ? ".png " : "")
                + "and the best policies as ." + String.join("|", results.keySet()) + ".best.f32");
        out.println("replay the best: " + ((Map<?, ?>) per.values().iterator().next()).get("replay"));
    }

    /** The dataset path the checkpoint records: as written, else beside the checkpoint; one line with the fix if neither exists. */
    static Path recordedDataset(Path checkpoint, Checkpoint ck) {
        Path recorded = Path.of(ck.dataset().get("path").getAsString());
        if (Files.exists(recorded)) return recorded;
        Path beside = checkpoint.toAbsolutePath().resolveSibling(recorded.getFileName());
        if (Files.exists(beside)) return beside;
        throw new IllegalArgumentException("the checkpoint's dataset " + recorded + " is not there (nor beside the checkpoint); pass --dataset FILE");
    }

    private static int[] hiddenSizes(MlpSpec mlp) {
        int[] h = new int[mlp.layers() - 1];
        for (int l = 0; l < h.length; l++) h[l] = mlp.out(l);
        return h;
    }

    /** Raw little-endian float32 [1, P]: what {@code rollout --theta} reads. */
    private static void writeTheta(Path file, float[] theta) {
        ByteBuffer bb = ByteBuffer.allocate(theta.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bb.asFloatBuffer().put(theta);
        try {
            ArrayFile.writeAtomically(file, bb.array());
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot write " + file + ": " + ex.getMessage());
        }
    }
}
