package policyzip.ae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.backend.Buffer;
import policyzip.backend.cpu.CpuBackend;
import policyzip.dataset.Dataset;
import policyzip.dataset.NoveltyConfig;
import policyzip.dataset.NoveltySearch;
import policyzip.io.InvalidFileException;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

class TrainerTest {
    @TempDir static Path dir;
    static Dataset small;

    /** 200 small (2-4-1) MountainCar policies from novelty search. */
    @BeforeAll
    static void dataset() throws Exception {
        NoveltyConfig cfg = new NoveltyConfig("mountaincar", "small", Activation.RELU, 200, 100, 16, 5, 0.25, 0, 0.1f, 3, 1);
        try (CpuBackend be = new CpuBackend(2)) {
            new NoveltySearch(be, cfg).run(dir.resolve("small.pzd"), false, null);
        }
        small = Dataset.open(dir.resolve("small.pzd"));
    }

    static TrainConfig cfg(int latent, int steps) {
        return new TrainConfig(latent, new int[] {32, 32}, new int[] {32, 32}, TrainConfig.Loss.BEHAVIOURAL, 3e-3f, 32, 64, steps, 5, 10, 10, 0.1, 1000);
    }

    @Test
    void behaviouralGradientMatchesFiniteDifferences() {
        MlpSpec mlp = new MlpSpec(2, new int[] {5}, 1, Activation.TANH, 1f);
        int p = mlp.paramCount(), b = 3, m = 7;
        SplittableRandom rng = new SplittableRandom(4);
        float[] mu = new float[p], sd = new float[p];
        for (int i = 0; i < p; i++) {
            mu[i] = (float) (rng.nextDouble() - 0.5) * 0.1f;
            sd[i] = 0.3f + (float) rng.nextDouble() * 0.2f;
        }
        float[] theta = PolicyInit.initialize(mlp, new long[] {1, 2, 3});
        float[] states = new float[m * 2];
        for (int i = 0; i < states.length; i++) states[i] = (float) (rng.nextDouble() * 2 - 1);
        try (CpuBackend be = new CpuBackend(1);
             Autoencoder ae = new Autoencoder(be, mlp, 2, new int[] {6}, new int[] {6}, mu, sd, null, 9, b)) {
            Buffer th = be.upload(theta), st = be.upload(states);
            Buffer target = be.allocate(b * m), pred = be.allocate(b * m), dPred = be.allocate(b * m),
                    cache = be.allocate(b * mlp.hiddenUnits() * m), dTheta = be.allocate(b * p);
            ae.forward(th, b);
            Trainer.behavioural(be, mlp, ae, th, b, st, m, target, pred, dPred, cache, dTheta);
            float[] grad = new float[ae.paramCount()];
            be.read(ae.grads(), grad, 0);
            float[] w = ae.parametersToHost();
            int checked = 0, good = 0;
            for (int i = 0; i < w.length; i++) {
                double h = 1e-2 * Math.max(0.05, Math.abs(w[i]));
                double lp = lossAt(be, mlp, ae, w, i, w[i] + h, th, st, b, m, target, pred, dPred, cache, dTheta);
                double lm = lossAt(be, mlp, ae, w, i, w[i] - h, th, st, b, m, target, pred, dPred, cache, dTheta);
                double fd = (lp - lm) / (2 * h);
                if (Math.abs(fd) < 1e-5 && Math.abs(grad[i]) < 1e-5) continue;
                checked++;
                if (Math.abs(fd - grad[i]) <= 2e-2 * Math.max(Math.abs(fd), Math.abs(grad[i])) + 1e-6) good++;
            }
            // float32 differences across ReLU kinks: nearly all coordinates agree within 2 %.
            assertTrue(checked > w.length / 2, "only " + checked + " of " + w.length + " coordinates had a gradient");
            assertTrue(good >= 0.97 * checked, good + " of " + checked + " gradient coordinates match finite differences");
        }
    }

    private static double lossAt(CpuBackend be, MlpSpec mlp, Autoencoder ae, float[] w, int i, double value, Buffer th, Buffer st, int b,
                                 int m, Buffer target, Buffer pred, Buffer dPred, Buffer cache, Buffer dTheta) {
        float[] c = w.clone();
        c[i] = (float) value;
        be.write(ae.params(), c, 0);
        ae.forward(th, b);
        double l = Trainer.behavioural(be, mlp, ae, th, b, st, m, target, pred, dPred, cache, dTheta);
        be.write(ae.params(), w, 0);
        return l;
    }

    @Test
    void behaviouralLossFallsToNearZeroAndDecodedPoliciesAct() throws Exception {
        Path ck = dir.resolve("fall.ckpt");
        Checkpoint c;
        try (CpuBackend be = new CpuBackend(2)) {
            c = new Trainer(be, small, cfg(4, 600)).train(ck, false, null);
        }
        double first = Arrays.stream(c.trainLoss(), 0, 20).average().orElseThrow();
        double last = Arrays.stream(c.trainLoss(), 580, 600).average().orElseThrow();
        assertTrue(last < 0.05 * first && last < 2e-3, "loss from " + first + " to " + last);
        // 180 training policies: the held-out policies (never trained on) are reconstructed less well, but clearly better.
        assertTrue(c.evalLoss().length > 0 && c.evalLoss()[c.evalLoss().length - 1] < 0.25 * c.evalLoss()[0],
                "held-out loss " + Arrays.toString(c.evalLoss()));
    }

