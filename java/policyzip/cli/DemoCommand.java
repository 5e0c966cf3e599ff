package policyzip.cli;

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
import picocli.CommandLine.Spec;
import policyzip.ae.Checkpoint;
import policyzip.ae.TrainConfig;
import policyzip.backend.Backend;
import policyzip.dataset.Dataset;
import policyzip.dataset.NoveltyConfig;
import policyzip.dataset.NoveltySearch;
import policyzip.eval.Recovery;
import policyzip.policy.Activation;

/**
 * {@code policyzip demo}: the whole method on MountainCar in about a minute, no downloads: a reward-free dataset of
 * medium policies by novelty search, the behavioural autoencoder with K = 2, performance recovery over a 100 × 100
 * latent grid, plots, and a plain-language summary of what was compressed and how much behaviour survived.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run the whole pipeline on MountainCar at demo scale: novelty-search dataset, behavioural autoencoder",
                "(K=2), performance recovery and latent maps. Files go to --dir."})
final class DemoCommand implements Runnable {
    @Option(names = "--dir", defaultValue = "policyzip-demo", description = "output folder (default: ${DEFAULT-VALUE})")
    Path dir;
    @Option(names = "--policies", defaultValue = "10000", description = "dataset size N (default: ${DEFAULT-VALUE})")
    int policies;
    @Option(names = "--steps", defaultValue = "3000", description = "training steps (default: ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--latent", defaultValue = "2", description = "latent size K (default: ${DEFAULT-VALUE})")
    int latent;
    @Option(names = "--size", defaultValue = "medium", description = "policy size (default: ${DEFAULT-VALUE})")
    String size;

    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        if (policies < 100) throw new IllegalArgumentException("--policies must be >= 100, got " + policies);
        NoveltyConfig dcfg = new NoveltyConfig("mountaincar", size, Activation.RELU, policies, Math.min(10_000, policies), 256, 10, 0.1,
                0, 0.1f, 0, 1);
        TrainConfig tcfg = new TrainConfig(latent, new int[] {256, 256}, new int[] {256, 256}, TrainConfig.Loss.BEHAVIOURAL, 1e-3f, 128,
                256, steps, 0, Math.max(1, steps / 4), Math.max(1, steps / 20), 0.05, 10_000);
        Path data = dir.resolve("mc-" + size + ".pzd"), ckpt = dir.resolve("mc-" + size + "-k" + latent + ".ckpt");
        int p = dcfg.mlp().paramCount();
        try {
            Files.createDirectories(dir);
            Files.deleteIfExists(data);
            Files.deleteIfExists(NoveltySearch.partialPath(data));
            Files.deleteIfExists(ckpt);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot prepare " + dir + ": " + e.getMessage());
        }
        out.printf(Locale.ROOT, "PolicyZip demo: MountainCarContinuous-v0, %s policies %s (%,d parameters) → K=%d latent numbers%n%n",
                size, dcfg.mlp().describe(), p, latent);
        long t0 = System.nanoTime();
        try (Backend be = backendOptions.create()) {
            out.printf(Locale.ROOT, "1. Dataset: novelty search for %,d behaviourally diverse policies (no rewards used)%n", policies);
            DatasetCommand.generate(be, dcfg, data, false, err);
            Dataset ds = Dataset.open(data);
            long t1 = System.nanoTime();
            out.printf(Locale.ROOT, "   %s (%s)%n%n", data, Progress.seconds((t1 - t0) / 1e9));

            out.printf(Locale.ROOT, "2. Behavioural autoencoder: %,d steps of B=128 policies × M=256 fresh states%n", steps);
            Checkpoint c = TrainCommand.train(be, ds, tcfg, ckpt, false, err);
            Path lossCsv = ckpt.resolveSibling(ckpt.getFileName() + ".loss.csv");
            TrainCommand.writeCsv(lossCsv, c);
            boolean lossPng = TrainCommand.writeLossPlot(ckpt.resolveSibling(ckpt.getFileName() + ".loss.png"), lossCsv, c, err);
            long t2 = System.nanoTime();
            double[] tl = c.trainLoss();
            double trainEnd = Arrays.stream(tl, Math.max(0, tl.length - 50), tl.length).average().orElse(Double.NaN);
            double heldOut = c.evalLoss().length == 0 ? Double.NaN : c.evalLoss()[c.evalLoss().length - 1];
            out.printf(Locale.ROOT, "   %s: loss %s → %s (train), held-out %s (%s)%n%n", ckpt, Output.num(tl[0]), Output.num(trainEnd),
                    Output.num(heldOut), Progress.seconds((t2 - t1) / 1e9));

            out.println("3. Performance recovery: decode a grid over the latent box, evaluate every decoded policy");
            Recovery.Result r;
            try (Progress bar = new Progress(err, "recover", (long) Math.pow(Recovery.gridPerAxis(latent), latent), "points")) {
                r = Recovery.run(be, ds, c, (done, all) -> bar.update(done));
            }
            Path prefix = ckpt.resolveSibling(ckpt.getFileName() + ".recovery");
            RecoverCommand.print(out, r, ds, c);
            boolean recoveryPngs = RecoverCommand.write(prefix, r, ds, c, err);
            long t3 = System.nanoTime();
            out.printf(Locale.ROOT, "   files: %s.{json,csv%s}, %s.loss.%s (%s)%n%n", prefix, recoveryPngs ? ",<task>.png" : "", ckpt,
                    lossPng ? "{csv,png}" : "csv", Progress.seconds((t3 - t2) / 1e9));

            Recovery.TaskRecovery h = r.tasks().stream().filter(t -> t.task().equals("height")).findFirst().orElse(r.tasks().get(0));
            double rms = Math.sqrt(heldOut);
            out.printf(Locale.ROOT, "Summary: each %,d-parameter policy was compressed to %d numbers (%,d:1). On policies the autoencoder%n"
                            + "never saw, decoded policies act like the originals to within %s RMS action error (actions lie in [-1, 1]).%n"
                            + "Across the latent grid, the best 'height' reached by a decoded policy is %s against the dataset's best %s,%n"
                            + "and the decoded policies span %.0f%% of the dataset's range of 'height' returns. Total time %s.%n",
                    p, latent, p / latent, Output.num(rms), Output.num(h.maxLatent()), Output.num(h.maxData()), 100 * h.prRange(),
                    Progress.seconds((t3 - t0) / 1e9));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write in " + dir + ": " + e.getMessage());
        }
    }
}
