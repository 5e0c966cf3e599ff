package policyzip.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import policyzip.ae.Checkpoint;
import policyzip.backend.Backend;
import policyzip.dataset.Dataset;
import policyzip.eval.Plots;
import policyzip.eval.Recovery;
import policyzip.io.ArrayFile;

/** {@code policyzip recover}: how much of the dataset's behaviour a trained latent space keeps, per task. */
@Command(name = "recover", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Performance recovery (SPEC.md section 2, step 3): decode a grid over the encoded dataset's box",
                "(K ≤ 3) or the encoded points plus uniform samples (K > 3), evaluate every decoded policy on every task,",
                "and compare the best and worst returns with the dataset's. Writes JSON, CSV and PNG latent maps."})
final class RecoverCommand implements Runnable {
    @Option(names = {"-d", "--dataset"}, required = true, paramLabel = "FILE", description = "the dataset the checkpoint was trained on")
    Path dataset;
    @Option(names = {"-c", "--checkpoint"}, required = true, paramLabel = "FILE", description = "trained autoencoder (policyzip train)")
    Path checkpoint;
    @Option(names = {"-o", "--out"}, paramLabel = "PREFIX", description = "output prefix (default: the checkpoint's path + .recovery)")
    Path out;
    @Mixin BackendOptions backendOptions;
    @Spec CommandSpec spec;

    @Override public void run() {
        PrintWriter out = spec.commandLine().getOut(), err = spec.commandLine().getErr();
        Dataset ds = Dataset.open(dataset);
        Checkpoint ck = Checkpoint.read(checkpoint);
        Path prefix = this.out != null ? this.out : checkpoint.resolveSibling(checkpoint.getFileName() + ".recovery");
        Recovery.Result r;
        try (Backend be = backendOptions.create()) {
            int k = ck.latent(), per = Recovery.gridPerAxis(k);
            int total = per > 0 ? (int) Math.pow(per, k) : 2 * ds.size();
            try (Progress bar = new Progress(err, "recover", total, "latent points")) {
                r = Recovery.run(be, ds, ck, (done, all) -> bar.update(done));
            }
        }
        print(out, r, ds, ck);
        boolean figures;
        try {
            figures = write(prefix, r, ds, ck, err);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot write " + prefix + ".*: " + e.getMessage());
        }
        out.println("wrote " + prefix + ".json, .csv" + (figures ? " and .<task>.png" : ""));
    }

    static void print(PrintWriter out, Recovery.Result r, Dataset ds, Checkpoint ck) {
        out.printf(Locale.ROOT, "K=%d: %,d latent points decoded to %s policies and evaluated (%s env steps, %s)%n", r.latent(), r.points(),
                ds.mlp().describe(), Output.num(r.envSteps()), Progress.seconds(r.seconds()));
        out.printf("%-8s %11s %11s %8s %11s %11s %9s%n", "task", "max latent", "max data", "PR_max", "min latent", "min data", "PR_range");
        boolean nonPositive = false;
        for (Recovery.TaskRecovery t : r.tasks()) {
            boolean flag = !(t.maxData() > 0);
            nonPositive |= flag;
            out.printf("%-8s %11s %11s %8s %11s %11s %9s%n", t.task(), Output.num(t.maxLatent()), Output.num(t.maxData()),
                    Output.num(t.prMax()) + (flag ? "*" : ""), Output.num(t.minLatent()), Output.num(t.minData()), Output.num(t.prRange()));
        }
        if (nonPositive) {
            out.println("* the dataset's best return is not positive: PR_max, a ratio, then reads backwards (above 1 is worse) or"
                    + " means nothing near 0; compare the two maxima instead");
        }
    }

    /**
     * prefix.json (summary), prefix.csv (every latent point's returns), and for K <= 3 a figure per task, prefix.TASK.png;
     * a figure this runtime cannot draw is one line on {@code err} instead. Whether there are figures (all drawn).
     */
    static boolean write(Path prefix, Recovery.Result r, Dataset ds, Checkpoint ck, PrintWriter err) throws IOException {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("dataset", ds.path().toString());
        doc.put("checkpoint_step", ck.step());
        doc.put("latent", r.latent());
        doc.put("points", r.points());
        doc.put("box_low", r.low());
        doc.put("box_high", r.high());
        doc.put("tasks", r.tasks());
        doc.put("env_steps", r.envSteps());
        doc.put("seconds", r.seconds());
        Output.writeJson(prefix.resolveSibling(prefix.getFileName() + ".json"), doc);
        StringBuilder csv = new StringBuilder();
        for (int d = 0; d < r.latent(); d++) csv.append("z").append(d + 1).append(',');
        csv.append(String.join(",", ds.tasks())).append('\n');
        for (int i = 0; i < r.points(); i++) {
            for (int d = 0; d < r.latent(); d++) csv.append(r.z()[i * r.latent() + d]).append(',');
            for (int t = 0; t < ds.tasks().size(); t++) csv.append(t == 0 ? "" : ",").append(r.returns()[t][i]);
            csv.append('\n');
        }
        Path data = prefix.resolveSibling(prefix.getFileName() + ".csv");
        ArrayFile.writeAtomically(data, csv.toString().getBytes(StandardCharsets.UTF_8));
        int k = r.latent();
        boolean drawn = k <= 3;
        for (int t = 0; t < ds.tasks().size(); t++) {
            String task = ds.tasks().get(t);
            Path png = prefix.resolveSibling(prefix.getFileName() + "." + task + ".png");
            String title = ds.env().id() + " '" + task + "': return of the decoded policy g(z), K=" + k;
            if (k == 1) {
                double[] x = new double[r.points()];
                for (int i = 0; i < x.length; i++) x[i] = r.z()[i];
                drawn &= Output.figure(err, Plots.line(png, data, title, "z", "return", x, new double[][] {r.returns()[t]}, null, false));
            } else if (k == 2) {
                drawn &= Output.figure(err, Plots.heatmap(png, data, title, r.returns()[t], Recovery.gridPerAxis(2), r.low(), r.high(), null));
            } else if (k == 3) {
                // The middle slice along z3: a 30 × 30 map.
                int per = Recovery.gridPerAxis(3), mid = per / 2;
                double[] slice = new double[per * per];
                for (int i = 0; i < per; i++) {
                    for (int j = 0; j < per; j++) slice[i * per + j] = r.returns()[t][(i * per + j) * per + mid];
                }
                drawn &= Output.figure(err, Plots.heatmap(png, data, title + " (slice z3 = middle)", slice, per, r.low(), r.high(), null));
            }
        }
        return drawn;
    }
}
