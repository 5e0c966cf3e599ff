package policyzip.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a machine without a GPU sees, in a child JVM (JCuda's native load can be tried once per JVM): with no driver at
 * all, and with a driver but no device (a three-function stub libcuda.so.1 built with gcc whose cuInit returns
 * CUDA_ERROR_NO_DEVICE, TOOLCHAIN.md). {@code --backend cuda}: one line on standard error, exit status 2.
 * {@code --backend auto}: one line saying why, then the CPU backend, exit status 0. Never a stack trace.
 */
class CudaUnavailableTest {
    private static final String STUB = """
            int cuInit(unsigned int flags) { (void) flags; return 100; }   /* CUDA_ERROR_NO_DEVICE */
            int cuDriverGetVersion(int *v) { *v = 13000; return 0; }
            int cuDeviceGetCount(int *n) { *n = 0; return 100; }
            """;

    record Child(int status, String out, List<String> errLines) {}

    private static Child policyzip(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), "policyzip.cli.Main"));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().remove("POLICYZIP_BACKEND");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes(), err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "child JVM did not finish");
        List<String> lines = new String(err, StandardCharsets.UTF_8).lines()
                .filter(l -> !l.startsWith("WARNING: Using incubator modules")).toList();
        return new Child(p.exitValue(), new String(out, StandardCharsets.UTF_8), lines);
    }

    private static void assertOneLineRefusal(Child c, String cause) {
        assertEquals(2, c.status(), "exit status; stderr: " + c.errLines());
        assertEquals(1, c.errLines().size(), "expected one line on stderr, got " + c.errLines());
        String line = c.errLines().get(0);
        assertTrue(line.startsWith("policyzip info: backend 'cuda' is not available: ") && line.contains(cause), line);
    }

    private static void assertCpuWithOneNotice(Child c, String cause) {
        assertEquals(0, c.status(), "exit status; stderr: " + c.errLines());
        assertEquals(1, c.errLines().size(), "expected one line on stderr, got " + c.errLines());
        assertTrue(c.errLines().get(0).startsWith("policyzip: using the CPU backend; CUDA is not available: ")
                && c.errLines().get(0).contains(cause), c.errLines().get(0));
        assertTrue(c.out().contains("backend     cpu-"), c.out());
        assertTrue(c.out().contains("cuda: not available (") && c.out().contains(cause), c.out());
        assertFalse(c.out().contains("Exception"), c.out());
    }

    private static boolean systemHasLibcuda() throws IOException, InterruptedException {
        Process p = new ProcessBuilder("/sbin/ldconfig", "-p").redirectErrorStream(true).start();
        String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        p.waitFor();
        return s.contains("libcuda.so.1");
    }

    @Test
    void noDriver() throws Exception {
        assumeTrue(!systemHasLibcuda(), "this machine has a CUDA driver (ldconfig lists libcuda.so.1)");
        Map<String, String> env = Map.of("LD_LIBRARY_PATH", "/nonexistent");
        assertOneLineRefusal(policyzip(env, "info", "--backend", "cuda"), "libcuda.so.1");
        assertCpuWithOneNotice(policyzip(env, "info", "--backend", "auto"), "libcuda.so.1");
    }

    @Test
    void driverButNoDevice(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("stub.c"), lib = dir.resolve("libcuda.so.1");
        Files.writeString(src, STUB);
        Process gcc;
        try {
            gcc = new ProcessBuilder("gcc", "-shared", "-fPIC", "-o", lib.toString(), src.toString()).redirectErrorStream(true).start();
        } catch (IOException e) {
            assumeTrue(false, "gcc is not installed: cannot build the stub libcuda.so.1");
            return;
        }
        String log = new String(gcc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, gcc.waitFor(), "gcc failed: " + log);
        Map<String, String> env = Map.of("LD_LIBRARY_PATH", dir.toString());
        assertOneLineRefusal(policyzip(env, "info", "--backend", "cuda"), "CUDA_ERROR_NO_DEVICE");
        assertCpuWithOneNotice(policyzip(env, "info", "--backend", "auto"), "CUDA_ERROR_NO_DEVICE");
    }
}
