package policyzip.dataset;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.env.EnvSpec;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;
import policyzip.rollout.Rollout;
import policyzip.rollout.RolloutResult;

/**
 * Reward-free dataset generation by novelty search (SPEC.md section 2, step 1), generational:
 * <ol>
 *   <li>draw G candidates: fresh policies from the prior, or (with probability {@code mutationRate}) Gaussian
 *   mutations of archive members; candidate c of generation g has seed {@code mix64(mix64(seed + (g+1)·φ) + (c+1)·φ)};</li>
 *   <li>compute each candidate's behaviour descriptor: its actions on the M probe states (one batched forward);</li>
 *   <li>score novelty: the mean Euclidean distance to the k_n nearest neighbours among archive ∪ generation, itself
 *   excluded (exact, {@link Backend#knnSquaredDistances});</li>
 *   <li>admit the round(keep·G) most novel (ties: lower index first), in candidate order, until the archive holds N.</li>
 * </ol>
 * Then the returns of every archived policy on every task are evaluated ({@link Rollout}; evaluation only).
 *
 * <p>Durability: after every generation (and every 30 s of return evaluation) the state is written atomically to
 * {@code OUT.partial}; a killed run continues from there with {@code resume} and finishes with the same file as an
 * uninterrupted run (apart from the creation time). Memory: the archive's descriptors [N + G, D] and one chunk of
 * parameters (≤ 64 MB), never all θ.
 */
public final class NoveltySearch {
    private static final long PHI = 0x9E3779B97F4A7C15L;
    private static final long PROBE_STREAM = 0x50524F4245L, RETURN_STREAM = 0x52455455524EL;
    private static final long MUTATE_STREAM = 0x4D555441L, PARENT_STREAM = 0x504152454EL;
    /** Floats of θ materialised at once (64 MB). */
    static final int THETA_CHUNK_FLOATS = 1 << 24;
    private long checkpointNanos = 30_000_000_000L;

    /** Progress callbacks; they may throw to stop the run (the last checkpoint stays). */
    public interface Listener {
        /** After generation {@code generation} (0-based) was admitted and checkpointed. */
        default void onGeneration(int generation, int archiveSize, int target, double medianNovelty, int admitted) {}
        /** During return evaluation: {@code done} of {@code total} policies. */
        default void onReturns(int done, int total) {}
    }

    private final Backend backend;
    private final NoveltyConfig cfg;
    private final MlpSpec mlp;
    private final EnvSpec env;

    public NoveltySearch(Backend backend, NoveltyConfig cfg) {
        this.backend = backend;
        this.cfg = cfg;
        this.mlp = cfg.mlp();
        this.env = cfg.envSpec();
    }

    /** How often return evaluation checkpoints (default 30 s; generations always checkpoint). */
    public NoveltySearch checkpointEvery(java.time.Duration every) {
        this.checkpointNanos = every.toNanos();
        return this;
    }

    /** Where the checkpoint of a run writing {@code out} lives. */
    public static Path partialPath(Path out) {
        return out.resolveSibling(out.getFileName() + ".partial");
    }

    /**
     * Runs to completion and writes the dataset to {@code out}. With {@code resume}, continues the checkpoint
     * {@code OUT.partial} if there is one (its options must equal these); without, refuses to overwrite one.
     */
    public Dataset.Contents run(Path out, boolean resume, Listener listener) throws IOException {
        Listener l = listener == null ? new Listener() {} : listener;
        Path partial = partialPath(out);
        State st;
        if (Files.exists(partial)) {
            if (!resume) {
                throw new IllegalArgumentException(partial + " holds an unfinished run for " + out
                        + ": pass --resume to continue it, or delete it to start over");
            }
            st = State.from(Dataset.openAny(partial).contents(), cfg, partial);
        } else {
            long probeSeed = PolicyInit.mix64(cfg.seed() ^ PROBE_STREAM);
            if (env.hasProbeBox()) {
                st = new State(cfg, env.sampleProbeStates(cfg.probes(), probeSeed), new float[0], env.tasks().size());
            } else {
                // MuJoCo: states visited by random policies; the buffer's first M rows are the probe states.
                float[] buffer = StateBuffer.collect(backend, env, mlp, Math.max(StateBuffer.SIZE, cfg.probes()), probeSeed);
                if (buffer.length < cfg.probes() * env.obsDim()) {
                    throw new IllegalStateException("random policies on " + env.id() + " visited only " + buffer.length / env.obsDim()
                            + " states, fewer than the " + cfg.probes() + " probe states asked for");
                }
                st = new State(cfg, Arrays.copyOf(buffer, cfg.probes() * env.obsDim()), buffer, env.tasks().size());
            }
        }
        while (st.refs.size() < cfg.n()) {
            generation(st);
            Dataset.write(partial, st.contents(false));
            l.onGeneration(st.generations - 1, st.refs.size(), cfg.n(), st.lastMedianNovelty, st.lastAdmitted);
        }
        evaluateReturns(st, partial, l);
        Dataset.Contents done = st.contents(true);
        Dataset.write(out, done);
        Files.deleteIfExists(partial);
        return done;
    }

