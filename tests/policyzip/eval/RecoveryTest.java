package policyzip.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.ae.Autoencoder;
import policyzip.ae.Checkpoint;
import policyzip.ae.TrainConfig;
import policyzip.ae.Trainer;
import policyzip.backend.Buffer;
import policyzip.backend.cpu.CpuBackend;
import policyzip.cli.CliTest;
import policyzip.dataset.Dataset;
import policyzip.dataset.NoveltyConfig;
import policyzip.dataset.NoveltySearch;
import policyzip.policy.Activation;
import policyzip.rollout.Rollout;

class RecoveryTest {
    @Test
    void aDatasetAgainstItselfRecoversOne() {
        var r = Recovery.of("goal", -0.5, -20, -0.5, -20, 3);
        assertEquals(1.0, r.prMax());
        assertEquals(1.0, r.prRange());
        var half = Recovery.of("height", 0.5, 0.0, 1.0, -1.0, 0);
        assertEquals(0.5, half.prMax());
        assertEquals(0.25, half.prRange());
    }

    @Test
    void gridSpansTheEncodedBox() {
        float[] enc = {0, 1, 2, -1, 1, 3};  // three points, K = 2
        float[] lo = new float[2], hi = new float[2];
        float[] z = Recovery.latentSet(enc, 2, lo, hi, 0);
        assertEquals(100 * 100 * 2, z.length);
        assertEquals(0f, lo[0]);
        assertEquals(2f, hi[0]);
        assertEquals(-1f, lo[1]);
        assertEquals(3f, hi[1]);
        assertEquals(0f, z[0]);
        assertEquals(-1f, z[1]);
        assertEquals(2f, z[z.length - 2]);
        assertEquals(3f, z[z.length - 1]);
        float[] z5 = Recovery.latentSet(new float[] {0, 0, 0, 0, 0, 1, 1, 1, 1, 1}, 5, new float[5], new float[5], 1);
        assertEquals(4 * 5, z5.length); // K > 3: the 2 encoded points plus 2 samples of the box
    }

    @Test
    void decodedReturnsAreRealRolloutsAndFilesAreWritten(@TempDir Path dir) throws Exception {
        NoveltyConfig dc = new NoveltyConfig("mountaincar", "small", Activation.RELU, 120, 60, 16, 5, 0.25, 0, 0.1f, 1, 1);
        TrainConfig tc = new TrainConfig(1, new int[] {16}, new int[] {16}, TrainConfig.Loss.BEHAVIOURAL, 3e-3f, 32, 32, 60, 2, 30, 30, 0.1, 100);
        try (CpuBackend be = new CpuBackend(2)) {
            new NoveltySearch(be, dc).run(dir.resolve("d.pzd"), false, null);
            Dataset ds = Dataset.open(dir.resolve("d.pzd"));
            Checkpoint ck = new Trainer(be, ds, tc).train(dir.resolve("c.ckpt"), false, null);
            Recovery.Result r = Recovery.run(be, ds, ck, null);
            assertEquals(1000, r.points());
            // Point 0 and the best 'goal' point, decoded and rolled out by hand.
            Rollout rollout = new Rollout(be, "mountaincar", ds.mlp());
            try (Autoencoder ae = ck.autoencoder(be, 1)) {
                for (int i : new int[] {0, r.tasks().get(0).bestLatent(), 999}) {
                    Buffer z = be.upload(new float[] {r.z()[i]});
                    ae.decode(z, 1);
                    float[] theta = new float[ds.mlp().paramCount()];
                    be.read(ae.decoded(1), theta, 0);
                    double want = rollout.run(theta, 1, "goal", 1, ds.contents().returnSeed(), 0, null).returns()[0];
                    assertEquals(want, r.returns()[0][i], 1e-9, "latent point " + i);
                }
            }
            var goal = r.tasks().get(0);
            double max = Double.NEGATIVE_INFINITY;
            for (double v : r.returns()[0]) max = Math.max(max, v);
            assertEquals(max, goal.maxLatent());
            assertEquals(goal.maxLatent() / goal.maxData(), goal.prMax());
        }
        var run = CliTest.run("recover", "--dataset", dir.resolve("d.pzd").toString(), "--checkpoint", dir.resolve("c.ckpt").toString(),
                "--threads", "2");
        assertEquals(0, run.status(), run.err());
        assertTrue(run.out().contains("PR_max"), run.out());
        for (String f : new String[] {"c.ckpt.recovery.json", "c.ckpt.recovery.csv", "c.ckpt.recovery.height.png"}) {
            assertTrue(Files.size(dir.resolve(f)) > 100, f);
        }
    }
}
