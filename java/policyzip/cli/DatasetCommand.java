package policyzip.cli;

import com.google.gson.GsonBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import policyzip.backend.Backend;
import policyzip.dataset.Dataset;
import policyzip.dataset.NoveltyConfig;
import policyzip.dataset.NoveltySearch;
import policyzip.policy.Activation;
import policyzip.rollout.RolloutResult;

/** {@code policyzip dataset}: generate a reward-free policy dataset by novelty search; {@code dataset inspect FILE}. */
@Command(name = "dataset", mixinStandardHelpOptions = true, sortOptions = false,
        subcommands = DatasetCommand.Inspect.class,
        description = {"Generate a dataset of behaviourally diverse policies by novelty search (no rewards used),",
                "then store each policy's return on every task of the env for evaluation.",
                "A killed run continues from OUT.partial with --resume and ends with the same file."})
final class DatasetCommand implements Runnable {
    @Option(names = "--env", defaultValue = "mountaincar", description = "environment (default: ${DEFAULT-VALUE})")
    String env;
    @Option(names = "--size", defaultValue = "medium", description = "policy size: small, medium, large or hidden sizes like 64-64 (default: ${DEFAULT-VALUE})")
    String size;
    @Option(names = "--activation", defaultValue = "relu", description = "hidden activation (default: ${DEFAULT-VALUE})")
    String activation;
    @Option(names = {"-n", "--n"}, defaultValue = "50000", description = "policies N in the dataset (default: ${DEFAULT-VALUE})")
    int n;
    @Option(names = "--generation", defaultValue = "10000", description = "candidates G per generation (default: ${DEFAULT-VALUE})")
    int generation;
    @Option(names = "--probes", defaultValue = "256", description = "probe states M of the behaviour descriptor (default: ${DEFAULT-VALUE})")
    int probes;
    @Option(names = "--neighbours", defaultValue = "10", description = "k_n nearest neighbours of the novelty score (default: ${DEFAULT-VALUE})")
    int neighbours;
    @Option(names = "--keep", defaultValue = "0.1", description = "fraction of each generation admitted (default: ${DEFAULT-VALUE})")
    double keep;
    @Option(names = "--mutation-rate", defaultValue = "0", description = "fraction of candidates that mutate archive members instead of fresh draws (default: ${DEFAULT-VALUE})")
    double mutationRate;
    @Option(names = "--mutation-sigma", defaultValue = "0.1", description = "mutation scale in units of each layer's init bound (default: ${DEFAULT-VALUE})")
    float mutationSigma;
    @Option(names = "--return-episodes", defaultValue = "1", description = "episodes per policy and task for the stored returns (default: ${DEFAULT-VALUE})")
    int returnEpisodes;
    @Option(names = "--seed", defaultValue = "0", description = "run seed (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = {"-o", "--out"}, paramLabel = "FILE", description = "dataset file to write (required)")
    Path out;
    @Option(names = "--resume", description = "continue the unfinished run in FILE.partial")
    boolean resume;
    @Option(names = "--force", description = "overwrite FILE if it exists")
    boolean force;

    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (this.out == null) throw new IllegalArgumentException("--out FILE is required (or use `policyzip dataset inspect FILE`)");
        NoveltyConfig cfg = new NoveltyConfig(env, size, Activation.parse(activation), n, generation, probes, neighbours, keep,
                mutationRate, mutationSigma, seed, returnEpisodes);
        if (Files.exists(this.out) && !force && !resume) {
            throw new IllegalArgumentException(this.out + " exists; pass --force to overwrite it");
        }
        out.printf(Locale.ROOT, "novelty search on %s: N=%,d policies %s, G=%,d per generation (keep %d), M=%d probe states, k_n=%d%n",
                cfg.envSpec().id(), cfg.n(), cfg.mlp().describe(), cfg.generation(), cfg.kept(), cfg.probes(), cfg.neighbours());
        long t0 = System.nanoTime();
        Dataset.Contents c;
        try (Backend be = backendOptions.create()) {
            c = generate(be, cfg, this.out, resume, err);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Runtime rt = Runtime.getRuntime();
        out.printf(Locale.ROOT, "wrote %s: %,d policies from %d generations in %s (heap in use now %d MiB)%n", this.out, c.size(),
                c.generations(), Progress.seconds(secs), (rt.totalMemory() - rt.freeMemory()) >> 20);
    }

    /** Runs novelty search to {@code file} with progress bars on {@code err}; I/O failures become one-line errors. */
    static Dataset.Contents generate(Backend be, NoveltyConfig cfg, Path file, boolean resume, PrintWriter err) {
        try (Progress gen = new Progress(err, "archive", cfg.n(), "policies"); Progress ret = new Progress(err, "returns", cfg.n(), "policies")) {
            return new NoveltySearch(be, cfg).run(file, resume, new NoveltySearch.Listener() {
                @Override public void onGeneration(int g, int archive, int target, double medianNovelty, int admitted) {
                    gen.extra(String.format(Locale.ROOT, "generation %d, median novelty %s", g, Output.num(medianNovelty)));
                    gen.update(archive);
                }

                @Override public void onReturns(int done, int total) { ret.update(done); }
            });
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + file + ": " + e.getMessage());
        }
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Print a dataset's header and summary statistics.")
    static final class Inspect implements Runnable {
        @Parameters(paramLabel = "FILE", description = "dataset file") Path file;
        @Option(names = "--json", description = "print the header as JSON too") boolean json;
        @Spec CommandSpec spec;

        @Override public void run() {
            PrintWriter out = spec.commandLine().getOut();
            Dataset d = Dataset.open(file);
            NoveltyConfig cfg = d.config();
            long bytes;
            try {
                bytes = Files.size(file);
            } catch (IOException e) {
                bytes = -1;
            }
            out.printf(Locale.ROOT, "%s: PolicyZip dataset v%d, %,d bytes, created %s by %s%n", file, Dataset.VERSION, bytes, d.created(), d.library());
            out.printf(Locale.ROOT, "env %s, policies %s (%,d parameters, stored as seeds)%n", d.env().id(), d.mlp().describe(), d.mlp().paramCount());
            out.printf(Locale.ROOT, "N=%,d from %d generations of G=%,d (keep %s, mutation rate %s, sigma %s), M=%d probe states, k_n=%d, seed %d%n",
                    d.size(), d.contents().generations(), cfg.generation(), cfg.keep(), cfg.mutationRate(), cfg.mutationSigma(),
                    cfg.probes(), cfg.neighbours(), cfg.seed());
            int buffered = d.contents().stateBuffer().length / d.env().obsDim();
            out.println(buffered > 0
                    ? String.format(Locale.ROOT, "states: a buffer of %,d visited by random policies (the probe states are its first %d; training draws from it)", buffered, cfg.probes())
                    : "states: probe and training states uniform in the env's probe box");
            float[] nov = d.contents().novelty().clone();
            Arrays.sort(nov);
            out.printf(Locale.ROOT, "novelty when admitted: min %s, median %s, max %s%n", Output.num(nov[0]), Output.num(nov[nov.length / 2]),
                    Output.num(nov[nov.length - 1]));
            out.printf(Locale.ROOT, "returns (mean over %d episode%s per policy):%n", cfg.returnEpisodes(), cfg.returnEpisodes() == 1 ? "" : "s");
            out.printf("%-10s %10s %10s %10s %10s %10s %10s %8s%n", "task", "min", "p10", "median", "p90", "max", "mean", "best");
            for (int t = 0; t < d.tasks().size(); t++) {
                double[] r = new double[d.size()];
                int best = 0;
                for (int i = 0; i < r.length; i++) {
                    r[i] = d.returnOf(i, t);
                    if (r[i] > r[best]) best = i;
                }
                double mean = Arrays.stream(r).average().orElse(Double.NaN);
                Arrays.sort(r);
                out.printf("%-10s %10s %10s %10s %10s %10s %10s %8d%n", d.tasks().get(t), Output.num(r[0]), Output.num(q(r, 0.1)),
                        Output.num(q(r, 0.5)), Output.num(q(r, 0.9)), Output.num(r[r.length - 1]), Output.num(mean), best);
            }
            if (json) out.println(new GsonBuilder().setPrettyPrinting().create().toJson(d.header()));
        }

        private static double q(double[] sorted, double p) { return RolloutResult.quantile(sorted, p); }
    }

}
