package policyzip.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
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
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import policyzip.ae.Checkpoint;
import policyzip.ae.TrainConfig;
import policyzip.backend.Backend;
import policyzip.dataset.Dataset;
import policyzip.dataset.NoveltyConfig;
import policyzip.eval.Recovery;
import policyzip.io.ArrayFile;
import policyzip.io.InvalidFileException;
import policyzip.policy.Activation;

/**
 * {@code policyzip reproduce mountaincar}: SPEC.md section 4's MountainCar table (policy size × dataset size × K), our
 * PR_max beside the paper's. Finished datasets and checkpoints in --dir are reused, unfinished ones resumed.
 */
@Command(name = "reproduce", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Reproduce the paper's MountainCar performance-recovery table (SPEC.md section 4): datasets by novelty",
                "search, autoencoders for K = 1, 2, 3, recovery on the 'goal' task. --quick: a tenth of the data and fewer steps."})
final class ReproduceCommand implements Runnable {
    @Parameters(paramLabel = "ENV", description = "mountaincar (the only table this version reproduces)")
    String env;
    @Option(names = "--quick", description = "N/10 policies, 1000 training steps (200 for large): minutes instead of hours")
    boolean quick;
    @Option(names = "--dir", defaultValue = "policyzip-reproduce", description = "working folder, reused across runs (default: ${DEFAULT-VALUE})")
    Path dir;
    @Option(names = "--steps", description = "training steps for every autoencoder (default: 10000, or the --quick values)")
    Integer steps;
    @Option(names = "--mutation-rate", defaultValue = "0", description = "dataset option (see `policyzip dataset --help`; default: ${DEFAULT-VALUE})")
    double mutationRate;
    @Option(names = "--mutation-sigma", defaultValue = "0.1", description = "dataset option (default: ${DEFAULT-VALUE})")
    float mutationSigma;
    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    /** SPEC.md section 4, PR_max: {size, dataset, k=1, k=2, k=3}. */
    static final Object[][] PAPER = {
            {"small", 50_000, 0.64, 0.93, 0.94}, {"medium", 50_000, 0.66, 1.01, 1.02}, {"large", 50_000, 1.02, 1.01, 1.01},
            {"medium", 100_000, 0.51, 1.02, 1.02}, {"large", 100_000, 1.01, 1.01, 1.01}};

