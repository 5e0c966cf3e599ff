package policyzip.ae;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import policyzip.dataset.Dataset;
import policyzip.dataset.PolicyRefs;
import policyzip.io.ArrayFile;
import policyzip.io.InvalidFileException;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/**
 * A trained (or training) autoencoder on disk: an {@link ArrayFile} of kind {@code ckpt}, format version 1.
 * Header {@code meta}: {@code config} ({@link TrainConfig#toJson}), {@code policy} (sizes, activation, output scale),
 * {@code sizes} (the autoencoder's layer widths), {@code step}, {@code dataset} (path, N, env, fingerprint of its
 * seeds), {@code created}. Arrays: {@code params}, {@code adam_m}, {@code adam_v} [n], {@code mean}, {@code std} [P],
 * {@code train_loss} [step] (double), {@code eval_step} (int), {@code eval_loss} (double).
 */
public record Checkpoint(TrainConfig config, MlpSpec policy, int[] sizes, int step, float[] params, float[] adamM, float[] adamV,
                         float[] mean, float[] std, double[] trainLoss, int[] evalSteps, double[] evalLoss, JsonObject dataset) {
    public static final String KIND = "ckpt";
    public static final int VERSION = 1;

    /** What identifies the dataset a checkpoint was trained on: its env, size and a fingerprint of its policies. */
    public static JsonObject datasetIdentity(Dataset ds) {
        JsonObject o = new JsonObject();
        o.addProperty("path", ds.path().toString());
        o.addProperty("env", ds.env().name());
        o.addProperty("n", ds.size());
        PolicyRefs r = ds.contents().refs();
        long h = 0x9E3779B97F4A7C15L;
        for (long v : r.roots()) h = Long.rotateLeft(h ^ v, 27) * 0x94D049BB133111EBL;
        for (long v : r.chains()) h = Long.rotateLeft(h ^ v, 27) * 0x94D049BB133111EBL;
        o.addProperty("fingerprint", Long.toHexString(h));
        return o;
    }

    /** Refuses to continue training on another dataset than the checkpoint's. */
    void checkDataset(Dataset ds) {
        JsonObject now = datasetIdentity(ds);
        if (!now.get("fingerprint").equals(dataset.get("fingerprint")) || !now.get("n").equals(dataset.get("n"))) {
            throw new IllegalArgumentException("this checkpoint was trained on " + dataset.get("path").getAsString() + " (N="
                    + dataset.get("n") + "), not on " + ds.path() + " (N=" + ds.size() + ")");
        }
    }

    public int latent() { return config.latent(); }

    public void write(Path file) throws IOException {
        JsonObject meta = new JsonObject();
        meta.add("config", config.toJson());
        JsonObject pol = new JsonObject();
        JsonArray ps = new JsonArray();
        ps.add(policy.obsDim());
        for (int l = 0; l < policy.layers(); l++) ps.add(policy.out(l));
        pol.add("sizes", ps);
        pol.addProperty("hidden_activation", policy.hiddenActivation().name());
        pol.addProperty("output_scale", policy.outputScale());
        meta.add("policy", pol);
        JsonArray s = new JsonArray();
        for (int v : sizes) s.add(v);
        meta.add("sizes", s);
        meta.addProperty("step", step);
        meta.add("dataset", dataset);
        meta.addProperty("created", Instant.now().toString());
        new ArrayFile.Writer(KIND, VERSION, meta)
                .floats("params", params).floats("adam_m", adamM).floats("adam_v", adamV)
                .floats("mean", mean).floats("std", std)
                .doubles("train_loss", trainLoss).ints("eval_step", evalSteps).doubles("eval_loss", evalLoss)
                .write(file);
    }

    /** Reads and checks a checkpoint; one {@link InvalidFileException} naming the file for anything wrong. */
    public static Checkpoint read(Path file) {
        ArrayFile f = ArrayFile.read(file, KIND, VERSION);
        try {
            JsonObject meta = f.meta();
            TrainConfig cfg = TrainConfig.fromJson(meta.getAsJsonObject("config"));
            JsonObject pol = meta.getAsJsonObject("policy");
            JsonArray ps = pol.getAsJsonArray("sizes");
            int[] hidden = new int[ps.size() - 2];
            for (int i = 0; i < hidden.length; i++) hidden[i] = ps.get(i + 1).getAsInt();
            MlpSpec mlp = new MlpSpec(ps.get(0).getAsInt(), hidden, ps.get(ps.size() - 1).getAsInt(),
                    Activation.parse(pol.get("hidden_activation").getAsString()), pol.get("output_scale").getAsFloat());
            JsonArray sa = meta.getAsJsonArray("sizes");
            int[] sizes = new int[sa.size()];
            for (int i = 0; i < sizes.length; i++) sizes[i] = sa.get(i).getAsInt();
            long n = 0;
            for (int l = 0; l + 1 < sizes.length; l++) n += (long) sizes[l] * sizes[l + 1] + sizes[l + 1];
            int step = meta.get("step").getAsInt();
            Checkpoint c = new Checkpoint(cfg, mlp, sizes, step, f.floats("params"), f.floats("adam_m"), f.floats("adam_v"),
                    f.floats("mean"), f.floats("std"), f.doubles("train_loss"), f.ints("eval_step"), f.doubles("eval_loss"),
                    meta.getAsJsonObject("dataset"));
            if (c.params.length != n || c.adamM.length != n || c.adamV.length != n) {
                throw new InvalidFileException(file, "holds " + c.params.length + " parameters; its architecture " + Arrays.toString(sizes) + " needs " + n);
            }
            if (c.mean.length != mlp.paramCount() || c.std.length != mlp.paramCount() || sizes[0] != mlp.paramCount()) {
                throw new InvalidFileException(file, "has standardisation for " + c.mean.length + " parameters; its policy " + mlp.describe() + " has " + mlp.paramCount());
            }
            if (c.trainLoss.length != step || c.evalSteps.length != c.evalLoss.length) {
                throw new InvalidFileException(file, "has a loss history that does not match its step " + step);
            }
            for (float v : c.params) {
                if (!Float.isFinite(v)) throw new InvalidFileException(file, "holds non-finite parameters");
            }
            return c;
        } catch (InvalidFileException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidFileException(file, "has a malformed checkpoint header or arrays: " + e.getMessage());
        }
    }

    /** An autoencoder with these weights on {@code be}, for batches up to {@code maxBatch}. */
    public Autoencoder autoencoder(policyzip.backend.Backend be, int maxBatch) {
        return new Autoencoder(be, policy, config.latent(), config.encoderHidden(), config.decoderHidden(), mean, std, params, 0, maxBatch);
    }
}