    // ---------------------------------------------------------------- one generation

    private void generation(State st) {
        int g = st.generations, gsize = cfg.generation(), a = st.refs.size(), d = st.dim;
        long genSeed = PolicyInit.mix64(cfg.seed() + (g + 1L) * PHI);
        PolicyRefs cand = new PolicyRefs();
        for (int c = 0; c < gsize; c++) {
            long s = PolicyInit.mix64(genSeed + (c + 1L) * PHI);
            if (cfg.mutationRate() > 0 && a > 0 && PolicyInit.unit(s ^ MUTATE_STREAM) < cfg.mutationRate()) {
                cand.addMutation(st.refs, (int) (PolicyInit.unit(s ^ PARENT_STREAM) * a), s);
            } else {
                cand.addFresh(s);
            }
        }
        // Descriptors of the candidates straight into rows [a, a + G) of the pool.
        descriptors(cand, st.probes, st.pool, a * d);
        // Novelty: k_n nearest among archive ∪ generation, self excluded.
        float[] novelty = novelty(backend, st.pool, a, gsize, d, cfg.neighbours());
        // Admit the most novel (ties: lower index), appended in candidate order.
        int admit = Math.min(cfg.kept(), cfg.n() - a);
        Integer[] order = new Integer[gsize];
        for (int c = 0; c < gsize; c++) order[c] = c;
        Arrays.sort(order, (x, y) -> novelty[x] != novelty[y] ? Float.compare(novelty[y], novelty[x]) : Integer.compare(x, y));
        int[] chosen = new int[admit];
        for (int r = 0; r < admit; r++) chosen[r] = order[r];
        Arrays.sort(chosen);
        for (int r = 0; r < admit; r++) {
            int c = chosen[r];
            st.refs.addCopy(cand, c);
            // Row a + c moves down to a + r (r <= c, ascending): no overlap problem.
            System.arraycopy(st.pool, (a + c) * d, st.pool, (a + r) * d, d);
            st.novelty[a + r] = novelty[c];
            st.generation[a + r] = g;
        }
        float[] sorted = novelty.clone();
        Arrays.sort(sorted);
        st.lastMedianNovelty = gsize % 2 == 1 ? sorted[gsize / 2] : 0.5 * (sorted[gsize / 2 - 1] + sorted[gsize / 2]);
        st.lastAdmitted = admit;
        st.generations = g + 1;
    }

    /**
     * Novelty of the G descriptors in rows [a, a + G) of {@code pool} [a + G, D]: the mean Euclidean distance to their
     * k nearest neighbours among all a + G rows, themselves excluded.
     */
    static float[] novelty(Backend backend, float[] pool, int a, int g, int d, int k) {
        int total = a + g;
        float[] knn = new float[g * k];
        try (Buffer pb = backend.upload(pool, 0, total * d); Buffer out = backend.allocate(g * k)) {
            backend.knnSquaredDistances(pb.slice(a * d, g * d), g, pb, total, d, k, a, out);
            backend.read(out, knn, 0);
        }
        float[] novelty = new float[g];
        for (int c = 0; c < g; c++) {
            double s = 0;
            for (int j = 0; j < k; j++) s += Math.sqrt(knn[c * k + j]);
            novelty[c] = (float) (s / k);
        }
        return novelty;
    }

    /**
     * Behaviour descriptors of every policy in {@code refs} into {@code dst[off ..]}, [count, M·A]: θ regenerated from
     * the seeds in chunks of at most 64 MB ({@link PolicyRefs#load}: on the backend when no policy of the chunk is
     * mutated), then one batched forward per chunk on the M probe states [M, O].
     */
    public void descriptors(PolicyRefs refs, float[] probes, float[] dst, int off) {
        int p = mlp.paramCount(), m = cfg.probes(), d = m * mlp.actDim(), n = refs.size();
        int chunk = Math.max(1, Math.min(n, THETA_CHUNK_FLOATS / p));
        float[] theta = null;   // host staging, only for chunks holding mutated policies (PolicyRefs.load)
        try (Buffer pb = backend.upload(probes); Buffer tb = backend.allocate(chunk * p); Buffer ab = backend.allocate(chunk * d)) {
            for (int from = 0; from < n; from += chunk) {
                int b = Math.min(chunk, n - from);
                Buffer t = b == chunk ? tb : tb.slice(0, b * p), ac = b == chunk ? ab : ab.slice(0, b * d);
                theta = refs.load(backend, mlp, cfg.mutationSigma(), from, b, t, theta);
                backend.mlpForward(mlp, t, b, pb, StateLayout.SHARED, m, ac, null);
                backend.read(ac, dst, off + from * d);   // straight into place: no staging array, no second copy
            }
        }
    }

