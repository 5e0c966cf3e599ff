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
import policyzip.ae.Trainer;
import policyzip.backend.Backend;
import policyzip.dataset.Dataset;

/** {@code policyzip train}: the behavioural autoencoder on a dataset, with checkpoints, resume and loss curves. */
@Command(name = "train", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train the policy autoencoder (encoder θ → z ∈ R^K, decoder z → θ') with the behavioural loss:",
                "decoded policies must act like the originals on fresh states. Writes a checkpoint and a loss CSV."})
final class TrainCommand implements Runnable {
    @Option(names = {"-d", "--dataset"}, required = true, paramLabel = "FILE", description = "dataset file (policyzip dataset)")
    Path dataset;
    @Option(names = {"-o", "--out"}, required = true, paramLabel = "FILE", description = "checkpoint file to write")
    Path out;
    @Option(names = {"-k", "--latent"}, defaultValue = "2", description = "latent size K (default: ${DEFAULT-VALUE})")
    int latent;
    @Option(names = "--steps", defaultValue = "10000", description = "training steps (default: ${DEFAULT-VALUE})")
    int steps;
    @Option(names = "--loss", defaultValue = "behavioural", description = "behavioural, or the parameter ablation (default: ${DEFAULT-VALUE})")
    String loss;
    @Option(names = "--encoder", defaultValue = "256-256", description = "encoder hidden sizes (default: ${DEFAULT-VALUE})")
    String encoder;
    @Option(names = "--decoder", defaultValue = "256-256", description = "decoder hidden sizes (default: ${DEFAULT-VALUE})")
    String decoder;
    @Option(names = "--lr", defaultValue = "1e-3", description = "Adam learning rate (default: ${DEFAULT-VALUE})")
    float lr;
    @Option(names = "--batch", defaultValue = "128", description = "policies B per step (default: ${DEFAULT-VALUE})")
    int batch;
    @Option(names = "--states", defaultValue = "256", description = "fresh states M per step (default: ${DEFAULT-VALUE})")
    int states;
    @Option(names = "--seed", defaultValue = "0", description = "seed of batches, states and initial weights (default: ${DEFAULT-VALUE})")
    long seed;
    @Option(names = "--checkpoint-every", defaultValue = "500",
            description = "steps between checkpoints, at most one a minute besides the last (default: ${DEFAULT-VALUE})")
    int checkpointEvery;
    @Option(names = "--eval-every", defaultValue = "250", description = "steps between held-out evaluations (default: ${DEFAULT-VALUE})")
    int evalEvery;
    @Option(names = "--held-out", defaultValue = "0.05", description = "fraction of the dataset never trained on (default: ${DEFAULT-VALUE})")
    double heldOut;
    @Option(names = "--stats-policies", defaultValue = "10000", description = "policies the standardisation is computed over (default: ${DEFAULT-VALUE})")
    int statsPolicies;
    @Option(names = "--resume", description = "continue the checkpoint FILE (same options; --steps may grow)")
    boolean resume;
    @Option(names = "--force", description = "overwrite FILE")
    boolean force;

    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    static int[] sizes(String s, String what) {
        try {
            return Arrays.stream(s.split("-")).mapToInt(Integer::parseInt).toArray();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a list of sizes such as 256-256");
        }
    }

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        TrainConfig cfg = new TrainConfig(latent, sizes(encoder, "--encoder"), sizes(decoder, "--decoder"), TrainConfig.Loss.parse(loss), lr,
                batch, states, steps, seed, checkpointEvery, evalEvery, heldOut, statsPolicies);
        Dataset ds = Dataset.open(dataset);
        try {
            if (force && !resume) Files.deleteIfExists(this.out);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot replace " + this.out + ": " + e.getMessage());
        }
        out.printf(Locale.ROOT, "training a %s autoencoder %s → K=%d → %s on %,d policies of %s (%s): %,d steps of B=%d × M=%d%n",
                cfg.loss().name().toLowerCase(Locale.ROOT), encoder, latent, decoder, ds.size(), ds.env().id(), ds.mlp().describe(),
                steps, batch, states);
        Checkpoint c;
        long t0 = System.nanoTime();
        try (Backend be = backendOptions.create()) {
            c = train(be, ds, cfg, this.out, resume, err);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        Path csv = this.out.resolveSibling(this.out.getFileName() + ".loss.csv");
        writeCsv(csv, c);
        boolean png = writeLossPlot(this.out.resolveSibling(this.out.getFileName() + ".loss.png"), csv, c, err);
        double[] tl = c.trainLoss();
        double end = Arrays.stream(tl, Math.max(0, tl.length - 50), tl.length).average().orElse(Double.NaN);
        out.printf(Locale.ROOT, "wrote %s (step %d), %s%s; train loss %s (mean of last 50 steps), held-out %s; %s%n", this.out, c.step(), csv,
                png ? " and .png" : "", Output.num(end), c.evalLoss().length == 0 ? "-" : Output.num(c.evalLoss()[c.evalLoss().length - 1]), Progress.seconds(secs));
    }

