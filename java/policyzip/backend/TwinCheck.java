package policyzip.backend;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/**
 * Compares a backend with its CPU twin, the scalar {@link CpuBackend}, on fresh random inputs (DESIGN.md, Backends):
 * every output buffer is poisoned with NaN first, and the error ({@link #relError}) is the relative error in the 2-norm
 * or the max-norm, whichever is larger (NaN where the twin has none counts as infinite): under 1e-5 in float32 for the
 * arithmetic operations, exactly 0 for {@link Backend#initPolicies}, which is bit-identical by construction. {@code policyzip selfcheck} runs it on a GPU
 * machine without Maven; the GPU tests run it under JUnit, and so do the tests of the CPU emulator of the kernels
 * (backend {@code cuda-emu}, with {@code quick} sizes).
 *
 * <p>Cases sit at awkward sizes: M around the preset kernels' switch (63, 64) and their 256-state tiles, B over
 * several blocks, k-NN with and without self-exclusion and at the device selection's largest k (64) and one above.
 */
public final class TwinCheck {
    /** Relative tolerance of the float32 operations (DESIGN.md). */
    public static final double TOLERANCE = 1e-5;

    /** One comparison: which operation, on what, the relative error against the CPU twin and whether it passed. */
    public record Result(String op, String what, double relError, double tolerance) {
        public boolean passed() { return relError <= tolerance; }
    }

    private TwinCheck() {}

    /** Every case, on fresh inputs drawn from {@code seed}; {@code each} sees each result as it comes. */
    public static List<Result> run(Backend be, long seed, boolean quick, Consumer<Result> each) {
        List<Result> out = new ArrayList<>();
        Consumer<Result> add = r -> { out.add(r); if (each != null) each.accept(r); };
        SplittableRandom rng = new SplittableRandom(seed);
        try (CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
            for (MlpCase c : mlpCases(quick)) forward(be, ref, c, rng, add);
            for (MlpSpec mlp : new MlpSpec[] {spec(2, "small", 1, Activation.RELU, 1f), spec(2, "medium", 1, Activation.RELU, 1f),
                    spec(3, "large", 1, Activation.RELU, 2f)}) {
                init(be, ref, mlp, quick ? 3 : 70, rng, add);
            }
            int[][] pairs = {{1, 1, 1}, {3, 70, 17}, {130, 65, 256}, {257, 1, 5}, {64, 129, 64}};
            for (int[] p : pairs) pairwise(be, ref, p[0], p[1], p[2], rng, add);
            // {Q, P, D, k, self offset or -1}
            int[][] knn = {{1, 5, 3, 1, -1}, {70, 300, 17, 10, -1}, {300, 1100, 256, 10, 700}, {64, 64, 5, 63, 0},
                    {50, 200, 8, 64, -1}, {20, 100, 4, 65, 40}};
            for (int[] k : knn) {
                if (quick && k[1] > 1000) continue;
                knn(be, ref, k[0], k[1], k[2], k[3], k[4], rng, add);
            }
        }
        return out;
    }

    record MlpCase(MlpSpec mlp, int batch, int m, StateLayout layout, boolean cache) {}

    private static MlpSpec spec(int obs, String size, int act, Activation a, float scale) {
        return MlpSpec.of(size, obs, act, a, scale);
    }

