package policyzip.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import policyzip.backend.Backend;
import policyzip.backend.Backends;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.backend.TwinCheck;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/**
 * Every kernel of cuda/ against its CPU twin on fresh random inputs ({@link TwinCheck}: outputs poisoned, relative
 * error under 1e-5, θ from seeds bit-identical), buffer ownership and the delegated operations, each on two drivers:
 * {@code cuda}, the GPU, where one is present (elsewhere skipped with the reason CUDA could not be opened), and
 * {@code cuda-emu}, the CPU emulator of the kernels, always: those fail, never skip, when the emulator is not built
 * (native-build/cuda-emu.sh; {@code ./policyzip test} and CI run it first). On the emulator TwinCheck runs its quick
 * sizes, which still reach every kernel.
 */
class CudaBackendTest {
    private static String gpuUnavailable;

    @BeforeAll
    static void probe() {
        try (Backend be = Backends.create("cuda", 1)) {
            gpuUnavailable = null;
        } catch (IllegalStateException e) {
            gpuUnavailable = e.getMessage();
        }
    }

    static CudaBackend open(String kind) {
        if (kind.equals("cuda")) assumeTrue(gpuUnavailable == null, () -> "no GPU here: " + gpuUnavailable);
        try {
            return (CudaBackend) Backends.create(kind, 2);
        } catch (IllegalStateException e) {
            return fail(e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "cuda-emu"})
    void everyKernelMatchesItsCpuTwin(String kind) {
        try (CudaBackend be = open(kind)) {
            long seed = System.nanoTime();
            List<TwinCheck.Result> r = TwinCheck.run(be, seed, kind.equals("cuda-emu"), null);
            for (TwinCheck.Result x : r) assertTrue(x.passed(), "seed " + seed + ": " + x);
            assertEquals(0, be.liveBuffers(), "TwinCheck leaked device buffers");
        }
    }

    /**
     * The launch logic's chunking, which TwinCheck's sizes never reach: grid y of at most 65535 policies (preset block
     * kernel, θ from seeds), the generic forward's workspace of {@link CudaBackend#WORKSPACE_FLOATS} (policies in
     * chunks), and the k-NN's query blocks of WORKSPACE_FLOATS / P rows with self-exclusion offsets.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cuda", "cuda-emu"})
    void chunkedLaunchesMatchTheCpu(String kind) {
        SplittableRandom rng = new SplittableRandom(11);
        try (CudaBackend be = open(kind); CpuBackend cpu = new CpuBackend(2)) {
            // Preset 2-4-1, block kernel (M = 64): B = 65537 is two launches, grid y 65535 and 2.
            MlpSpec small = MlpSpec.of("small", 2, 1, Activation.RELU, 1f);
            forward(be, cpu, small, 65537, 64, rng);
            // The generic forward without an activations buffer: a 1-2048-1 net on M = 5461 states needs 44.7 MB of hidden
            // activations per policy, so the 128 MiB workspace takes 3 policies at a time: B = 4 is two launches.
            MlpSpec wide = new MlpSpec(1, new int[] {2048}, 1, Activation.RELU, 1f);
            assertTrue(CudaBackend.WORKSPACE_FLOATS / (2048L * 5461) == 3, "the case no longer chunks");
            forward(be, cpu, wide, 4, 5461, rng);
            // θ from seeds for 65537 policies: two launches.
            long[] seeds = rng.longs(65537).toArray();
            float[][] theta = new float[2][];
            for (int i = 0; i < 2; i++) {
                policyzip.backend.Backend b = i == 0 ? cpu : be;
                try (Buffer th = b.allocate(seeds.length * small.paramCount())) {
                    b.initPolicies(small, seeds, th);
                    theta[i] = new float[seeds.length * small.paramCount()];
                    b.read(th, theta[i], 0);
                }
            }
            assertTrue(Arrays.equals(theta[0], theta[1]), "initPolicies over 65537 seeds differs from the CPU");
            // k-NN of 1030 pool rows (from row 700, excluding themselves) among P = 32768: query blocks of 1024 and 6.
            int p = 32768, d = 2, q = 1030, k = 5, self = 700;
            assertTrue(CudaBackend.WORKSPACE_FLOATS / p == 1024, "the case no longer chunks");
            float[] pool = uniform(rng, p * d);
            float[][] r = new float[2][];
            for (int i = 0; i < 2; i++) {
                policyzip.backend.Backend b = i == 0 ? cpu : be;
                try (Buffer pb = b.upload(pool); Buffer out = b.allocate(q * k)) {
                    b.knnSquaredDistances(pb.slice(self * d, q * d), q, pb, p, d, k, self, out);
                    r[i] = new float[q * k];
                    b.read(out, r[i], 0);
                }
            }
            assertTrue(TwinCheck.relError(r[1], r[0]) <= TwinCheck.TOLERANCE, "k-NN in query blocks: " + TwinCheck.relError(r[1], r[0]));
            assertEquals(0, be.liveBuffers());
        }
    }

    /**
     * The layered mlpBackward in chunks of policies (ae-large-512 on a GPU runs 4 chunks of at most 163): the workspace
     * lowered so that a 2-33-17-1 net on M = 70 takes 2 policies at a time, B = 5 in 3 chunks, both layouts, with
     * dL/d(states); against the CPU from the same forward outputs.
     */
    @ParameterizedTest
    @ValueSource(strings = {"cuda", "cuda-emu"})
    void chunkedLayeredBackwardMatchesTheCpu(String kind) {
        SplittableRandom rng = new SplittableRandom(13);
        MlpSpec mlp = new MlpSpec(2, new int[] {33, 17}, 1, Activation.TANH, 1.5f);
        int b = 5, m = 70, p = mlp.paramCount(), o = mlp.obsDim(), hu = mlp.hiddenUnits();
        try (CudaBackend be = open(kind); CpuBackend cpu = new CpuBackend(2)) {
            be.workspaceFloats = 2L * 2 * 33 * m;
            for (StateLayout layout : StateLayout.values()) {
                int nStates = layout == StateLayout.SHARED ? m * o : b * m * o;
                float[] theta = uniform(rng, b * p), states = uniform(rng, nStates), dA = uniform(rng, b * m);
                float[] actions = new float[b * m], cache = new float[b * hu * m];
                try (Buffer th = cpu.upload(theta); Buffer st = cpu.upload(states); Buffer ac = cpu.allocate(b * m);
                     Buffer ca = cpu.allocate(b * hu * m)) {
                    cpu.mlpForward(mlp, th, b, st, layout, m, ac, ca);
                    cpu.read(ac, actions, 0);
                    cpu.read(ca, cache, 0);
                }
                float[][] dTheta = new float[2][b * p], dStates = new float[2][nStates];
                for (int i = 0; i < 2; i++) {
                    Backend e = i == 0 ? cpu : be;
                    try (Buffer th = e.upload(theta); Buffer st = e.upload(states); Buffer ac = e.upload(actions); Buffer ca = e.upload(cache);
                         Buffer da = e.upload(dA); Buffer dt = e.allocate(b * p); Buffer ds = e.allocate(nStates)) {
                        e.mlpBackward(mlp, th, b, st, layout, m, ac, ca, da, dt, ds);
                        e.read(dt, dTheta[i], 0);
                        e.read(ds, dStates[i], 0);
                    }
                }
                assertTrue(TwinCheck.relError(dTheta[1], dTheta[0]) <= TwinCheck.TOLERANCE, layout + " dθ: " + TwinCheck.relError(dTheta[1], dTheta[0]));
                assertTrue(TwinCheck.relError(dStates[1], dStates[0]) <= TwinCheck.TOLERANCE,
                        layout + " dStates: " + TwinCheck.relError(dStates[1], dStates[0]));
            }
            assertEquals(0, be.liveBuffers());
        }
    }

    private static void forward(CudaBackend be, CpuBackend cpu, MlpSpec mlp, int batch, int m, SplittableRandom rng) {
        float[] theta = uniform(rng, batch * mlp.paramCount()), states = uniform(rng, m * mlp.obsDim());
        float[][] a = new float[2][batch * m * mlp.actDim()];
        for (int i = 0; i < 2; i++) {
            policyzip.backend.Backend b = i == 0 ? cpu : be;
            try (Buffer th = b.upload(theta); Buffer st = b.upload(states); Buffer ac = b.allocate(a[i].length)) {
                b.mlpForward(mlp, th, batch, st, StateLayout.SHARED, m, ac, null);
                b.read(ac, a[i], 0);
            }
        }
        double err = TwinCheck.relError(a[1], a[0]);
        assertTrue(err <= TwinCheck.TOLERANCE, mlp.describe() + " B=" + batch + " M=" + m + ": relative error " + err);
    }

    private static float[] uniform(SplittableRandom rng, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) f[i] = (float) (rng.nextDouble() * 2 - 1);
        return f;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "cuda-emu"})
    void describesTheDeviceAndFreesBuffersOnce(String kind) {
        try (CudaBackend be = open(kind)) {
            if (kind.equals("cuda")) assertTrue(be.describe().startsWith("CUDA, ") && be.peakGflops() > 0, be.describe());
            else assertTrue(be.describe().startsWith("CPU emulator of the CUDA kernels") && be.name().equals("cuda-emu"), be.describe());
            Buffer a = be.allocate(1000);
            Buffer s = a.slice(10, 20);
            float[] x = new float[20];
            be.read(s, x, 0);
            for (float v : x) assertEquals(0f, v, "allocate zero-fills");
            assertEquals(1, be.liveBuffers());
            s.close();
            assertEquals(1, be.liveBuffers(), "closing a slice frees nothing");
            a.close();
            a.close();
            assertEquals(0, be.liveBuffers());
            be.allocate(7);   // left open: freed by the backend's close
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cuda", "cuda-emu"})
    void delegatedOperationsWorkInPlace(String kind) {
        try (CudaBackend be = open(kind)) {
            // columnAffine with y = x (cuda/elementwise.cu, in place on the device): 2 · 1 + 1, 2 · 3 − 1, ...
            try (Buffer x = be.upload(new float[] {1, 2, 3, 4}); Buffer sc = be.upload(new float[] {2, 3}); Buffer sh = be.upload(new float[] {1, -1})) {
                be.columnAffine(x, 2, 2, sc, sh, x);
                float[] y = new float[4];
                be.read(x, y, 0);
                assertEquals(List.of(3f, 5f, 7f, 11f), List.of(y[0], y[1], y[2], y[3]));
            }
            // A forward then a backward (cuda/mlp_backward.cu) runs end to end on buffers made by the backend.
            MlpSpec mlp = MlpSpec.of("medium", 2, 1, Activation.RELU, 1f);
            try (Buffer th = be.allocate(3 * mlp.paramCount()); Buffer st = be.upload(new float[] {0.1f, 0.2f, -0.3f, 0.4f});
                 Buffer ac = be.allocate(3 * 2); Buffer ca = be.allocate(3 * mlp.hiddenUnits() * 2); Buffer da = be.upload(new float[] {1, 1, 1, 1, 1, 1});
                 Buffer dth = be.allocate(3 * mlp.paramCount())) {
                be.initPolicies(mlp, new long[] {1, 2, 3}, th);
                be.mlpForward(mlp, th, 3, st, StateLayout.SHARED, 2, ac, ca);
                be.mlpBackward(mlp, th, 3, st, StateLayout.SHARED, 2, ac, ca, da, dth, null);
                float[] g = new float[3 * mlp.paramCount()];
                be.read(dth, g, 0);
                double norm = 0;
                for (float v : g) norm += v * v;
                assertTrue(norm > 0 && Double.isFinite(norm), "gradient norm " + norm);
            }
        }
    }
}
