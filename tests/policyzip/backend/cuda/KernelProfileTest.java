package policyzip.backend.cuda;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import policyzip.backend.AdamConfig;
import policyzip.backend.Backend;
import policyzip.backend.Backends;
import policyzip.backend.Buffer;

/**
 * The launch profile ({@code -Dpolicyzip.cuda.profile=true}): {@link KernelProfile}'s aggregation and table on made-up
 * times, and end to end on the emulator ({@code cuda-emu}; fails, never skips, without native-build/cuda-emu.sh): the
 * table printed at close names exactly the kernels launched, with their launch counts.
 */
class KernelProfileTest {
    @Test
    void aggregatesPerKernelSortedByTotalTime() {
        KernelProfile p = new KernelProfile("test clock");
        p.add("b", 3_000);
        p.add("a", 1_000);
        p.add("b", 5_000);
        p.add("c", 10_000);
        p.add("a", 2_000);
        p.add("a", 1_000);
        assertEquals(List.of(new KernelProfile.Row("c", 1, 10_000), new KernelProfile.Row("b", 2, 8_000),
                new KernelProfile.Row("a", 3, 4_000)), p.rows());
        assertEquals(new KernelProfile.Row("total", 6, 22_000), p.total());
        assertEquals(4.0, p.rows().get(1).meanMicros(), 1e-12);
        assertEquals(4_000 / 3e3, p.rows().get(2).meanMicros(), 1e-12);
    }

    @Test
    void tableHasHeaderColumnsRowsAndTotal() {
        KernelProfile p = new KernelProfile("test clock");
        p.add("mse_partial", 1_500_000);
        p.add("adam_step", 500_000);
        p.add("mse_partial", 500_000);
        String[] lines = p.table().split("\\R");
        assertEquals(5, lines.length, p.table());
        assertEquals("CUDA kernel profile (test clock): 2 kernels, 3 launches, 2.500 ms", lines[0]);
        assertEquals(List.of("kernel", "launches", "total", "ms", "mean", "µs", "share"), List.of(lines[1].trim().split("\\s+")));
        assertEquals(List.of("mse_partial", "2", "2.000", "1000.00", "80.0%"), List.of(lines[2].trim().split("\\s+")));
        assertEquals(List.of("adam_step", "1", "0.500", "500.00", "20.0%"), List.of(lines[3].trim().split("\\s+")));
        assertEquals(List.of("total", "3", "2.500", "833.33", "100.0%"), List.of(lines[4].trim().split("\\s+")));
    }

    @Test
    void emptyProfileHasOnlyATotalLine() {
        String[] lines = new KernelProfile("test clock").table().split("\\R");
        assertEquals(3, lines.length);
        assertEquals(List.of("total", "0", "0.000", "0.00", "0.0%"), List.of(lines[2].trim().split("\\s+")));
    }

    @Test
    void offByDefault() {
        assumeTrue(!Boolean.getBoolean("policyzip.cuda.profile") && !"1".equals(System.getenv("POLICYZIP_CUDA_PROFILE")),
                "profiling is switched on for this JVM");
        try (CudaBackend be = (CudaBackend) Backends.create("cuda-emu", 1)) {
            assertNull(be.profile());
        }
    }

    /** adamStep is one launch of adam_step, meanSquaredError one of mse_partial and one of mse_finish. */
    @Test
    void emulatorTableCountsTheLaunches() {
        CudaBackend be = openProfiled();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        be.profileOut = new PrintStream(err, true, UTF_8);
        SplittableRandom rng = new SplittableRandom(5);
        int n = 3000;
        try (be; Buffer p = be.upload(random(rng, n)); Buffer g = be.upload(random(rng, n)); Buffer m = be.allocate(n);
                Buffer v = be.allocate(n)) {
            for (int t = 1; t <= 3; t++) be.adamStep(AdamConfig.defaults(1e-3f), t, p, g, m, v);
            for (int i = 0; i < 2; i++) be.meanSquaredError(p, g, null);
            Map<String, Long> counts = new LinkedHashMap<>();
            for (KernelProfile.Row r : be.profile().rows()) counts.put(r.kernel(), r.launches());
            assertEquals(Map.of("adam_step", 3L, "mse_partial", 2L, "mse_finish", 2L), counts);
            assertEquals("", err.toString(UTF_8), "the table is printed at close, not before");
        }
        String[] lines = err.toString(UTF_8).split("\\R");
        assertEquals(6, lines.length, err.toString(UTF_8));
        assertTrue(lines[0].startsWith("CUDA kernel profile (emulator wall time per launch on the CPU, not GPU time): 3 kernels, 7 launches"),
                lines[0]);
        Map<String, Long> printed = new LinkedHashMap<>();
        double previousMs = Double.POSITIVE_INFINITY;
        for (int i = 2; i < 5; i++) {
            String[] f = lines[i].trim().split("\\s+");
            printed.put(f[0], Long.parseLong(f[1]));
            double ms = Double.parseDouble(f[2]);
            assertTrue(ms <= previousMs, "rows by total time descending: " + lines[i]);
            previousMs = ms;
        }
        assertEquals(Map.of("adam_step", 3L, "mse_partial", 2L, "mse_finish", 2L), printed);
        String[] total = lines[5].trim().split("\\s+");
        assertEquals("total", total[0]);
        assertEquals("7", total[1]);
    }

    /** The emulator backend through {@link Backends}, as a run would open it, with the profile property set meanwhile. */
    private static CudaBackend openProfiled() {
        String before = System.getProperty("policyzip.cuda.profile");
        System.setProperty("policyzip.cuda.profile", "true");
        try {
            Backend be = Backends.create("cuda-emu", 1);
            return (CudaBackend) be;
        } finally {
            if (before == null) System.clearProperty("policyzip.cuda.profile");
            else System.setProperty("policyzip.cuda.profile", before);
        }
    }

    private static float[] random(SplittableRandom rng, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) rng.nextDouble(-1, 1);
        return a;
    }
}