    static final class Kill extends RuntimeException {}

    @Test
    void aKilledRunResumesToTheSameWeights() throws Exception {
        Path whole = dir.resolve("whole.ckpt"), killed = dir.resolve("killed.ckpt");
        try (CpuBackend be = new CpuBackend(2)) {
            Checkpoint want = new Trainer(be, small, cfg(2, 40)).train(whole, false, null);
            assertThrows(Kill.class, () -> new Trainer(be, small, cfg(2, 40)).train(killed, false, new Trainer.Listener() {
                @Override public void onStep(int step, int steps, double loss) {
                    if (step == 25) throw new Kill();
                }
            }));
            assertEquals(20, Checkpoint.read(killed).step());
            var e = assertThrows(IllegalArgumentException.class, () -> new Trainer(be, small, cfg(2, 40)).train(killed, false, null));
            assertTrue(e.getMessage().contains("--resume"), e.getMessage());
            var other = new TrainConfig(3, new int[] {32, 32}, new int[] {32, 32}, TrainConfig.Loss.BEHAVIOURAL, 3e-3f, 32, 64, 40, 5, 10, 10, 0.1, 1000);
            e = assertThrows(IllegalArgumentException.class, () -> new Trainer(be, small, other).train(killed, true, null));
            assertTrue(e.getMessage().contains("other options"), e.getMessage());
            Checkpoint got = new Trainer(be, small, cfg(2, 40)).train(killed, true, null);
            assertEquals(40, got.step());
            assertArrayEquals(want.params(), got.params());
            assertArrayEquals(want.trainLoss(), got.trainLoss());
            assertArrayEquals(want.evalLoss(), got.evalLoss());
        }
    }

    @Test
    void aMinimumIntervalSkipsCheckpointsButNeverTheLast() throws Exception {
        try (CpuBackend be = new CpuBackend(2)) {
            for (Duration gap : new Duration[] {Duration.ZERO, Duration.ofHours(1)}) {
                List<Integer> saved = new ArrayList<>();
                Checkpoint c = new Trainer(be, small, cfg(2, 40)).minCheckpointInterval(gap).train(dir.resolve("gap-" + gap.toMinutes() + ".ckpt"),
                        false, new Trainer.Listener() {
                            @Override public void onCheckpoint(int step, Path file) { saved.add(step); }
                        });
                assertEquals(gap.isZero() ? List.of(10, 20, 30, 40) : List.of(40), saved, "interval " + gap);
                assertEquals(40, c.step());
            }
            assertThrows(IllegalArgumentException.class, () -> new Trainer(be, small, cfg(2, 40)).minCheckpointInterval(Duration.ofSeconds(-1)));
        }
    }

    @Test
    void corruptOrForeignCheckpointsAreRefused() throws Exception {
        Path ck = dir.resolve("c.ckpt");
        try (CpuBackend be = new CpuBackend(1)) {
            new Trainer(be, small, cfg(2, 10)).train(ck, false, null);
        }
        var e = assertThrows(InvalidFileException.class, () -> Checkpoint.read(small.path()));
        assertTrue(e.getMessage().contains("not a ckpt file"), e.getMessage());
        byte[] b = Files.readAllBytes(ck);
        Path bad = dir.resolve("bad.ckpt");
        Files.write(bad, Arrays.copyOf(b, b.length - 9));
        e = assertThrows(InvalidFileException.class, () -> Checkpoint.read(bad));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        b[b.length / 2] ^= 4;
        Files.write(bad, b);
        e = assertThrows(InvalidFileException.class, () -> Checkpoint.read(bad));
        assertTrue(e.getMessage().contains("corrupt"), e.getMessage());
    }

    @Test
    void divergenceStopsWithTheStepAndKeepsTheLastCheckpoint() throws Exception {
        // An absurd learning rate blows the decoder up; the loss turns non-finite within a few steps.
        TrainConfig wild = new TrainConfig(2, new int[] {32, 32}, new int[] {32, 32}, TrainConfig.Loss.BEHAVIOURAL, 1e30f, 32, 64, 200, 5, 1, 100, 0.1, 1000);
        Path ck = dir.resolve("wild.ckpt");
        try (CpuBackend be = new CpuBackend(1)) {
            var e = assertThrows(IllegalStateException.class, () -> new Trainer(be, small, wild).train(ck, false, null));
            assertTrue(e.getMessage().contains("diverged at step") && e.getMessage().contains("--lr"), e.getMessage());
            int step = Integer.parseInt(e.getMessage().replaceAll(".*diverged at step (\\d+).*", "$1"));
            assertTrue(step > 1, e.getMessage());
            assertEquals(step - 1, Checkpoint.read(ck).step(), "the checkpoint before the failing step is kept");
        }
    }
}
