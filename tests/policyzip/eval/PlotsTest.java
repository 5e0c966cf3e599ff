package policyzip.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.cli.CliTest;

/**
 * Figures on a runtime without java.desktop (the GPU machines' jlink'd runtime): the detection, the skip line, and the
 * commands carrying on with all their data. The missing module is simulated by setting {@link Plots#unavailable} to
 * what the detection gives without it; the jlink runtime itself (bench/gpu/make-jre.sh) is checked by hand (bench/gpu/README.md).
 */
class PlotsTest {
    private static final String NO_DESKTOP = "this Java runtime has no java.desktop module (AWT)";

    @Test
    void detectsTheDesktopModule() {
        assertNull(Plots.reason(true));
        assertEquals(NO_DESKTOP, Plots.reason(false));
        // This JDK has java.desktop, so figures are drawn here.
        assertTrue(ModuleLayer.boot().findModule("java.desktop").isPresent());
        assertNull(Plots.unavailable);
    }

    @Test
    void drawsWhereAwtIsThere(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("a.png");
        assertEquals(Optional.empty(), Plots.line(png, dir.resolve("a.csv"), "t", "x", "y", new double[] {1, 2, 3},
                new double[][] {{1, 4, 2}}, null, false));
        assertTrue(Files.size(png) > 1000);
    }

    @Test
    void withoutAwtEveryFigureIsOneLineNamingItsData(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("a.png"), csv = dir.resolve("a.csv");
        String want = "figure " + png + " skipped: " + NO_DESKTOP + "; the data is in " + csv;
        withoutDesktop(() -> {
            try {
                assertEquals(Optional.of(want), Plots.line(png, csv, "t", "x", "y", new double[] {1, 2}, new double[][] {{1, 2}}, null, true));
                assertEquals(Optional.of(want), Plots.heatmap(png, csv, "t", new double[] {1, 2, 3, 4}, 2, new float[] {0, 0},
                        new float[] {1, 1}, null));
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return null;
        });
        assertFalse(Files.exists(png));
    }

    /** The failure seen on the GPU machines: the demo crashed at its first figure. Now it finishes with every data file. */
    @Test
    void demoFinishesWithoutAwt(@TempDir Path dir) {
        CliTest.Run r = withoutDesktop(() -> CliTest.run("demo", "--dir", dir.toString(), "--policies", "200", "--steps", "40", "--latent", "1",
                "--size", "small", "--threads", "2"));
        assertEquals(0, r.status(), r.err());
        assertTrue(r.out().contains("Summary"), r.out());
        Path ckpt = dir.resolve("mc-small-k1.ckpt");
        for (String f : new String[] {"mc-small.pzd", "mc-small-k1.ckpt", "mc-small-k1.ckpt.loss.csv", "mc-small-k1.ckpt.recovery.json",
                "mc-small-k1.ckpt.recovery.csv"}) {
            assertTrue(Files.exists(dir.resolve(f)), f);
        }
        assertTrue(r.err().contains("policyzip: figure " + ckpt + ".loss.png skipped: " + NO_DESKTOP + "; the data is in " + ckpt + ".loss.csv"),
                r.err());
        assertTrue(r.err().contains("policyzip: figure " + ckpt + ".recovery.goal.png skipped: " + NO_DESKTOP + "; the data is in " + ckpt
                + ".recovery.csv"), r.err());
        assertFalse(Files.exists(dir.resolve("mc-small-k1.ckpt.loss.png")));
        assertTrue(r.out().contains(".loss.csv (") && !r.out().contains("<task>.png"), r.out());
    }

    private static <T> T withoutDesktop(Supplier<T> body) {
        String before = Plots.unavailable;
        Plots.unavailable = Plots.reason(false);
        try {
            return body.get();
        } finally {
            Plots.unavailable = before;
        }
    }
}
