package policyzip.dataset;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.io.ArrayFile;
import policyzip.io.InvalidFileException;
import policyzip.policy.MlpSpec;

/**
 * A policy dataset (DESIGN.md, Files; format version 1): N behaviourally diverse policies of one architecture on one
 * env, stored as seed chains ({@link PolicyRefs}), with their behaviour descriptors, novelty scores, generation of
 * admission and returns on every task of the env (evaluation only: generation never reads them).
 *
 * <p>An {@link ArrayFile} of kind {@code dataset}. Header {@code meta}: {@code config} ({@link NoveltyConfig#toJson}),
 * {@code env_id}, {@code policy} (sizes, activation, output scale, P), {@code tasks}, {@code library},
 * {@code created}, {@code complete}, {@code generations}, {@code returns_done}, {@code return_seed}. Arrays:
 * <pre>
 * probe_states  F32 [M, O]   the states descriptors are measured on
 * state_buffer  F32 [S, O]   envs without a probe box (MuJoCo) only: states visited by random policies, which the
 *                            probe states are the first M of and training draws from ({@link StateBuffer})
 * root_seed     I64 [N]      policy i's prior seed
 * chain_offset  I32 [N + 1]  policy i's mutation seeds are chain_seed[chain_offset[i] .. chain_offset[i+1])
 * chain_seed    I64 [C]
 * descriptor    F32 [N, D]   D = M·A: the actions on the probe states, state-major
 * novelty       F32 [N]      novelty score when admitted (mean distance to k_n nearest neighbours)
 * generation    I32 [N]      generation of admission (0-based)
 * returns       F64 [N, T]   mean return over return_episodes episodes per task, task order as in meta.tasks
 * </pre>
 * An unfinished run's checkpoint has the same layout with {@code complete = false} and holds the archive so far
 * (returns valid for the first {@code returns_done} policies).
 */
public final class Dataset {
    public static final String KIND = "dataset";
    public static final int VERSION = 1;

    /** Everything a dataset file holds, in memory. */
    public record Contents(NoveltyConfig config, float[] probeStates, float[] stateBuffer, PolicyRefs refs, float[] descriptors, float[] novelty,
                           int[] generation, double[] returns, List<String> tasks, int generations, int returnsDone,
                           long returnSeed, boolean complete) {

        public int size() { return refs.size(); }
        public int descriptorDim() { return config.probes() * config.envSpec().actDim(); }
    }

    private final ArrayFile file;
    private final Contents contents;
    private final String created, library;

    private Dataset(ArrayFile file, Contents contents, String created, String library) {
        this.file = file;
        this.contents = contents;
        this.created = created;
        this.library = library;
    }

    public Path path() { return file.file(); }
    public Contents contents() { return contents; }
    public NoveltyConfig config() { return contents.config; }
    public MlpSpec mlp() { return contents.config.mlp(); }
    public EnvSpec env() { return contents.config.envSpec(); }
    public int size() { return contents.size(); }
    public List<String> tasks() { return contents.tasks; }
    public String created() { return created; }
    public String library() { return library; }
    public JsonObject header() { return file.meta(); }

    /** Mean return of policy i on task t (index into {@link #tasks()}). */
    public double returnOf(int i, int t) { return contents.returns[i * contents.tasks.size() + t]; }

    /**
     * M states [M, O] for training and evaluating on this dataset's env, a pure function of {@code seed}: uniform in
     * the probe box where the env has one (MountainCar, Pendulum), else drawn from the dataset's state buffer.
     */
    public float[] sampleStates(int m, long seed) {
        EnvSpec env = env();
        return env.hasProbeBox() ? env.sampleProbeStates(m, seed) : StateBuffer.sample(contents.stateBuffer, env.obsDim(), m, seed);
    }

    /** θ of policies [from, from + count) into dst [count, P], regenerated from their seeds. */
    public void thetas(int from, int count, float[] dst) {
        contents.refs.thetas(mlp(), contents.config.mutationSigma(), from, count, dst);
    }

    /** Opens a finished dataset; one {@link InvalidFileException} naming the file for anything wrong with it. */
    public static Dataset open(Path path) {
        Dataset d = openAny(path);
        if (!d.contents.complete) {
            throw new InvalidFileException(path, "is an unfinished dataset run (" + d.size() + " of " + d.config().n()
                    + " policies); continue it with `policyzip dataset --resume` and the same options");
        }
        return d;
    }

