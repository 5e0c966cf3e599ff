package policyzip.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.backend.Buffer;
import policyzip.backend.StateLayout;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

class NoveltySearchTest {
    /** Small but real: 240 medium MountainCar policies from generations of 120, 16 probe states. */
    static NoveltyConfig small(double mutationRate) {
        return new NoveltyConfig("mountaincar", "medium", Activation.RELU, 240, 120, 16, 5, 0.25, mutationRate, 0.1f, 42, 1);
    }

    @Test
    void plantedOutlierIsMostNovel() {
        SplittableRandom rng = new SplittableRandom(5);
        int a = 50, g = 40, d = 24;
        float[] pool = new float[(a + g) * d];
        for (int i = 0; i < pool.length; i++) pool[i] = (float) rng.nextGaussian();
        int planted = 17;
        for (int q = 0; q < d; q++) pool[(a + planted) * d + q] += 25f;
        try (CpuBackend be = new CpuBackend(2)) {
            float[] nov = NoveltySearch.novelty(be, pool, a, g, d, 5);
            int best = 0;
            for (int c = 1; c < g; c++) if (nov[c] > nov[best]) best = c;
            assertEquals(planted, best);
            // Novelty is the mean of the k smallest distances, computed directly here in double.
            for (int c : new int[] {0, planted, g - 1}) {
                double[] dist = new double[a + g - 1];
                int n = 0;
                for (int j = 0; j < a + g; j++) {
                    if (j == a + c) continue;
                    double s = 0;
                    for (int q = 0; q < d; q++) {
                        double t = pool[(a + c) * d + q] - pool[j * d + q];
                        s += t * t;
                    }
                    dist[n++] = Math.sqrt(s);
                }
                java.util.Arrays.sort(dist);
                double want = (dist[0] + dist[1] + dist[2] + dist[3] + dist[4]) / 5;
                assertEquals(want, nov[c], 1e-4 * Math.max(1, want), "candidate " + c);
            }
        }
    }

    @Test
    void storedDescriptorsAreThePoliciesActionsOnTheProbes(@TempDir Path dir) throws Exception {
        NoveltyConfig cfg = small(0.5);
        Dataset.Contents c;
        try (CpuBackend be = new CpuBackend(2)) {
            c = new NoveltySearch(be, cfg).run(dir.resolve("d.pzd"), false, null);
        }
        Dataset ds = Dataset.open(dir.resolve("d.pzd"));
        assertEquals(240, ds.size());
        MlpSpec mlp = ds.mlp();
        int m = cfg.probes();
        boolean sawMutation = false;
        try (CpuBackend ref = new CpuBackend(KernelsProvider.scalar(), 1)) {
            for (int i = 0; i < ds.size(); i += 7) {
                float[] theta = new float[mlp.paramCount()];
                ds.thetas(i, 1, theta);
                // Regeneration from the seed chain, by hand.
                float[] want = PolicyInit.initialize(mlp, c.refs().root(i));
                int chain = c.refs().chainLength(i);
                sawMutation |= chain > 0;
                if (chain == 0) assertArrayEquals(want, theta, "fresh policy " + i);
                Buffer act = ref.allocate(m);
                ref.mlpForward(mlp, ref.upload(theta), 1, ref.upload(ds.contents().probeStates()), StateLayout.SHARED, m, act, null);
                float[] a = new float[m];
                ref.read(act, a, 0);
                for (int j = 0; j < m; j++) {
                    assertEquals(a[j], ds.contents().descriptors()[i * m + j], 1e-6f, "policy " + i + " probe " + j);
                }
            }
        }
        assertTrue(sawMutation, "mutation rate 0.5 produced no mutated policy");
        // The returns are real rollouts: the 'goal' task's return is at most 100 and mostly the action penalty.
        for (int i = 0; i < ds.size(); i++) assertTrue(ds.returnOf(i, 0) <= 100 && Double.isFinite(ds.returnOf(i, 0)));
    }

    @Test
    void sameSeedSameDatasetOnOneOrTwoThreads(@TempDir Path dir) throws Exception {
        NoveltyConfig cfg = small(0.3);
        Dataset.Contents one, two;
        try (CpuBackend be = new CpuBackend(1)) {
            one = new NoveltySearch(be, cfg).run(dir.resolve("a.pzd"), false, null);
        }
        try (CpuBackend be = new CpuBackend(2)) {
            two = new NoveltySearch(be, cfg).run(dir.resolve("b.pzd"), false, null);
        }
        assertSame(one, two);
        assertArrayEquals(bytesWithoutCreated(dir.resolve("a.pzd")), bytesWithoutCreated(dir.resolve("b.pzd")));
    }

