package policyzip.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.ae.Checkpoint;
import policyzip.ae.TrainConfig;
import policyzip.ae.Trainer;
import policyzip.backend.cpu.CpuBackend;
import policyzip.env.EnvSpec;
import policyzip.env.Envs;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/** Probe and training states from rollouts for envs without a probe box (MuJoCo), through dataset and training. */
class StateBufferTest {

    private static boolean isRow(float[] buffer, float[] rows, int r, int o) {
        for (int i = 0; i < buffer.length / o; i++) {
            if (Arrays.equals(buffer, i * o, (i + 1) * o, rows, r * o, (r + 1) * o)) return true;
        }
        return false;
    }

    @Test
    void collectsVisitedStatesDeterministically() {
        EnvSpec hopper = Envs.spec("hopper");
        MlpSpec mlp = MlpSpec.of("small", hopper.obsDim(), hopper.actDim(), Activation.RELU, 1f);
        try (CpuBackend be = new CpuBackend(2)) {
            float[] a = StateBuffer.collect(be, hopper, mlp, 300, 5), b = StateBuffer.collect(be, hopper, mlp, 300, 5);
            assertEquals(300 * 11, a.length);
            assertArrayEquals(a, b, "same seed, same buffer");
            assertFalse(Arrays.equals(a, StateBuffer.collect(be, hopper, mlp, 300, 6)), "another seed, other states");
            for (int r = 0; r < 300; r++) {
                // Observations acted on are healthy states: z = obs[0] above 0.7, |torso angle| = |obs[1]| under 0.2.
                assertTrue(a[r * 11] > 0.7f && Math.abs(a[r * 11 + 1]) < 0.2f, "row " + r + " is a healthy Hopper observation");
            }
            float[] s = StateBuffer.sample(a, 11, 50, 9);
            assertArrayEquals(s, StateBuffer.sample(a, 11, 50, 9));
            for (int r = 0; r < 50; r++) assertTrue(isRow(a, s, r, 11), "sampled row " + r + " comes from the buffer");
        }
    }

    @Test
    void hopperDatasetTrainsOnItsBuffer(@TempDir Path dir) throws Exception {
        NoveltyConfig cfg = new NoveltyConfig("hopper", "small", Activation.RELU, 24, 24, 16, 3, 0.25, 0, 0.1f, 3, 1);
        try (CpuBackend be = new CpuBackend(2)) {
            Path out = dir.resolve("h.pzd");
            Dataset.Contents c = new NoveltySearch(be, cfg).run(out, false, null);
            Dataset d = Dataset.open(out);
            float[] buffer = d.contents().stateBuffer();
            assertEquals(StateBuffer.SIZE * 11, buffer.length, "a full buffer");
            assertArrayEquals(c.stateBuffer(), buffer, "the buffer survives the file");
            assertArrayEquals(Arrays.copyOf(buffer, 16 * 11), d.contents().probeStates(), "probe states are the buffer's first M rows");
            float[] train = d.sampleStates(8, 77);
            for (int r = 0; r < 8; r++) assertTrue(isRow(buffer, train, r, 11), "training state " + r + " comes from the buffer");
            TrainConfig tc = new TrainConfig(2, new int[] {16}, new int[] {16}, TrainConfig.Loss.BEHAVIOURAL, 1e-3f, 8, 16, 5, 1, 5, 5, 0.2, 100);
            Checkpoint ck = new Trainer(be, d, tc).train(dir.resolve("h.ckpt"), false, null);
            assertEquals(5, ck.step());
        }
    }
}