    /** Opens a dataset or an unfinished run's checkpoint. */
    static Dataset openAny(Path path) {
        ArrayFile f = ArrayFile.read(path, KIND, VERSION);
        try {
            JsonObject meta = f.meta();
            NoveltyConfig cfg = NoveltyConfig.fromJson(meta.getAsJsonObject("config"));
            List<String> tasks = new ArrayList<>();
            for (var t : meta.getAsJsonArray("tasks")) tasks.add(t.getAsString());
            EnvSpec env = cfg.envSpec();
            if (!tasks.equals(env.tasks())) {
                throw new InvalidFileException(path, "lists tasks " + tasks + " but " + env.id() + " has " + env.tasks()
                        + " in this version of PolicyZip");
            }
            MlpSpec mlp = cfg.mlp();
            if (meta.getAsJsonObject("policy").get("params").getAsInt() != mlp.paramCount()) {
                throw new InvalidFileException(path, "was written for policies of " + meta.getAsJsonObject("policy").get("params")
                        + " parameters; its options give " + mlp.describe());
            }
            PolicyRefs refs = PolicyRefs.of(f.longs("root_seed"), f.ints("chain_offset"), f.longs("chain_seed"));
            int n = refs.size(), m = cfg.probes(), d = m * env.actDim(), t = tasks.size();
            float[] buffer = f.has("state_buffer") ? f.floats("state_buffer") : new float[0];
            if (buffer.length % env.obsDim() != 0) {
                throw new InvalidFileException(path, "array 'state_buffer' has " + buffer.length + " elements, not a multiple of the observation size " + env.obsDim());
            }
            if (buffer.length == 0 && !env.hasProbeBox()) {
                throw new InvalidFileException(path, "has no state buffer, which " + env.id() + " datasets need");
            }
            float[] probes = f.floats("probe_states"), desc = f.floats("descriptor"), nov = f.floats("novelty");
            int[] gen = f.ints("generation");
            double[] ret = f.doubles("returns");
            check(path, "probe_states", probes.length, (long) m * env.obsDim());
            check(path, "descriptor", desc.length, (long) n * d);
            check(path, "novelty", nov.length, n);
            check(path, "generation", gen.length, n);
            check(path, "returns", ret.length, (long) n * t);
            boolean complete = meta.get("complete").getAsBoolean();
            if (complete && n != cfg.n()) throw new InvalidFileException(path, "holds " + n + " policies but says N = " + cfg.n());
            Contents c = new Contents(cfg, probes, buffer, refs, desc, nov, gen, ret, List.copyOf(tasks), meta.get("generations").getAsInt(),
                    meta.get("returns_done").getAsInt(), meta.get("return_seed").getAsLong(), complete);
            return new Dataset(f, c, meta.get("created").getAsString(), meta.get("library").getAsString());
        } catch (InvalidFileException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new InvalidFileException(path, "has a malformed dataset header or arrays: " + e.getMessage());
        }
    }

    private static void check(Path path, String name, long got, long want) {
        if (got != want) throw new InvalidFileException(path, "array '" + name + "' has " + got + " elements, expected " + want);
    }

    /** Writes {@code c} atomically to {@code path}. */
    public static void write(Path path, Contents c) throws IOException {
        NoveltyConfig cfg = c.config;
        MlpSpec mlp = cfg.mlp();
        EnvSpec env = cfg.envSpec();
        JsonObject meta = new JsonObject();
        meta.add("config", cfg.toJson());
        meta.addProperty("env_id", env.id());
        JsonObject pol = new JsonObject();
        JsonArray sizes = new JsonArray();
        sizes.add(mlp.obsDim());
        for (int l = 0; l < mlp.layers(); l++) sizes.add(mlp.out(l));
        pol.add("sizes", sizes);
        pol.addProperty("hidden_activation", mlp.hiddenActivation().name().toLowerCase(java.util.Locale.ROOT));
        pol.addProperty("output", mlp.outputScale() + "·tanh");
        pol.addProperty("params", mlp.paramCount());
        pol.addProperty("layout", "per layer W[out][in] row-major, then b[out]");
        meta.add("policy", pol);
        JsonArray tasks = new JsonArray();
        c.tasks.forEach(tasks::add);
        meta.add("tasks", tasks);
        meta.addProperty("library", libraryVersion());
        // Fixed width (milliseconds, UTC) so that two runs' files differ only in these characters and the checksum.
        meta.addProperty("created", java.time.format.DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
                .withZone(java.time.ZoneOffset.UTC).format(Instant.now()));
        meta.addProperty("complete", c.complete);
        meta.addProperty("generations", c.generations);
        meta.addProperty("returns_done", c.returnsDone);
        meta.addProperty("return_seed", c.returnSeed);
        int n = c.size(), m = cfg.probes();
        new ArrayFile.Writer(KIND, VERSION, meta)
                .floats("probe_states", c.probeStates, m, env.obsDim())
                .floats("state_buffer", c.stateBuffer, c.stateBuffer.length / env.obsDim(), env.obsDim())
                .longs("root_seed", c.refs.roots())
                .ints("chain_offset", c.refs.offsets())
                .longs("chain_seed", c.refs.chains())
                .floats("descriptor", c.descriptors, n, c.descriptorDim())
                .floats("novelty", c.novelty)
                .ints("generation", c.generation)
                .doubles("returns", c.returns, n, c.tasks.size())
                .write(path);
    }

    /** "policyzip 0.1.0" or "policyzip (development build)". */
    static String libraryVersion() {
        String v = Dataset.class.getPackage().getImplementationVersion();
        return "policyzip " + (v == null ? "(development build)" : v);
    }
}
