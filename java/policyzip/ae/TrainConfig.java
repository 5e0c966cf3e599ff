package policyzip.ae;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.Locale;

/**
 * Every option of autoencoder training (SPEC.md section 2, step 2), with SPEC.md's defaults.
 *
 * @param latent          K, the latent size (default 2)
 * @param encoderHidden   encoder hidden sizes (default 256-256)
 * @param decoderHidden   decoder hidden sizes (default 256-256)
 * @param loss            {@link Loss#BEHAVIOURAL} (default) or the {@link Loss#PARAMETER} ablation
 * @param lr              Adam learning rate (default 1e-3)
 * @param batch           B, policies per step (default 128)
 * @param states          M, fresh states per step for the behavioural loss (default 256)
 * @param steps           training steps (default 10,000)
 * @param seed            batches, states and initial weights derive from it
 * @param checkpointEvery steps between checkpoints (default 500)
 * @param evalEvery       steps between held-out evaluations (default 250)
 * @param heldOut         fraction of the dataset (its last policies) never trained on (default 0.05)
 * @param statsPolicies   training policies the standardisation statistics are computed over (default 10,000)
 */
public record TrainConfig(int latent, int[] encoderHidden, int[] decoderHidden, Loss loss, float lr, int batch, int states,
                          int steps, long seed, int checkpointEvery, int evalEvery, double heldOut, int statsPolicies) {

    /** What the autoencoder is trained to preserve. */
    public enum Loss {
        /** The decoded policy's actions against the original's on sampled states (the method). */
        BEHAVIOURAL,
        /** Squared error of the standardised parameters (the ablation the paper argues against). */
        PARAMETER;

        public static Loss parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "behavioural", "behavioral", "behaviour", "actions" -> BEHAVIOURAL;
                case "parameter", "parameters", "param" -> PARAMETER;
                default -> throw new IllegalArgumentException("unknown loss '" + s + "': expected behavioural or parameter");
            };
        }
    }

    public TrainConfig {
        if (latent < 1) throw new IllegalArgumentException("latent size K must be >= 1, got " + latent);
        for (int h : encoderHidden) if (h < 1) throw new IllegalArgumentException("encoder hidden sizes must be >= 1: " + Arrays.toString(encoderHidden));
        for (int h : decoderHidden) if (h < 1) throw new IllegalArgumentException("decoder hidden sizes must be >= 1: " + Arrays.toString(decoderHidden));
        if (!(lr > 0) || Float.isInfinite(lr)) throw new IllegalArgumentException("learning rate must be finite and > 0, got " + lr);
        if (batch < 1 || states < 1) throw new IllegalArgumentException("batch and states must be >= 1, got " + batch + " and " + states);
        if (steps < 1) throw new IllegalArgumentException("steps must be >= 1, got " + steps);
        if (checkpointEvery < 1 || evalEvery < 1) throw new IllegalArgumentException("checkpoint and eval intervals must be >= 1");
        if (!(heldOut >= 0 && heldOut < 1)) throw new IllegalArgumentException("held-out fraction must be in [0, 1), got " + heldOut);
        if (statsPolicies < 2) throw new IllegalArgumentException("stats policies must be >= 2, got " + statsPolicies);
        encoderHidden = encoderHidden.clone();
        decoderHidden = decoderHidden.clone();
    }

    public static TrainConfig defaults(int latent) {
        return new TrainConfig(latent, new int[] {256, 256}, new int[] {256, 256}, Loss.BEHAVIOURAL, 1e-3f, 128, 256, 10_000, 0, 500, 250, 0.05, 10_000);
    }

    public TrainConfig withSteps(int s) {
        return new TrainConfig(latent, encoderHidden, decoderHidden, loss, lr, batch, states, s, seed, checkpointEvery, evalEvery, heldOut, statsPolicies);
    }

    /** Whether two configs describe the same run apart from its length (a resumed run may go on further). */
    public boolean sameRunAs(TrainConfig o) {
        return latent == o.latent && Arrays.equals(encoderHidden, o.encoderHidden) && Arrays.equals(decoderHidden, o.decoderHidden)
                && loss == o.loss && lr == o.lr && batch == o.batch && states == o.states && seed == o.seed
                && heldOut == o.heldOut && statsPolicies == o.statsPolicies && evalEvery == o.evalEvery;
    }

    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("latent", latent);
        JsonArray e = new JsonArray(), d = new JsonArray();
        for (int h : encoderHidden) e.add(h);
        for (int h : decoderHidden) d.add(h);
        o.add("encoder_hidden", e);
        o.add("decoder_hidden", d);
        o.addProperty("loss", loss.name().toLowerCase(Locale.ROOT));
        o.addProperty("lr", lr);
        o.addProperty("batch", batch);
        o.addProperty("states", states);
        o.addProperty("steps", steps);
        o.addProperty("seed", seed);
        o.addProperty("checkpoint_every", checkpointEvery);
        o.addProperty("eval_every", evalEvery);
        o.addProperty("held_out", heldOut);
        o.addProperty("stats_policies", statsPolicies);
        return o;
    }

    public static TrainConfig fromJson(JsonObject o) {
        return new TrainConfig(o.get("latent").getAsInt(), ints(o.getAsJsonArray("encoder_hidden")), ints(o.getAsJsonArray("decoder_hidden")),
                Loss.parse(o.get("loss").getAsString()), o.get("lr").getAsFloat(), o.get("batch").getAsInt(), o.get("states").getAsInt(),
                o.get("steps").getAsInt(), o.get("seed").getAsLong(), o.get("checkpoint_every").getAsInt(), o.get("eval_every").getAsInt(),
                o.get("held_out").getAsDouble(), o.get("stats_policies").getAsInt());
    }

    private static int[] ints(JsonArray a) {
        int[] r = new int[a.size()];
        for (int i = 0; i < r.length; i++) r[i] = a.get(i).getAsInt();
        return r;
    }

    @Override public boolean equals(Object o) {
        return o instanceof TrainConfig t && sameRunAs(t) && steps == t.steps && checkpointEvery == t.checkpointEvery;
    }

    @Override public int hashCode() { return Arrays.hashCode(encoderHidden) * 31 + latent; }
}