    static List<MlpCase> mlpCases(boolean quick) {
        MlpSpec[] specs = {
                spec(2, "small", 1, Activation.RELU, 1f),            // preset 2-4-1
                spec(2, "8", 1, Activation.RELU, 1f),                // preset 2-8-1 (fwd-small)
                spec(2, "medium", 1, Activation.RELU, 1f),           // preset 2-32-32-1
                spec(3, "medium", 1, Activation.TANH, 2f),           // preset 3-32-32-1, tanh hidden, Pendulum's scale
                spec(3, "small", 1, Activation.RELU, 2f),            // preset 3-4-1
                spec(5, "33-17", 3, Activation.RELU, 1f),            // generic
                spec(4, "64-48-40", 2, Activation.TANH, 1f),         // generic, three hidden layers
                new MlpSpec(2, new int[] {}, 2, Activation.RELU, 1f), // generic, no hidden layer
        };
        List<MlpCase> cases = new ArrayList<>();
        int[] ms = quick ? new int[] {1, 64, 300} : new int[] {1, 5, 63, 64, 300};
        int[] bs = quick ? new int[] {3} : new int[] {1, 37};
        for (MlpSpec mlp : specs) {
            for (int b : bs) {
                for (int m : ms) {
                    for (StateLayout layout : StateLayout.values()) cases.add(new MlpCase(mlp, b, m, layout, (m + b) % 2 == 0));
                }
            }
        }
        // The fused GEMM kernel: A = 1 and A = 3, a tail tile of states, with and without the activations cache.
        MlpSpec large = spec(2, "large", 1, Activation.RELU, 1f), large3 = spec(11, "large", 3, Activation.TANH, 1f);
        for (int m : quick ? new int[] {70} : new int[] {1, 70, 300}) {
            cases.add(new MlpCase(large, 2, m, StateLayout.SHARED, false));
            cases.add(new MlpCase(large, 2, m, StateLayout.PER_POLICY, true));
            cases.add(new MlpCase(large3, 2, m, StateLayout.PER_POLICY, m != 70));
        }
        return cases;
    }

    private static void forward(Backend be, CpuBackend ref, MlpCase c, SplittableRandom rng, Consumer<Result> add) {
        MlpSpec mlp = c.mlp();
        int p = mlp.paramCount(), o = mlp.obsDim();
        // Each layer's weights and biases uniform in ±2/sqrt(in), twice the prior's range: activations neither vanish nor
        // saturate the output tanh, whatever the width.
        float[] theta = new float[c.batch() * p];
        for (int b = 0; b < c.batch(); b++) {
            for (int l = 0; l < mlp.layers(); l++) {
                double s = 2 / Math.sqrt(mlp.in(l));
                for (int i = mlp.weightOffset(l); i < mlp.biasOffset(l) + mlp.out(l); i++) theta[b * p + i] = (float) ((rng.nextDouble() * 2 - 1) * s);
            }
        }
        float[] states = uniform(rng, (int) c.layout().length(c.batch(), c.m(), o), 1.5);
        int nAct = c.batch() * c.m() * mlp.actDim(), nCache = c.cache() ? c.batch() * mlp.hiddenUnits() * c.m() : 0;
        float[][] want = forwardOn(ref, mlp, c, theta, states, nAct, nCache);
        float[][] got = forwardOn(be, mlp, c, theta, states, nAct, nCache);
        String what = mlp.describe() + " B=" + c.batch() + " M=" + c.m() + " " + c.layout() + (c.cache() ? " +activations" : "");
        add.accept(new Result("mlpForward", what, relError(got[0], want[0]), TOLERANCE));
        if (c.cache() && nCache > 0) add.accept(new Result("mlpForward", what + " (activations)", relError(got[1], want[1]), TOLERANCE));
    }

    private static float[][] forwardOn(Backend be, MlpSpec mlp, MlpCase c, float[] theta, float[] states, int nAct, int nCache) {
        try (Buffer th = be.upload(theta); Buffer st = be.upload(states); Buffer ac = be.upload(nan(nAct));
             Buffer ca = nCache > 0 ? be.upload(nan(nCache)) : null) {
            be.mlpForward(mlp, th, c.batch(), st, c.layout(), c.m(), ac, ca);
            float[] a = new float[nAct], h = new float[nCache];
            be.read(ac, a, 0);
            if (ca != null) be.read(ca, h, 0);
            return new float[][] {a, h};
        }
    }

    private static void init(Backend be, CpuBackend ref, MlpSpec mlp, int batch, SplittableRandom rng, Consumer<Result> add) {
        long[] seeds = new long[batch];
        for (int i = 0; i < batch; i++) seeds[i] = rng.nextLong();
        float[][] r = new float[2][];
        Backend[] both = {ref, be};
        for (int i = 0; i < 2; i++) {
            try (Buffer th = both[i].upload(nan(batch * mlp.paramCount()))) {
                both[i].initPolicies(mlp, seeds, th);
                r[i] = new float[batch * mlp.paramCount()];
                both[i].read(th, r[i], 0);
            }
        }
        int differ = 0;
        for (int i = 0; i < r[0].length; i++) if (Float.floatToRawIntBits(r[0][i]) != Float.floatToRawIntBits(r[1][i])) differ++;
        // Bit-identical: any differing bit is a failure, reported through the relative error (≥ 1 ulp's worth).
        double err = differ == 0 ? 0 : Math.max(relError(r[1], r[0]), Double.MIN_NORMAL);
        add.accept(new Result("initPolicies", mlp.describe() + " B=" + batch + (differ > 0 ? " (" + differ + " values differ)" : " (bit-identical)"), err, 0));
    }

