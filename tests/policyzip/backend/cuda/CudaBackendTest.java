package policyzip.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import policyzip.backend.Backend;
import policyzip.backend.Backends;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.backend.TwinCheck;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/**
 * Every kernel of cuda/ against its CPU twin on fresh random inputs ({@link TwinCheck}: outputs poisoned, relative
 * error under 1e-5, θ from seeds bit-identical), buffer ownership and the delegated operations. Runs where a GPU is
 * present; elsewhere every test is skipped with the reason CUDA could not be opened.
 */
class CudaBackendTest {
    private static String unavailable;

    @BeforeAll
    static void probe() {
        try (Backend be = Backends.create("cuda", 1)) {
            unavailable = null;
        } catch (IllegalStateException e) {
            unavailable = e.getMessage();
        }
    }

    private static CudaBackend open() {
        assumeTrue(unavailable == null, () -> "no GPU here: " + unavailable);
        return (CudaBackend) Backends.create("cuda", 2);
    }

    @Test
    void everyKernelMatchesItsCpuTwin() {
        try (CudaBackend be = open()) {
            long seed = System.nanoTime();
            List<TwinCheck.Result> r = TwinCheck.run(be, seed, false, null);
            for (TwinCheck.Result x : r) assertTrue(x.passed(), "seed " + seed + ": " + x);
            assertEquals(0, be.liveBuffers(), "TwinCheck leaked device buffers");
        }
    }

    @Test
    void describesTheGpuAndFreesBuffersOnce() {
        try (CudaBackend be = open()) {
            assertTrue(be.describe().startsWith("CUDA, ") && be.peakGflops() > 0, be.describe());
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

    @Test
    void delegatedOperationsWorkInPlace() {
        try (CudaBackend be = open()) {
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
