package policyzip.embed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.ae.Autoencoder;
import policyzip.ae.Checkpoint;
import policyzip.ae.TrainConfig;
import policyzip.ae.Trainer;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.backend.cpu.CpuBackend;
import policyzip.dataset.Dataset;
import policyzip.dataset.NoveltyConfig;
import policyzip.dataset.NoveltySearch;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

class LatentPoliciesTest {
    @TempDir static Path dir;

    static Checkpoint trained(Path d) throws Exception {
        NoveltyConfig dc = new NoveltyConfig("mountaincar", "medium", Activation.RELU, 300, 150, 16, 5, 0.2, 0, 0.1f, 11, 1);
        TrainConfig tc = new TrainConfig(3, new int[] {64, 64}, new int[] {64, 64}, TrainConfig.Loss.BEHAVIOURAL, 2e-3f, 64, 128, 400, 4, 400, 400, 0.0, 1000);
        try (CpuBackend be = new CpuBackend(2)) {
            new NoveltySearch(be, dc).run(d.resolve("d.pzd"), false, null);
            return new Trainer(be, Dataset.open(d.resolve("d.pzd")), tc).train(d.resolve("c.ckpt"), false, null);
        }
    }

    @Test
    void decodeAndActAgreeWithTheBackendAndTheTrainedLoss() throws Exception {
        Checkpoint ck = trained(dir);
        LatentPolicies space = LatentPolicies.load(dir.resolve("c.ckpt"));
        Dataset ds = Dataset.open(dir.resolve("d.pzd"));
        MlpSpec mlp = ds.mlp();
        int n = 64, m = 200, p = mlp.paramCount();
        float[] states = ds.env().sampleProbeStates(m, 99);
        double sq = 0;
        try (CpuBackend be = new CpuBackend(1); Autoencoder ae = ck.autoencoder(be, n)) {
            float[] th = new float[n * p];
            ds.thetas(0, n, th);
            Buffer tb = be.upload(th);
            ae.forward(tb, n);
            float[] z = new float[n * 3], viaBackend = new float[n * p];
            be.read(ae.latentOf(n), z, 0);
            be.read(ae.decoded(n), viaBackend, 0);
            float[] obs = new float[2], a = new float[1], orig = new float[1];
            for (int i = 0; i < n; i++) {
                float[] zi = java.util.Arrays.copyOfRange(z, i * 3, i * 3 + 3);
                float[] theta = space.decode(zi);
                for (int q = 0; q < p; q++) {
                    float want = viaBackend[i * p + q];
                    assertEquals(want, theta[q], 1e-5f * (1 + Math.abs(want)), "policy " + i + " parameter " + q);
                }
                float[] original = java.util.Arrays.copyOfRange(th, i * p, (i + 1) * p);
                for (int j = 0; j < m; j++) {
                    obs[0] = states[2 * j];
                    obs[1] = states[2 * j + 1];
                    space.actLatent(zi, obs, a);
                    space.act(original, obs, orig);
                    sq += (a[0] - orig[0]) * (double) (a[0] - orig[0]);
                }
            }
            // act() is the backend's one-state forward, bit for bit.
            float[] one = java.util.Arrays.copyOf(th, p), act = new float[1];
            Buffer out = be.allocate(1);
            be.mlpForward(mlp, be.upload(one), 1, be.upload(new float[] {states[0], states[1]}), StateLayout.SHARED, 1, out, null);
            be.read(out, act, 0);
            float[] mine = new float[1];
            space.act(one, new float[] {states[0], states[1]}, mine);
            assertArrayEquals(act, mine);
        }
        double mse = sq / (n * m);
        double[] tl = ck.trainLoss();
        double trained = java.util.Arrays.stream(tl, tl.length - 40, tl.length).average().orElseThrow();
        // A decoded policy acts like its original within the loss it was trained to (fresh states, training policies).
        assertTrue(mse < 3 * trained, "action MSE " + mse + " against the trained loss " + trained);
        assertTrue(mse < 0.1 * tl[0], "action MSE " + mse + " against the initial loss " + tl[0]);
    }

    @Test
    void actAllocatesNothingAndIsThreadSafe() throws Exception {
        MlpSpec mlp = MlpSpec.of("medium", 2, 1, Activation.RELU, 1f);
        LatentPolicies space = LatentPolicies.untrained(mlp, 2, new int[] {256, 256}, new int[] {256, 256}, 5);
        float[] z = {0.2f, -0.4f}, obs = {-0.5f, 0.01f}, a = new float[1], theta = space.decode(z);
        for (int i = 0; i < 20_000; i++) {
            space.act(theta, obs, a);
            space.actLatent(z, obs, a);
        }
        var bean = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long before = bean.getCurrentThreadAllocatedBytes();
        for (int i = 0; i < 10_000; i++) {
            space.act(theta, obs, a);
            space.actLatent(z, obs, a);
        }
        long allocated = bean.getCurrentThreadAllocatedBytes() - before;
        assertTrue(allocated < 1024, "20,000 calls allocated " + allocated + " bytes");

        SplittableRandom rng = new SplittableRandom(3);
        float[][] zs = new float[64][2], want = new float[64][1];
        for (int i = 0; i < 64; i++) {
            zs[i][0] = (float) rng.nextGaussian();
            zs[i][1] = (float) rng.nextGaussian();
            space.actLatent(zs[i], obs, want[i]);
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            java.util.List<Future<Boolean>> all = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Callable<Boolean> job = () -> {
                    float[] got = new float[1];
                    for (int rep = 0; rep < 50; rep++) {
                        for (int i = 0; i < 64; i++) {
                            space.actLatent(zs[i], obs, got);
                            if (got[0] != want[i][0]) return false;
                        }
                    }
                    return true;
                };
                all.add(pool.submit(job));
            }
            for (Future<Boolean> f : all) assertTrue(f.get());
        } finally {
            pool.shutdown();
        }
        var e = assertThrows(IllegalArgumentException.class, () -> space.decode(new float[3]));
        assertTrue(e.getMessage().contains("K = 2"), e.getMessage());
    }
}