    private static void pairwise(Backend be, CpuBackend ref, int r1, int r2, int d, SplittableRandom rng, Consumer<Result> add) {
        float[] x = uniform(rng, r1 * d, 1), y = uniform(rng, r2 * d, 1);
        float[][] r = new float[2][];
        Backend[] both = {ref, be};
        for (int i = 0; i < 2; i++) {
            try (Buffer xb = both[i].upload(x); Buffer yb = both[i].upload(y); Buffer out = both[i].upload(nan(r1 * r2))) {
                both[i].pairwiseSquaredDistances(xb, r1, yb, r2, d, out);
                r[i] = new float[r1 * r2];
                both[i].read(out, r[i], 0);
            }
        }
        add.accept(new Result("pairwiseSquaredDistances", "R1=" + r1 + " R2=" + r2 + " D=" + d, relError(r[1], r[0]), TOLERANCE));
    }

    private static void knn(Backend be, CpuBackend ref, int q, int p, int d, int k, int self, SplittableRandom rng, Consumer<Result> add) {
        float[] pool = uniform(rng, p * d, 1);
        float[] queries = self >= 0 ? Arrays.copyOfRange(pool, self * d, (self + q) * d) : uniform(rng, q * d, 1);
        float[][] r = new float[2][];
        Backend[] both = {ref, be};
        for (int i = 0; i < 2; i++) {
            try (Buffer pb = both[i].upload(pool); Buffer out = both[i].upload(nan(q * k))) {
                Buffer qb = self >= 0 ? pb.slice(self * d, q * d) : both[i].upload(queries);
                both[i].knnSquaredDistances(qb, q, pb, p, d, k, self, out);
                r[i] = new float[q * k];
                both[i].read(out, r[i], 0);
                if (self < 0) qb.close();
            }
        }
        add.accept(new Result("knnSquaredDistances", "Q=" + q + " P=" + p + " D=" + d + " k=" + k + (self >= 0 ? " self at " + self : ""),
                relError(r[1], r[0]), TOLERANCE));
    }

    /**
     * The larger of {@code ‖got − want‖₂ / ‖want‖₂} and {@code ‖got − want‖∞ / ‖want‖∞} (the second so that one wrong
     * element among thousands cannot hide in the norm); infinite when got is not finite where want is, or differs
     * where want is not finite.
     */
    public static double relError(float[] got, float[] want) {
        if (got.length != want.length) return Double.POSITIVE_INFINITY;
        double num = 0, den = 0, maxErr = 0, maxRef = 0;
        for (int i = 0; i < want.length; i++) {
            if (Float.isFinite(want[i]) != Float.isFinite(got[i])) return Double.POSITIVE_INFINITY;
            if (!Float.isFinite(want[i])) {
                if (Float.compare(want[i], got[i]) != 0) return Double.POSITIVE_INFINITY;
                continue;
            }
            double e = (double) got[i] - want[i];
            num += e * e;
            den += (double) want[i] * want[i];
            maxErr = Math.max(maxErr, Math.abs(e));
            maxRef = Math.max(maxRef, Math.abs(want[i]));
        }
        if (num == 0) return 0;
        if (den == 0) return Double.POSITIVE_INFINITY;
        return Math.max(Math.sqrt(num / den), maxErr / maxRef);
    }

    private static float[] uniform(SplittableRandom rng, int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) ((rng.nextDouble() * 2 - 1) * scale);
        return f;
    }

    private static float[] nan(int n) {
        float[] f = new float[n];
        Arrays.fill(f, Float.NaN);
        return f;
    }
}
