package policyzip.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.backend.cpu.CpuBackend;
import policyzip.cli.CliTest;
import policyzip.io.InvalidFileException;
import policyzip.policy.Activation;

/** The dataset file through its public doors: `dataset inspect`, Dataset.open, and every corrupt-file case. */
class DatasetFileTest {
    static Path make(Path dir) throws Exception {
        NoveltyConfig cfg = new NoveltyConfig("pendulum", "small", Activation.TANH, 60, 40, 8, 3, 0.25, 0, 0.1f, 9, 2);
        Path f = dir.resolve("p.pzd");
        try (CpuBackend be = new CpuBackend(1)) {
            new NoveltySearch(be, cfg).run(f, false, null);
        }
        return f;
    }

    @Test
    void inspectPrintsHeaderAndReturnSpread(@TempDir Path dir) throws Exception {
        Path f = make(dir);
        Dataset d = Dataset.open(f);
        assertEquals(60, d.size());
        assertEquals("Pendulum-v1", d.env().id());
        assertEquals(d.contents().generations(), 6); // 60 policies, 10 admitted per generation
        var r = CliTest.run("dataset", "inspect", f.toString());
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("Pendulum-v1") && r.out().contains("swingup") && r.out().contains("N=60"), r.out());
    }

    @Test
    void corruptTruncatedForeignAndFutureFilesAreRefused(@TempDir Path dir) throws Exception {
        Path f = make(dir);
        byte[] b = Files.readAllBytes(f);
        Path bad = dir.resolve("bad.pzd");
        Files.write(bad, Arrays.copyOf(b, b.length / 2));
        assertRefused(bad, "truncated");
        byte[] flip = b.clone();
        flip[b.length - 300] ^= 1;
        Files.write(bad, flip);
        assertRefused(bad, "corrupt");
        byte[] future = b.clone();
        future[16] = 9;
        Files.write(bad, future);
        assertRefused(bad, "newer");
        Files.write(bad, "not a dataset at all, just some text that is long enough".getBytes());
        assertRefused(bad, "not a PolicyZip file");
        // Through the CLI: one line, status 2, the file named.
        var r = CliTest.run("dataset", "inspect", bad.toString());
        assertEquals(2, r.status());
        assertTrue(r.err().contains("bad.pzd") && r.err().strip().lines().count() == 1, r.err());
    }

    static void assertRefused(Path f, String word) {
        var e = assertThrows(InvalidFileException.class, () -> Dataset.open(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains(word), e.getMessage());
    }
}