    // ---------------------------------------------------------------- returns

    private void evaluateReturns(State st, Path partial, Listener l) throws IOException {
        int n = cfg.n(), p = mlp.paramCount(), tasks = env.tasks().size();
        // Policies per batch: Rollout.batchFor with 256 MB of θ, and at least 16 batches so that progress and
        // checkpoints are not all-or-nothing. The returns do not depend on it: each episode's reset seed is its own.
        int chunk = Math.max(1, Math.min(Rollout.batchFor(p, 1 << 26), (n + 15) / 16));
        // θ of each batch goes straight onto the backend (from seeds where no policy is mutated: on a GPU only the seeds
        // cross the bus), and the rollout reads it there.
        float[] staging = null;
        Rollout rollout = new Rollout(backend, env.name(), mlp);
        long lastSave = System.nanoTime();
        l.onReturns(st.returnsDone, n);
        try (Buffer tb = backend.allocate(chunk * p)) {
            while (st.returnsDone < n) {
                int from = st.returnsDone, b = Math.min(chunk, n - from);
                Buffer th = b == chunk ? tb : tb.slice(0, b * p);
                staging = st.refs.load(backend, mlp, cfg.mutationSigma(), from, b, th, staging);
                Map<String, RolloutResult> res = rollout.runAllTasks(th, b, cfg.returnEpisodes(), st.returnSeed, null);
                List<String> names = env.tasks();
                for (int t = 0; t < tasks; t++) {
                    double[] means = res.get(names.get(t)).meanReturns();
                    for (int i = 0; i < b; i++) st.returns[(from + i) * tasks + t] = means[i];
                }
                st.returnsDone = from + b;
                l.onReturns(st.returnsDone, n);
                if (st.returnsDone < n && System.nanoTime() - lastSave >= checkpointNanos) {
                    Dataset.write(partial, st.contents(false));
                    lastSave = System.nanoTime();
                }
            }
        }
    }


    /** The run's mutable state: the archive (refs, descriptors in pool rows [0, size)), returns, counters. */
    private static final class State {
        final NoveltyConfig cfg;
        final float[] probes, buffer;
        final int dim, tasks;
        final PolicyRefs refs;
        final float[] pool;   // [N + G, D]: archive rows, then the current generation's candidates
        final float[] novelty;
        final int[] generation;
        final double[] returns;
        final long returnSeed;
        int generations, returnsDone, lastAdmitted;
        double lastMedianNovelty;

        State(NoveltyConfig cfg, float[] probes, float[] buffer, int tasks) {
            this(cfg, probes, buffer, tasks, new PolicyRefs());
        }

        private State(NoveltyConfig cfg, float[] probes, float[] buffer, int tasks, PolicyRefs refs) {
            this.cfg = cfg;
            this.probes = probes;
            this.buffer = buffer;
            this.dim = cfg.probes() * cfg.envSpec().actDim();
            this.tasks = tasks;
            this.refs = refs;
            this.pool = new float[Math.multiplyExact(cfg.n() + cfg.generation(), dim)];
            this.novelty = new float[cfg.n()];
            this.generation = new int[cfg.n()];
            this.returns = new double[Math.multiplyExact(cfg.n(), tasks)];
            this.returnSeed = PolicyInit.mix64(cfg.seed() ^ RETURN_STREAM) >>> 1;
        }

        static State from(Dataset.Contents c, NoveltyConfig cfg, Path partial) {
            if (!c.config().equals(cfg)) {
                throw new IllegalArgumentException(partial + " was started with other options (" + c.config().toJson()
                        + "); run with those, or delete it to start over");
            }
            State s = new State(cfg, c.probeStates(), c.stateBuffer(), c.tasks().size(), c.refs());
            int n = c.size();
            System.arraycopy(c.descriptors(), 0, s.pool, 0, c.descriptors().length);
            System.arraycopy(c.novelty(), 0, s.novelty, 0, n);
            System.arraycopy(c.generation(), 0, s.generation, 0, n);
            System.arraycopy(c.returns(), 0, s.returns, 0, c.returns().length);
            s.generations = c.generations();
            s.returnsDone = c.returnsDone();
            return s;
        }

        Dataset.Contents contents(boolean complete) {
            int n = refs.size();
            double[] ret = complete || returnsDone > 0 ? Arrays.copyOf(returns, n * tasks) : new double[n * tasks];
            return new Dataset.Contents(cfg, probes, buffer, refs, Arrays.copyOf(pool, n * dim), Arrays.copyOf(novelty, n),
                    Arrays.copyOf(generation, n), ret, cfg.envSpec().tasks(), generations, returnsDone, returnSeed, complete);
        }
    }
}
