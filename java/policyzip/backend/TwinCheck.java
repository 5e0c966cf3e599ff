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
 * arithmetic operations, exactly 0 for {@link Backend#initPolicies} and the element-wise training operations, which are
 * bit-identical by construction. {@code policyzip selfcheck} runs it on a GPU machine without Maven; the GPU tests run
 * it under JUnit, and so do the tests of the CPU emulator of the kernels (backend {@code cuda-emu}, with {@code quick}
 * sizes).
 *
 * <p>Cases sit at awkward sizes: M around the preset kernels' switch (63, 64) and their 256-state tiles, B over
 * several blocks, the backward on every kernel path of cuda/mlp_backward.cu with and without dL/d(states), k-NN with
 * and without self-exclusion and at the device selection's largest k (64) and one above, dense layers at the GEMM
 * tiles' edges and past the split-K threshold ({@link #denseCases}), their error measured against the magnitude of the
 * summed terms ({@link #sumError}), since the device may add them in another order. The element-wise training operations (Adam,
 * column affine, the MSE gradient) must be bit-identical, like θ from seeds; the MSE loss, a double sum, within
 * {@link #LOSS_TOLERANCE}.
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
            for (BackwardCase c : backwardCases(quick)) backward(be, ref, c, rng, add);
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
            for (DenseCase c : denseCases(quick)) dense(be, ref, c, rng, add);
            if (!quick && be.name().equals("cuda")) longReductions(be, ref, LONG_K, rng, add);
            int[][] adam = quick ? new int[][] {{1000, 3, 0}} : new int[][] {{1, 1, 0}, {1000, 7, 1}, {70001, 1000, 0}, {257, 2, 1}};
            for (int[] a : adam) adam(be, ref, a[0], a[1], a[2] == 1, rng, add);
            // {R, C, with shift, in place}
            int[][] affine = quick ? new int[][] {{3, 7, 1, 1}, {4, 5, 0, 0}}
                    : new int[][] {{1, 1, 1, 0}, {3, 7, 0, 0}, {70, 300, 1, 1}, {5, 129, 0, 1}, {257, 65, 1, 0}};
            for (int[] a : affine) affine(be, ref, a[0], a[1], a[2] == 1, a[3] == 1, rng, add);
            // {n, with gradient}: one element, the CPU's 65,536-element chunks and the GPU's 4,096-element blocks crossed
            int[][] mse = quick ? new int[][] {{1000, 1}, {10, 0}} : new int[][] {{1, 1}, {1000, 0}, {70001, 1}, {300000, 1}};
            for (int[] c : mse) mse(be, ref, c[0], c[1] == 1, rng, add);
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
        // The fused GEMM kernel: A = 1 and A = 3, a tail tile of states, with and without the activations cache; and at
        // M = 1, the matrix-vector kernel (the rollouts' shape).
        MlpSpec large = spec(2, "large", 1, Activation.RELU, 1f), large3 = spec(11, "large", 3, Activation.TANH, 1f);
        for (int m : quick ? new int[] {1, 70} : new int[] {1, 70, 300}) {
            cases.add(new MlpCase(large, 2, m, StateLayout.SHARED, false));
            cases.add(new MlpCase(large, 2, m, StateLayout.PER_POLICY, true));
            cases.add(new MlpCase(large3, 2, m, StateLayout.PER_POLICY, m != 70));
        }
        return cases;
    }

    /**
     * Each layer's weights and biases uniform in ±2/sqrt(in), twice the prior's range: activations neither vanish nor
     * saturate the output tanh, whatever the width.
     */
    private static float[] randomTheta(MlpSpec mlp, int batch, SplittableRandom rng) {
        int p = mlp.paramCount();
        float[] theta = new float[batch * p];
        for (int b = 0; b < batch; b++) {
            for (int l = 0; l < mlp.layers(); l++) {
                double s = 2 / Math.sqrt(mlp.in(l));
                for (int i = mlp.weightOffset(l); i < mlp.biasOffset(l) + mlp.out(l); i++) theta[b * p + i] = (float) ((rng.nextDouble() * 2 - 1) * s);
            }
        }
        return theta;
    }

    private static void forward(Backend be, CpuBackend ref, MlpCase c, SplittableRandom rng, Consumer<Result> add) {
        MlpSpec mlp = c.mlp();
        int o = mlp.obsDim();
        float[] theta = randomTheta(mlp, c.batch(), rng);
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

    record BackwardCase(MlpSpec mlp, int batch, int m, StateLayout layout, boolean dStates) {}

    /**
     * The backward's cases: every preset (cuda/mlp_backward.cu's fused kernel, 64-state tiles), the layered path on one
     * to four hidden layers and none, A > 1, and the large net (its 320- and 256-row GEMM tiles); M = 1, around the
     * preset tile (63, 64) and past several tiles with a tail (300; the large net also 256 and 70); B = 1 and over
     * many blocks (37); each (net, layout) with and without dL/d(states) (shared states: the sum over policies).
     */
    static List<BackwardCase> backwardCases(boolean quick) {
        MlpSpec[] specs = {
                spec(2, "small", 1, Activation.RELU, 1f),                 // preset 2-4-1
                spec(2, "8", 1, Activation.RELU, 1f),                     // preset 2-8-1
                spec(2, "medium", 1, Activation.RELU, 1f),                // preset 2-32-32-1 (the autoencoder's behavioural loss)
                spec(3, "medium", 1, Activation.TANH, 2f),                // preset 3-32-32-1, tanh hidden, Pendulum's scale
                spec(3, "small", 1, Activation.RELU, 2f),                 // preset 3-4-1
                spec(5, "33-17", 3, Activation.RELU, 1f),                 // layered
                spec(4, "64-48-40", 2, Activation.TANH, 1f),              // layered, three hidden layers
                spec(3, "20-16-12-8", 2, Activation.IDENTITY, 1.5f),      // layered, four hidden layers
                new MlpSpec(2, new int[] {}, 2, Activation.RELU, 1f),     // layered, no hidden layer
        };
        List<BackwardCase> cases = new ArrayList<>();
        int[] ms = quick ? new int[] {1, 64, 300} : new int[] {1, 5, 63, 64, 300};
        int[] bs = quick ? new int[] {3} : new int[] {1, 37};
        for (MlpSpec mlp : specs) {
            for (int b : bs) {
                for (int m : ms) {
                    for (StateLayout layout : StateLayout.values()) {
                        for (boolean dStates : new boolean[] {false, true}) cases.add(new BackwardCase(mlp, b, m, layout, dStates));
                    }
                }
            }
        }
        MlpSpec large = spec(2, "large", 1, Activation.RELU, 1f), large3 = spec(11, "large", 3, Activation.TANH, 1f);
        for (int m : quick ? new int[] {70} : new int[] {1, 70, 256, 300}) {
            for (StateLayout layout : StateLayout.values()) {
                boolean ds = (m + layout.ordinal()) % 2 == 0;
                cases.add(new BackwardCase(large, 2, m, layout, ds));
                cases.add(new BackwardCase(large3, 2, m, layout, !ds));
            }
        }
        return cases;
    }

    /**
     * dθ and dL/d(states) of both backends from the same inputs: θ and states as in the forward cases, the twin's forward
     * outputs (actions and activations; so a ReLU's derivative is read from the same values), dL/d(actions) in ±1.
     */
    private static void backward(Backend be, CpuBackend ref, BackwardCase c, SplittableRandom rng, Consumer<Result> add) {
        MlpSpec mlp = c.mlp();
        int nAct = c.batch() * c.m() * mlp.actDim(), nCache = c.batch() * mlp.hiddenUnits() * c.m();
        float[] theta = randomTheta(mlp, c.batch(), rng);
        float[] states = uniform(rng, (int) c.layout().length(c.batch(), c.m(), mlp.obsDim()), 1.5);
        float[] actions = new float[nAct], cache = new float[nCache];
        try (Buffer th = ref.upload(theta); Buffer st = ref.upload(states); Buffer ac = ref.allocate(nAct); Buffer ca = ref.allocate(nCache)) {
            ref.mlpForward(mlp, th, c.batch(), st, c.layout(), c.m(), ac, ca);
            ref.read(ac, actions, 0);
            ref.read(ca, cache, 0);
        }
        float[] dActions = uniform(rng, nAct, 1);
        float[][] want = backwardOn(ref, c, theta, states, actions, cache, dActions);
        float[][] got = backwardOn(be, c, theta, states, actions, cache, dActions);
        String what = mlp.describe() + " B=" + c.batch() + " M=" + c.m() + " " + c.layout() + (c.dStates() ? " +dStates" : "");
        add.accept(new Result("mlpBackward", what + " (dθ)", relError(got[0], want[0]), TOLERANCE));
        if (c.dStates()) add.accept(new Result("mlpBackward", what + " (dStates)", relError(got[1], want[1]), TOLERANCE));
    }

    private static float[][] backwardOn(Backend be, BackwardCase c, float[] theta, float[] states, float[] actions, float[] cache,
                                        float[] dActions) {
        try (Buffer th = be.upload(theta); Buffer st = be.upload(states); Buffer ac = be.upload(actions); Buffer ca = be.upload(cache);
             Buffer da = be.upload(dActions); Buffer dth = be.upload(nan(theta.length));
             Buffer ds = c.dStates() ? be.upload(nan(states.length)) : null) {
            be.mlpBackward(c.mlp(), th, c.batch(), st, c.layout(), c.m(), ac, ca, da, dth, ds);
            float[] g = new float[theta.length], d = new float[c.dStates() ? states.length : 0];
            be.read(dth, g, 0);
            if (ds != null) be.read(ds, d, 0);
            return new float[][] {g, d};
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
        add.accept(exact("initPolicies", mlp.describe() + " B=" + batch, r[1], r[0]));
    }

    /** A bit-identical comparison: any differing bit is a failure, reported through the relative error (≥ 1 ulp's worth). */
    private static Result exact(String op, String what, float[] got, float[] want) {
        int differ = got.length == want.length ? 0 : Math.max(got.length, want.length);
        for (int i = 0; i < Math.min(got.length, want.length); i++) {
            if (Float.floatToRawIntBits(got[i]) != Float.floatToRawIntBits(want[i])) differ++;
        }
        double err = differ == 0 ? 0 : Math.max(relError(got, want), Double.MIN_NORMAL);
        return new Result(op, what + (differ > 0 ? " (" + differ + " values differ)" : " (bit-identical)"), err, 0);
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

    /** A dense layer case: x [R, I], W [J, I], the activation, dx wanted (backward), every buffer a slice at offset off. */
    record DenseCase(int rows, int in, int out, Activation act, boolean dx, int off) {
        String describe() {
            return "R=" + rows + " I=" + in + " J=" + out + " " + act.name().toLowerCase(java.util.Locale.ROOT) + (dx ? "" : " dx=null")
                    + (off > 0 ? " at offset " + off : "");
        }
    }

    /**
     * Dense shapes at the GEMM tiles' edges (64 × 64, k by 16): K = 1 (a latent of one), one row (where the CPU sums a
     * 1-column chunk as a matrix-vector product), a 2 × 256 layer, tall K into a small output (split-K in the CUDA
     * backend: forward with I >= 512, dx with J >= 512, dW with R >= 512), widths that are and are not multiples of 4
     * (float4 or scalar loads), buffers at an odd offset (unaligned slices, as the autoencoder's parameter slices are).
     */
    static List<DenseCase> denseCases(boolean quick) {
        Activation relu = Activation.RELU, tanh = Activation.TANH, id = Activation.IDENTITY;
        if (quick) {
            return List.of(new DenseCase(3, 5, 7, relu, true, 1), new DenseCase(2, 1, 66, tanh, true, 0),
                    new DenseCase(17, 600, 9, id, true, 0), new DenseCase(20, 3, 600, id, true, 0), new DenseCase(5, 4, 9, tanh, false, 0));
        }
        return List.of(new DenseCase(1, 1, 1, relu, true, 0), new DenseCase(3, 5, 7, relu, true, 1),
                new DenseCase(1, 37, 129, tanh, true, 0), new DenseCase(1, 129, 3, tanh, true, 0),
                new DenseCase(5, 1, 300, relu, true, 0), new DenseCase(37, 1, 257, id, true, 1),
                new DenseCase(70, 65, 3, id, true, 1), new DenseCase(130, 68, 66, relu, true, 0),
                new DenseCase(67, 64, 129, tanh, true, 1), new DenseCase(70, 68, 132, relu, true, 0),
                new DenseCase(2, 256, 2, relu, true, 0), new DenseCase(2, 2, 256, relu, true, 0),
                new DenseCase(40, 2100, 70, id, true, 0), new DenseCase(130, 1000, 66, relu, false, 1),
                new DenseCase(64, 256, 700, id, true, 0), new DenseCase(600, 40, 33, tanh, false, 1),
                new DenseCase(5, 300, 64, relu, false, 0), new DenseCase(65, 300, 1000, id, true, 0));
    }

    /** denseForward and denseBackward of one case: y, and dW, db, dx from random x, W, b, y, dy (y ≥ 0 for ReLU, |y| < 1 for tanh). */
    private static void dense(Backend be, CpuBackend ref, DenseCase c, SplittableRandom rng, Consumer<Result> add) {
        int r = c.rows(), in = c.in(), out = c.out();
        float[] x = uniform(rng, r * in, 1), w = uniform(rng, out * in, 2 / Math.sqrt(in)), b = uniform(rng, out, 0.5);
        float[] y = uniform(rng, r * out, 1), dy = uniform(rng, r * out, 1);
        if (c.act() == Activation.RELU) for (int i = 0; i < y.length; i++) y[i] = Math.max(0f, y[i]);
        float[][] fwd = new float[2][], dw = new float[2][], db = new float[2][], dx = new float[2][];
        Backend[] both = {ref, be};
        for (int i = 0; i < 2; i++) {
            Backend e = both[i];
            try (Placed xb = Placed.of(e, x, c.off()); Placed wb = Placed.of(e, w, c.off()); Placed bb = Placed.of(e, b, c.off());
                 Placed yb = Placed.of(e, nan(r * out), c.off()); Placed yIn = Placed.of(e, y, c.off()); Placed dyb = Placed.of(e, dy, c.off());
                 Placed dwb = Placed.of(e, nan(out * in), c.off()); Placed dbb = Placed.of(e, nan(out), c.off());
                 Placed dxb = c.dx() ? Placed.of(e, nan(r * in), c.off()) : null) {
                e.denseForward(xb.view, r, in, wb.view, bb.view, out, c.act(), yb.view);
                e.denseBackward(xb.view, r, in, wb.view, out, c.act(), yIn.view, dyb.view, dwb.view, dbb.view, dxb == null ? null : dxb.view);
                fwd[i] = read(e, yb.view);
                dw[i] = read(e, dwb.view);
                db[i] = read(e, dbb.view);
                dx[i] = dxb == null ? new float[0] : read(e, dxb.view);
            }
        }
        // Each output is a sum of products, which the device may add in another order (split-K, cuBLAS): measured
        // against the terms' magnitude, |dz| bounded by |dy| (|act'| ≤ 1 for every activation here).
        double[] ax = abs(x), aw = abs(w), ady = abs(dy);
        double[] sFwd = new double[r * out], sDw = new double[out * in], sDb = new double[out], sDx = new double[r * in];
        for (int i = 0; i < r; i++) {
            for (int o = 0; o < out; o++) {
                double s = Math.abs(b[o]), g = ady[i * out + o];
                for (int q = 0; q < in; q++) {
                    s += ax[i * in + q] * aw[o * in + q];
                    sDw[o * in + q] += g * ax[i * in + q];
                    sDx[i * in + q] += g * aw[o * in + q];
                }
                sFwd[i * out + o] = s;
                sDb[o] += g;
            }
        }
        add.accept(new Result("denseForward", c.describe(), sumError(fwd[1], fwd[0], sFwd), TOLERANCE));
        add.accept(new Result("denseBackward", c.describe() + " (dW)", sumError(dw[1], dw[0], sDw), TOLERANCE));
        add.accept(new Result("denseBackward", c.describe() + " (db)", sumError(db[1], db[0], sDb), TOLERANCE));
        if (c.dx()) add.accept(new Result("denseBackward", c.describe() + " (dx)", sumError(dx[1], dx[0], sDx), TOLERANCE));
    }

    private static double[] abs(float[] a) {
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) d[i] = Math.abs(a[i]);
        return d;
    }

    /** The large policy's P: the autoencoder's longest reductions. */
    static final int LONG_K = 121_801;

    /**
     * The autoencoder's two longest reductions at their real size, on a real GPU only (on the emulator they would take
     * minutes): the encoder's first layer, y [64, 256] = x [64, P] · Wᵀ (split-K on the device), and the decoder's last
     * layer's input gradient, dx [64, 256] = dz [64, P] · W [P, 256]. Over P = 121,801 terms the CPU twin's sequential
     * float sum is itself about 10⁻⁵ from the exact value, so both are measured against a double-precision reference:
     * the device passes within max(TOLERANCE, 2 × the CPU's own error).
     */
    static void longReductions(Backend be, CpuBackend ref, int k, SplittableRandom rng, Consumer<Result> add) {
        int r = 64, j = 256;
        float[] x = uniform(rng, r * k, 1), w = uniform(rng, j * k, 1), b = new float[j], dzBig = uniform(rng, r * k, 1),
                wBig = uniform(rng, k * j, 1), dummyY = new float[r * k];
        double[] yRef = new double[r * j], dxRef = new double[r * j];
        java.util.stream.IntStream.range(0, r).parallel().forEach(i -> {
            for (int c = 0; c < j; c++) {
                double s = 0;
                for (int q = 0; q < k; q++) s += (double) x[i * k + q] * w[c * k + q];
                yRef[i * j + c] = s;
            }
            double[] acc = new double[j];
            for (int q = 0; q < k; q++) {
                double d = dzBig[i * k + q];
                for (int c = 0; c < j; c++) acc[c] += d * wBig[q * j + c];
            }
            System.arraycopy(acc, 0, dxRef, i * j, j);
        });
        float[][] y = new float[2][], dx = new float[2][];
        Backend[] both = {ref, be};
        for (int i = 0; i < 2; i++) {
            Backend e = both[i];
            try (Buffer xb = e.upload(x); Buffer wb = e.upload(w); Buffer bb = e.upload(b); Buffer yb = e.upload(nan(r * j))) {
                e.denseForward(xb, r, k, wb, bb, j, Activation.IDENTITY, yb);
                y[i] = read(e, yb);
            }
            // Decoder's last layer: input width 256, output width P; only dx is compared (dW and db are short sums).
            try (Buffer zb = e.upload(uniform(new SplittableRandom(1), r * j, 1)); Buffer wb = e.upload(wBig);
                 Buffer yb = e.upload(dummyY); Buffer dyb = e.upload(dzBig); Buffer dwb = e.allocate(k * j); Buffer dbb = e.allocate(k);
                 Buffer dxb = e.upload(nan(r * j))) {
                e.denseBackward(zb, r, j, wb, k, Activation.IDENTITY, yb, dyb, dwb, dbb, dxb);
                dx[i] = read(e, dxb);
            }
        }
        add.accept(againstDouble("denseForward", "R=64 I=" + k + " J=256 (the encoder's first layer), against double", y[1], y[0], yRef));
        add.accept(againstDouble("denseBackward", "R=64 I=256 J=" + k + " (dx of the decoder's last layer), against double", dx[1], dx[0], dxRef));
    }

    /** The device's error against a double reference, passing within max(TOLERANCE, 2 × the CPU twin's error). */
    static Result againstDouble(String op, String what, float[] got, float[] cpu, double[] exact) {
        float[] ex = new float[exact.length];
        for (int i = 0; i < ex.length; i++) ex[i] = (float) exact[i];
        double cpuErr = relError(cpu, ex);
        return new Result(op, what + String.format(java.util.Locale.ROOT, " (the CPU twin's error %.2e)", cpuErr), relError(got, ex),
                Math.max(TOLERANCE, 2 * cpuErr));
    }

    /** One Adam step t on n parameters; with {@code offsets}, param, grad, m and v are slices at offsets 0, 1, 2, 3. Bit-identical. */
    private static void adam(Backend be, CpuBackend ref, int n, int t, boolean offsets, SplittableRandom rng, Consumer<Result> add) {
        AdamConfig cfg = t % 2 == 1 ? AdamConfig.defaults(1e-3f) : new AdamConfig(3e-4f, 0.8f, 0.99f, 1e-6f);
        float[] p = uniform(rng, n, 1), g = uniform(rng, n, 1), m = uniform(rng, n, 0.1), v = uniform(rng, n, 0.01);
        for (int i = 0; i < n; i++) v[i] = Math.abs(v[i]);
        float[][] r = new float[2][];
        Backend[] both = {ref, be};
        for (int i = 0; i < 2; i++) {
            try (Placed pb = Placed.of(both[i], p, 0); Placed gb = Placed.of(both[i], g, offsets ? 1 : 0);
                 Placed mb = Placed.of(both[i], m, offsets ? 2 : 0); Placed vb = Placed.of(both[i], v, offsets ? 3 : 0)) {
                both[i].adamStep(cfg, t, pb.view, gb.view, mb.view, vb.view);
                r[i] = new float[3 * n];
                both[i].read(pb.view, r[i], 0);
                both[i].read(mb.view, r[i], n);
                both[i].read(vb.view, r[i], 2 * n);
            }
        }
        add.accept(exact("adamStep", "n=" + n + " t=" + t + " " + cfg + (offsets ? " at offsets 0-3" : "") + ", param m v", r[1], r[0]));
    }

    /** columnAffine, with or without shift, into a poisoned y or in place. Bit-identical. */
    private static void affine(Backend be, CpuBackend ref, int rows, int cols, boolean withShift, boolean inPlace, SplittableRandom rng,
                               Consumer<Result> add) {
        float[] x = uniform(rng, rows * cols, 2), sc = uniform(rng, cols, 3), sh = uniform(rng, cols, 1);
        float[][] r = new float[2][];
        Backend[] both = {ref, be};
        for (int i = 0; i < 2; i++) {
            try (Buffer xb = both[i].upload(x); Buffer sb = both[i].upload(sc); Buffer hb = withShift ? both[i].upload(sh) : null;
                 Buffer yb = inPlace ? null : both[i].upload(nan(rows * cols))) {
                Buffer y = inPlace ? xb : yb;
                both[i].columnAffine(xb, rows, cols, sb, hb, y);
                r[i] = read(both[i], y);
            }
        }
        add.accept(exact("columnAffine", "R=" + rows + " C=" + cols + (withShift ? "" : " shift=null") + (inPlace ? " in place" : ""), r[1], r[0]));
    }

    /** meanSquaredError: the loss (a double sum: relative error under 1e-9) and the gradient (bit-identical), or grad null. */
    private static void mse(Backend be, CpuBackend ref, int n, boolean withGrad, SplittableRandom rng, Consumer<Result> add) {
        float[] p = uniform(rng, n, 1), t = uniform(rng, n, 1);
        double[] loss = new double[2];
        float[][] g = new float[2][];
        Backend[] both = {ref, be};
        for (int i = 0; i < 2; i++) {
            try (Buffer pb = both[i].upload(p); Buffer tb = both[i].upload(t); Buffer gb = withGrad ? both[i].upload(nan(n)) : null) {
                loss[i] = both[i].meanSquaredError(pb, tb, gb);
                g[i] = gb == null ? new float[0] : read(both[i], gb);
            }
        }
        String what = "n=" + n + (withGrad ? "" : " grad=null");
        double err = loss[1] == loss[0] ? 0 : Double.isFinite(loss[1]) ? Math.abs(loss[1] - loss[0]) / Math.abs(loss[0]) : Double.POSITIVE_INFINITY;
        add.accept(new Result("meanSquaredError", what + " (loss)", err, LOSS_TOLERANCE));
        if (withGrad) add.accept(exact("meanSquaredError", what + " (grad)", g[1], g[0]));
    }

    /** Relative tolerance of the mean squared error, a sum in double (the order of the additions may differ). */
    public static final double LOSS_TOLERANCE = 1e-9;

    /** A buffer holding data at float offset {@code off} of a larger one ({@code view}); closing frees the root. */
    private record Placed(Buffer root, Buffer view) implements AutoCloseable {
        static Placed of(Backend be, float[] data, int off) {
            if (off == 0) {
                Buffer b = be.upload(data);
                return new Placed(b, b);
            }
            float[] padded = new float[off + data.length + 3];
            Arrays.fill(padded, -7f);
            System.arraycopy(data, 0, padded, off, data.length);
            Buffer b = be.upload(padded);
            return new Placed(b, b.slice(off, data.length));
        }

        @Override public void close() { root.close(); }
    }

    private static float[] read(Backend be, Buffer b) {
        float[] a = new float[b.length()];
        be.read(b, a, 0);
        return a;
    }

    /**
     * The larger of {@code ‖got − want‖₂ / ‖want‖₂} and {@code ‖got − want‖∞ / ‖want‖∞} (the second so that one wrong
     * element among thousands cannot hide in the norm); infinite when got is not finite where want is, or differs
     * where want is not finite.
     */
    public static double relError(float[] got, float[] want) {
        return error(got, want, null);
    }

    /**
     * The error of sums of products against the magnitude of their terms: {@link #relError} with {@code scale} (per
     * output, Σ |term|) in place of |want| in both denominators. A float sum of k terms in any order is within about
     * k·2⁻²⁴·Σ|term| of the exact value (the standard bound for dot products), so this does not depend on how much
     * the terms cancel: where they cancel, |want| is tiny and two correct summation orders differ by far more than
     * 1e-5 of it. A wrong element or a wrong scale is still off by the order of Σ|term| itself.
     */
    public static double sumError(float[] got, float[] want, double[] scale) {
        if (scale.length != want.length) return Double.POSITIVE_INFINITY;
        return error(got, want, scale);
    }

    /** {@link #relError}'s rule, with |want[i]| or, where given, scale[i] as the reference magnitude of element i. */
    private static double error(float[] got, float[] want, double[] scale) {
        if (got.length != want.length) return Double.POSITIVE_INFINITY;
        double num = 0, den = 0, maxErr = 0, maxRef = 0;
        for (int i = 0; i < want.length; i++) {
            if (Float.isFinite(want[i]) != Float.isFinite(got[i])) return Double.POSITIVE_INFINITY;
            if (!Float.isFinite(want[i])) {
                if (Float.compare(want[i], got[i]) != 0) return Double.POSITIVE_INFINITY;
                continue;
            }
            double e = (double) got[i] - want[i], ref = scale == null ? Math.abs(want[i]) : scale[i];
            num += e * e;
            den += ref * ref;
            maxErr = Math.max(maxErr, Math.abs(e));
            maxRef = Math.max(maxRef, ref);
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
