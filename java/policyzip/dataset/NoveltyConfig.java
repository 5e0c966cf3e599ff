package policyzip.dataset;

import com.google.gson.JsonObject;
import java.util.Locale;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/**
 * Every option of novelty-search dataset generation (SPEC.md section 2, step 1), with SPEC.md's defaults.
 *
 * @param env            environment name ({@link Envs})
 * @param size           policy size: small, medium, large or hidden sizes such as 64-64
 * @param activation     hidden activation
 * @param n              policies in the finished archive (N, default 50,000)
 * @param generation     candidates per generation (G, default 10,000)
 * @param probes         probe states M the behaviour descriptor is measured on (default 256)
 * @param neighbours     k_n, the nearest neighbours novelty averages over (default 10)
 * @param keep           fraction of each generation admitted to the archive (default 0.1)
 * @param mutationRate   fraction of candidates drawn as Gaussian mutations of archive members instead of fresh
 *                       random policies (default 0: every candidate is a fresh draw from the prior)
 * @param mutationSigma  mutation scale, in units of each layer's init bound 1/sqrt(fan_in) (default 0.1)
 * @param seed           the run's seed: candidates, probe states and return episodes all derive from it
 * @param returnEpisodes episodes per policy and task when evaluating the stored returns (default 1)
 */
public record NoveltyConfig(String env, String size, Activation activation, int n, int generation, int probes,
                            int neighbours, double keep, double mutationRate, float mutationSigma, long seed,
                            int returnEpisodes) {

    public NoveltyConfig {
        Envs.spec(env);
        if (n < 2) throw new IllegalArgumentException("dataset size N must be >= 2, got " + n);
        if (generation < 2) throw new IllegalArgumentException("generation size G must be >= 2, got " + generation);
        if (probes < 1) throw new IllegalArgumentException("probe states M must be >= 1, got " + probes);
        if (neighbours < 1 || neighbours > generation - 1) {
            throw new IllegalArgumentException("neighbours k_n must be in [1, G - 1] = [1, " + (generation - 1) + "], got " + neighbours);
        }
        if (!(keep > 0 && keep <= 1)) throw new IllegalArgumentException("kept fraction must be in (0, 1], got " + keep);
        if (!(mutationRate >= 0 && mutationRate <= 1)) throw new IllegalArgumentException("mutation rate must be in [0, 1], got " + mutationRate);
        if (!(mutationSigma > 0) || Float.isInfinite(mutationSigma)) {
            throw new IllegalArgumentException("mutation sigma must be finite and > 0, got " + mutationSigma);
        }
        if (returnEpisodes < 1) throw new IllegalArgumentException("return episodes must be >= 1, got " + returnEpisodes);
        if (Math.round(generation * keep) < 1) throw new IllegalArgumentException("G × keep admits no policy per generation: raise --keep or --generation");
    }

    /** SPEC.md's defaults for {@code env} and {@code size}. */
    public static NoveltyConfig defaults(String env, String size) {
        return new NoveltyConfig(env, size, Activation.RELU, 50_000, 10_000, 256, 10, 0.1, 0.0, 0.1f, 0, 1);
    }

    /** Candidates admitted per generation: round(G · keep). */
    public int kept() { return (int) Math.round(generation * keep); }

    public EnvSpec envSpec() { return Envs.spec(env); }

    public MlpSpec mlp() {
        EnvSpec e = envSpec();
        return MlpSpec.of(size, e.obsDim(), e.actDim(), activation, e.policyOutputScale());
    }

    public NoveltyConfig withN(int v) { return new NoveltyConfig(env, size, activation, v, generation, probes, neighbours, keep, mutationRate, mutationSigma, seed, returnEpisodes); }

    /** The options as JSON, for the dataset header. */
    public JsonObject toJson() {
        JsonObject o = new JsonObject();
        o.addProperty("env", envSpec().name());
        o.addProperty("size", size);
        o.addProperty("activation", activation.name().toLowerCase(Locale.ROOT));
        o.addProperty("n", n);
        o.addProperty("generation", generation);
        o.addProperty("probes", probes);
        o.addProperty("neighbours", neighbours);
        o.addProperty("keep", keep);
        o.addProperty("mutation_rate", mutationRate);
        o.addProperty("mutation_sigma", mutationSigma);
        o.addProperty("seed", seed);
        o.addProperty("return_episodes", returnEpisodes);
        return o;
    }

    public static NoveltyConfig fromJson(JsonObject o) {
        return new NoveltyConfig(o.get("env").getAsString(), o.get("size").getAsString(), Activation.parse(o.get("activation").getAsString()),
                o.get("n").getAsInt(), o.get("generation").getAsInt(), o.get("probes").getAsInt(), o.get("neighbours").getAsInt(),
                o.get("keep").getAsDouble(), o.get("mutation_rate").getAsDouble(), o.get("mutation_sigma").getAsFloat(),
                o.get("seed").getAsLong(), o.get("return_episodes").getAsInt());
    }
}