    @Override public void run() {
        if (!env.equalsIgnoreCase("mountaincar")) throw new IllegalArgumentException("only 'mountaincar' can be reproduced in this version");
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        long t0 = System.nanoTime();
        List<Map<String, Object>> rows = new ArrayList<>();
        StringBuilder md = new StringBuilder();
        // time: this run's seconds for the row (training, or 0 where the checkpoint was finished, plus recovery); a
        // dataset's own time is printed when it is built.
        md.append("| size | dataset (paper) | ours: N | K | PR_max ours | PR_max paper | max_Z J | max_D J | PR_range ours | time |\n"
                + "|---|---|---|---|---|---|---|---|---|---|\n");
        try (Backend be = backendOptions.create()) {
            Files.createDirectories(dir);
            for (Object[] row : PAPER) {
                String size = (String) row[0];
                int paperN = (Integer) row[1], n = quick ? paperN / 10 : paperN;
                int trainSteps = steps != null ? steps : quick ? (size.equals("large") ? 200 : 1000) : 10_000;
                NoveltyConfig dc = new NoveltyConfig("mountaincar", size, Activation.RELU, n, Math.min(10_000, n), 256, 10, 0.1,
                        mutationRate, mutationSigma, 0, 1);
                Path data = dir.resolve("mc-" + size + "-" + n + (mutationRate > 0 ? "-mut" + mutationRate + "x" + mutationSigma : "") + ".pzd");
                Dataset ds = dataset(be, dc, data, err);
                for (int k = 1; k <= 3; k++) {
                    TrainConfig tc = TrainConfig.defaults(k).withSteps(trainSteps);
                    Path ck = dir.resolve(data.getFileName().toString().replace(".pzd", "") + "-k" + k + "-s" + trainSteps + ".ckpt");
                    long rowStart = System.nanoTime();
                    Checkpoint c = checkpoint(be, ds, tc, ck, err);
                    Recovery.TaskRecovery g = readRecovery(ck, c.step());
                    if (g == null) {   // not measured yet for this checkpoint (a resumed run keeps what it measured)
                        try (Progress bar = new Progress(err, "recover " + size + " K=" + k, (long) Math.pow(Recovery.gridPerAxis(k), k), "points")) {
                            g = Recovery.run(be, ds, c, (done, all) -> bar.update(done)).tasks().get(0);
                        }
                        writeRecovery(ck, c.step(), g);
                    }
                    double paper = (Double) row[1 + k];
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("size", size);
                    m.put("paper_dataset", paperN);
                    m.put("n", n);
                    m.put("k", k);
                    m.put("steps", trainSteps);
                    m.put("task", g.task());
                    m.put("pr_max", g.prMax());
                    m.put("pr_max_paper", paper);
                    m.put("max_latent", g.maxLatent());
                    m.put("max_data", g.maxData());
                    m.put("pr_range", g.prRange());
                    m.put("held_out_loss", c.evalLoss().length == 0 ? Double.NaN : c.evalLoss()[c.evalLoss().length - 1]);
                    double rowSecs = (System.nanoTime() - rowStart) / 1e9;
                    m.put("seconds", rowSecs);
                    rows.add(m);
                    String line = String.format(Locale.ROOT, "| %s | %dk | %,d | %d | %s | %.2f | %s | %s | %s | %s |", size, paperN / 1000, n, k,
                            Output.num(g.prMax()), paper, Output.num(g.maxLatent()), Output.num(g.maxData()), Output.num(g.prRange()),
                            Progress.seconds(rowSecs));
                    md.append(line).append('\n');
                    out.println(line);
                    out.flush();
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write in " + dir + ": " + e.getMessage());
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        md.append("\nScale: ").append(quick ? "--quick (N/10, 1000 steps; 200 for large)" : "full").append(", mutation rate ")
                .append(mutationRate).append(" (sigma ").append(mutationSigma).append("), task 'goal', ")
                .append(Progress.seconds(secs)).append(".\n");
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("scale", quick ? "quick" : "full");
        doc.put("mutation_rate", mutationRate);
        doc.put("mutation_sigma", mutationSigma);
        doc.put("seconds", secs);
        doc.put("rows", rows);
        Output.writeJson(dir.resolve("reproduce-mountaincar.json"), doc);
        try {
            ArrayFile.writeAtomically(dir.resolve("reproduce-mountaincar.md"), md.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + dir.resolve("reproduce-mountaincar.md") + ": " + e.getMessage());
        }
        out.printf(Locale.ROOT, "%nwrote %s and .json (%s)%n", dir.resolve("reproduce-mountaincar.md"), Progress.seconds(secs));
    }

    /** The finished dataset at {@code data} if it has these options; else generated (or resumed). */
    static Dataset dataset(Backend be, NoveltyConfig dc, Path data, PrintWriter err) throws IOException {
        if (Files.exists(data)) {
            try {
                Dataset d = Dataset.open(data);
                if (d.config().equals(dc)) return d;
            } catch (InvalidFileException e) {
                err.println("policyzip reproduce: regenerating " + data + " (" + e.getMessage() + ")");
            }
            Files.delete(data);
        }
        DatasetCommand.generate(be, dc, data, true, err);
        return Dataset.open(data);
    }

    /** The file beside checkpoint {@code ck} that keeps its row's recovery (the table's task, the first). */
    static Path recoveryFile(Path ck) { return ck.resolveSibling(ck.getFileName() + ".row.json"); }

    /** The checkpoint file as the row's recovery was measured on: size, modification time, step. */
    private static String identity(Path ck, int step) throws IOException {
        return Files.size(ck) + ":" + Files.getLastModifiedTime(ck).toMillis() + ":" + step;
    }

    /**
     * The recovery kept for checkpoint {@code ck} at {@code step}, or null when there is none, it was measured on
     * another version of the file, or it cannot be read (then it is measured again).
     */
    static Recovery.TaskRecovery readRecovery(Path ck, int step) {
        Path f = recoveryFile(ck);
        if (!Files.exists(f)) return null;
        try {
            JsonObject o = JsonParser.parseString(Files.readString(f)).getAsJsonObject();
            if (!identity(ck, step).equals(o.get("checkpoint").getAsString())) return null;
            return new GsonBuilder().serializeSpecialFloatingPointValues().create().fromJson(o.get("recovery"), Recovery.TaskRecovery.class);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /** Keeps {@code g} beside checkpoint {@code ck} (atomically), tied to the file as it is now. */
    static void writeRecovery(Path ck, int step, Recovery.TaskRecovery g) throws IOException {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("checkpoint", identity(ck, step));
        o.put("recovery", g);
        Output.writeJson(recoveryFile(ck), o);
    }

    /** The finished checkpoint at {@code ck} if it has these options; else trained (or resumed). */
    static Checkpoint checkpoint(Backend be, Dataset ds, TrainConfig tc, Path ck, PrintWriter err) throws IOException {
        if (Files.exists(ck)) {
            try {
                Checkpoint c = Checkpoint.read(ck);
                if (c.config().sameRunAs(tc) && c.step() == tc.steps()) return c;
            } catch (InvalidFileException e) {
                Files.delete(ck);
            }
        }
        return TrainCommand.train(be, ds, tc, ck, Files.exists(ck), err);
    }
}