    /** Checkpoints of the CLI's training runs: at most one a minute besides the last (Trainer.minCheckpointInterval). */
    static final java.time.Duration CHECKPOINT_INTERVAL = java.time.Duration.ofMinutes(1);

    /**
     * Trains with a progress bar (loss, held-out loss, ETA) on {@code err}, checkpoints at most once a minute
     * ({@link #CHECKPOINT_INTERVAL}); I/O failures become one-line errors.
     */
    static Checkpoint train(Backend be, Dataset ds, TrainConfig cfg, Path file, boolean resume, PrintWriter err) {
        try (Progress bar = new Progress(err, "train K=" + cfg.latent(), cfg.steps(), "steps")) {
            double[] heldOutLoss = {Double.NaN};
            return new Trainer(be, ds, cfg).minCheckpointInterval(CHECKPOINT_INTERVAL).train(file, resume, new Trainer.Listener() {
                @Override public void onStep(int step, int total, double l) {
                    bar.extra(Double.isNaN(heldOutLoss[0]) ? "loss " + Output.num(l)
                            : String.format(Locale.ROOT, "loss %s, held-out %s", Output.num(l), Output.num(heldOutLoss[0])));
                    bar.update(step);
                }

                @Override public void onEval(int step, double h) { heldOutLoss[0] = h; }
            });
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + file + ": " + e.getMessage());
        }
    }

    /**
     * Train loss (mean of each 1 % of the steps) and held-out loss against the step, log scale; where this runtime cannot
     * draw, one line on {@code err} instead that names {@code csv} (written first, {@link #writeCsv}). Whether it was drawn.
     */
    static boolean writeLossPlot(Path png, Path csv, Checkpoint c, PrintWriter err) {
        int n = c.step(), bins = Math.min(n, 100);
        double[] x = new double[bins], train = new double[bins], held = new double[bins];
        java.util.Arrays.fill(held, Double.NaN);
        for (int i = 0; i < bins; i++) {
            int a = (int) ((long) i * n / bins), b = (int) ((long) (i + 1) * n / bins);
            x[i] = b;
            train[i] = java.util.Arrays.stream(c.trainLoss(), a, b).average().orElse(Double.NaN);
        }
        // Held-out points at their own steps, on the same x grid (nearest bin).
        for (int e = 0; e < c.evalSteps().length; e++) {
            int bin = Math.min(bins - 1, (int) ((long) (c.evalSteps()[e] - 1) * bins / n));
            held[bin] = c.evalLoss()[e];
        }
        try {
            return Output.figure(err, policyzip.eval.Plots.line(png, csv, "autoencoder training: " + c.config().loss().name().toLowerCase(Locale.ROOT) + " loss, K="
                    + c.latent(), "step", "loss", x, new double[][] {train, held}, new String[] {"train", "held-out"}, true));
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot write " + png + ": " + ex.getMessage());
        }
    }

    /** step, train_loss, held_out_loss (empty where not evaluated). */
    static void writeCsv(Path csv, Checkpoint c) {
        StringBuilder s = new StringBuilder("step,train_loss,held_out_loss\n");
        int e = 0;
        for (int t = 1; t <= c.step(); t++) {
            s.append(t).append(',').append(c.trainLoss()[t - 1]).append(',');
            if (e < c.evalSteps().length && c.evalSteps()[e] == t) s.append(c.evalLoss()[e++]);
            s.append('\n');
        }
        try {
            policyzip.io.ArrayFile.writeAtomically(csv, s.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } catch (IOException ex) {
            throw new IllegalArgumentException("cannot write " + csv + ": " + ex.getMessage());
        }
    }
}