    static void assertSame(Dataset.Contents x, Dataset.Contents y) {
        assertArrayEquals(x.refs().roots(), y.refs().roots());
        assertArrayEquals(x.refs().chains(), y.refs().chains());
        assertArrayEquals(x.refs().offsets(), y.refs().offsets());
        assertArrayEquals(x.descriptors(), y.descriptors());
        assertArrayEquals(x.novelty(), y.novelty());
        assertArrayEquals(x.generation(), y.generation());
        assertArrayEquals(x.returns(), y.returns());
        assertArrayEquals(x.probeStates(), y.probeStates());
    }

    /** The file's bytes with the creation timestamp blanked (same length: ISO instants of equal precision). */
    static byte[] bytesWithoutCreated(Path p) throws Exception {
        String s = new String(Files.readAllBytes(p), java.nio.charset.StandardCharsets.ISO_8859_1);
        s = s.replaceAll("\"created\":\"[^\"]*\"", "\"created\":\"\"");
        // The checksum covers the timestamp: drop the 16-byte trailer before comparing.
        return s.substring(0, s.length() - 16).getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    static final class Kill extends RuntimeException {
        Kill() { super("killed by the test"); }
    }

    @Test
    void aKilledRunResumesToTheSameDataset(@TempDir Path dir) throws Exception {
        NoveltyConfig cfg = small(0.3);
        Path whole = dir.resolve("whole.pzd"), killed = dir.resolve("killed.pzd");
        Dataset.Contents want;
        try (CpuBackend be = new CpuBackend(2)) {
            want = new NoveltySearch(be, cfg).run(whole, false, null);
            // Killed after generation 2 of 8.
            assertThrows(Kill.class, () -> new NoveltySearch(be, cfg).run(killed, false, new NoveltySearch.Listener() {
                @Override public void onGeneration(int g, int size, int target, double med, int admitted) {
                    if (g == 2) throw new Kill();
                }
            }));
            assertFalse(Files.exists(killed));
            Path partial = NoveltySearch.partialPath(killed);
            assertTrue(Files.exists(partial));
            // Without --resume the unfinished run is not overwritten.
            var e = assertThrows(IllegalArgumentException.class, () -> new NoveltySearch(be, cfg).run(killed, false, null));
            assertTrue(e.getMessage().contains("--resume"), e.getMessage());
            // An unfinished run is not a dataset.
            var e2 = assertThrows(policyzip.io.InvalidFileException.class, () -> Dataset.open(partial));
            assertTrue(e2.getMessage().contains("unfinished"), e2.getMessage());
            // Other options are refused.
            var e3 = assertThrows(IllegalArgumentException.class, () -> new NoveltySearch(be, cfg.withN(300)).run(killed, true, null));
            assertTrue(e3.getMessage().contains("other options"), e3.getMessage());
            // Resumed, then killed again in the middle of the return evaluation, then resumed to the end.
            int[] seen = {0};
            assertThrows(Kill.class, () -> new NoveltySearch(be, cfg).checkpointEvery(Duration.ZERO).run(killed, true,
                    new NoveltySearch.Listener() {
                        @Override public void onReturns(int done, int total) {
                            if (done > 0 && ++seen[0] == 3) throw new Kill();
                        }
                    }));
            Dataset.Contents part = Dataset.openAny(partial).contents();
            assertTrue(part.returnsDone() > 0 && part.returnsDone() < cfg.n(), "returns done " + part.returnsDone());
            Dataset.Contents got = new NoveltySearch(be, cfg).run(killed, true, null);
            assertSame(want, got);
            assertFalse(Files.exists(partial));
        }
        assertArrayEquals(bytesWithoutCreated(whole), bytesWithoutCreated(killed));
    }

    @Test
    void badOptionsAreRefusedWithTheirName() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new NoveltyConfig("mountaincar", "medium", Activation.RELU, 100, 50, 16, 60, 0.1, 0, 0.1f, 0, 1));
        assertTrue(e.getMessage().contains("neighbours"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NoveltyConfig("mountaincar", "medium", Activation.RELU, 100, 50, 16, 5, 0.001, 0, 0.1f, 0, 1));
        assertTrue(e.getMessage().contains("keep"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new NoveltyConfig("mountaincar", "medium", Activation.RELU, 100, 50, 16, 5, 0.1, 1.5, 0.1f, 0, 1));
        assertTrue(e.getMessage().contains("mutation rate"), e.getMessage());
    }
}
