package policyzip.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import jcuda.driver.CUdeviceptr;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import policyzip.backend.StateLayout;
import policyzip.backend.TwinCheck;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;

/**
 * The CPU emulator of the CUDA kernels itself (native-build/cuda-emu.sh; these tests fail, never skip, without it):
 * the library matches the sources, every kernel CudaBackend loads is in it with the static shared memory ptxas reports,
 * the kernels are bit-identical to their CPU twins wherever their headers say so, and the emulator's checks fire:
 * through the kernels of native-build/cuda-emu/test-kernels.cu (libpzcudaemu-test.so), which break the rules on
 * purpose (writes outside a buffer, divergent barriers, a missing barrier) or pin the semantics of the warp intrinsics
 * and of the thread indices.
 */
class CudaEmulatorTest {
    private static final int POISON = 0x7FBADBAD;
    private static EmuDriver test;
    private static int liveBefore;

    @BeforeAll
    static void open() {
        test = new EmuDriver(EmuLibrary.load(testLibrary()));
        test.loadModule("test-kernels", new byte[0], test.library().kernels(), true);
        liveBefore = test.library().live();
    }

    @AfterAll
    static void noLeaks() {
        assertEquals(liveBefore, test.library().live(), "the emulator tests leaked device allocations");
    }

    private static Path testLibrary() {
        return EmuLibrary.locate().resolveSibling("libpzcudaemu-test.so");
    }

    // ---------------------------------------------------------------- the library of cuda/

    @Test
    void libraryIsBuiltFromTheseSources() throws Exception {
        TreeSet<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.list(Path.of("cuda"))) {
            s.map(p -> "cuda/" + p.getFileName()).filter(n -> n.endsWith(".cu") || n.endsWith(".cuh")).forEach(files::add);
        }
        try (Stream<Path> s = Files.list(Path.of("native-build/cuda-emu"))) {
            s.map(p -> "native-build/cuda-emu/" + p.getFileName()).forEach(files::add);
        }
        files.add("native-build/cuda-emu.sh");
        StringBuilder want = new StringBuilder();
        for (String f : files) {   // TreeSet: byte order of ASCII names, as LC_ALL=C sort
            byte[] d = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(Path.of(f)));
            want.append(HexFormat.of().formatHex(d)).append("  ").append(f).append('\n');
        }
        EmuLibrary lib = EmuLibrary.get();
        assertEquals(want.toString(), lib.sources(), lib.file + " was built from other sources: run native-build/cuda-emu.sh");
    }

    @Test
    void everyKernelOfTheBackendIsThereWithThePtxasSharedMemory() throws IOException {
        EmuLibrary lib = EmuLibrary.get();
        // ptxas -v for sm_90 (native-build/build-kernels.sh): "Function properties for K" ... "..., N bytes smem".
        Map<String, Long> smem = new HashMap<>();
        String kernel = null;
        for (String line : Files.readAllLines(Path.of("resources/policyzip/cuda/ptxas-report.txt"))) {
            Matcher f = Pattern.compile("^Function properties for (\\w+)").matcher(line);
            if (f.find()) kernel = f.group(1);
            Matcher u = Pattern.compile("^Used .*registers").matcher(line);
            if (u.find() && kernel != null) {
                Matcher b = Pattern.compile("(\\d+) bytes smem").matcher(line);
                smem.put(kernel, b.find() ? Long.parseLong(b.group(1)) : 0L);
            }
        }
        int checked = 0;
        for (String m : CudaBackend.MODULES) {
            for (String k : CudaBackend.kernelNames(m)) {
                long[] info = lib.kernelInfo(k);
                assertTrue(info != null, k + " is not in " + lib.file);
                if (smem.containsKey(k)) {
                    // ptxas may pad between arrays for alignment; the emulator adds the arrays' sizes.
                    long pad = smem.get(k) - info[2];
                    assertTrue(pad >= 0 && pad < 64, k + ": static shared memory measured by the emulator (" + info[2] + " B) vs ptxas ("
                            + smem.get(k) + " B)");
                    checked++;
                }
            }
        }
        assertTrue(checked >= 10, "kernels compared with the ptxas report: " + checked);
    }

    @Test
    void aMissingKernelIsOneClearLine() {
        // The test library has none of CudaBackend's kernels.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> CudaBackend.openEmulator(1, testLibrary()));
        assertTrue(e.getMessage().contains("libpzcudaemu-test.so has no kernel mlp_forward_large (module mlp_forward)")
                && e.getMessage().endsWith(EmuLibrary.SETUP), e.getMessage());
        assertThrows(IllegalStateException.class, () -> test.launch("mlp_forward_large", 1, 1, 1, 1, 1, 1, new Object[0], false));
    }

    /** The preset architectures' descriptions begin with these; at M = 1 their flat kernel sums in GEMM order. */
    private static final List<String> PRESET_PREFIXES = CudaBackend.PRESETS.stream()
            .map(k -> k.replace("_0_", "_").replace('_', '-') + " ").toList();   // "2_4_0_1" → "2-4-1 "

    /**
     * The hidden layers, the large kernel's activations, distances, k-NN and θ from seeds sum in the CPU's order, so on
     * the emulator (IEEE float, fmaf, no contraction: the GPU build's arithmetic) they equal the scalar CPU backend bit
     * for bit; so does every non-preset forward at M = 1 (mlp_forward_matvec sums in the CPU's matrix-vector order). The
     * exceptions are the documented ones: the CPU's matrix-vector path where a kernel sums otherwise (the presets at
     * M = 1; a distance block one column wide: R2 ≡ 1 mod 128, a k-NN pool block ≡ 1 mod 32) and the large kernel's
     * output layer, summed across a warp.
     */
    @Test
    void bitIdenticalToTheCpuWhereTheKernelsSaySo() {
        long seed = System.nanoTime();
        try (CudaBackend be = CudaBackend.openEmulator(1)) {
            int exact = 0;
            for (TwinCheck.Result r : TwinCheck.run(be, seed, true, null)) {
                assertTrue(r.passed(), "seed " + seed + ": " + r);
                Matcher r2 = Pattern.compile("R2=(\\d+)").matcher(r.what());
                // The training kernels promise the tolerance, not the bits, except the element-wise ones (checked at 0 by
                // TwinCheck itself): mlpBackward sums over states in another order than the CPU's medium path, dense layers
                // split long reductions; the MSE's loss is a double sum in blocks.
                boolean documented = r.op().startsWith("mlpBackward") || r.op().startsWith("dense") || r.what().endsWith("(loss)")
                        || r.what().contains(" M=1 ") && PRESET_PREFIXES.stream().anyMatch(r.what()::startsWith)
                        || r.op().equals("mlpForward") && r.what().contains("-400-300-") && !r.what().contains(" M=1 ")
                                && !r.what().endsWith("(activations)")
                        || r2.find() && Integer.parseInt(r2.group(1)) % 128 == 1
                        || r.op().equals("knnSquaredDistances") && poolRows(r.what()) % 1024 % 32 == 1;
                if (!documented) {
                    assertEquals(0.0, r.relError(), "seed " + seed + ": not bit-identical: " + r);
                    exact++;
                }
            }
            assertTrue(exact > 40, "bit-identical cases: " + exact);
        }
    }

    private static int poolRows(String what) {
        Matcher m = Pattern.compile("P=(\\d+)").matcher(what);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    @Test
    void theThinDwKernelsGiveTheGemmTilesBits() {
        // 2-400-300-1's first and last layers, and a deeper net whose thin layers go both ways (in + 1 <= 8, out <= 8).
        for (int[] sizes : new int[][] {{2, 400, 300, 1}, {5, 33, 17, 3}, {3, 20, 16, 12, 8, 2}}) {
            MlpSpec mlp = new MlpSpec(sizes[0], java.util.Arrays.copyOfRange(sizes, 1, sizes.length - 1), sizes[sizes.length - 1],
                    Activation.TANH, 1f);
            int b = 3, m = 70, a = mlp.actDim();
            java.util.SplittableRandom r = new java.util.SplittableRandom(sizes.length * 1000L + sizes[1]);
            float[] theta = new float[b * mlp.paramCount()], states = new float[b * m * mlp.obsDim()], dA = new float[b * m * a];
            for (float[] x : new float[][] {theta, states, dA}) for (int i = 0; i < x.length; i++) x[i] = (float) (r.nextDouble() - 0.5);
            float[][] dTheta = new float[2][theta.length];
            for (int v = 0; v < 2; v++) {
                try (CudaBackend be = CudaBackend.openEmulator(1)) {
                    if (v == 1) be.absent.addAll(CudaBackend.OPTIONAL_KERNELS);   // as with a build from before the thin kernels
                    var t = be.upload(theta);
                    var s = be.upload(states);
                    var act = be.allocate(b * m * a);
                    var cache = be.allocate(b * mlp.hiddenUnits() * m);
                    var d = be.upload(dA);
                    var dt = be.allocate(theta.length);
                    be.mlpForward(mlp, t, b, s, StateLayout.PER_POLICY, m, act, cache);
                    be.mlpBackward(mlp, t, b, s, StateLayout.PER_POLICY, m, act, cache, d, dt, null);
                    be.read(dt, dTheta[v], 0);
                }
            }
            for (int i = 0; i < theta.length; i++) {
                assertEquals(Float.floatToRawIntBits(dTheta[1][i]), Float.floatToRawIntBits(dTheta[0][i]),
                        mlp.describe() + ": dθ[" + i + "] differs between the thin kernels and the GEMM tiles");
            }
        }
    }

    @Test
    void aKernelsFolderMustHoldEveryModule(@TempDir Path dir) throws IOException {
        String before = System.getProperty("policyzip.cuda.kernels");
        System.setProperty("policyzip.cuda.kernels", dir.toString());
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> CudaBackend.openEmulator(1));
            assertTrue(e.getMessage().contains("must hold") && e.getMessage().contains(dir.resolve("mlp_forward.fatbin").toString()),
                    e.getMessage());
            for (String m : CudaBackend.MODULES) {
                try (var in = CudaBackend.class.getResourceAsStream("/policyzip/cuda/" + m + ".fatbin")) {
                    Files.write(dir.resolve(m + ".fatbin"), in.readAllBytes());
                }
            }
            try (CudaBackend be = CudaBackend.openEmulator(1)) {
                assertEquals(dir, CudaBackend.kernelsOverride());
            }
        } finally {
            if (before == null) System.clearProperty("policyzip.cuda.kernels");
            else System.setProperty("policyzip.cuda.kernels", before);
        }
    }

    // ---------------------------------------------------------------- the emulator's checks (libpzcudaemu-test.so)

    private static String failure(String kernel, int gx, int bx, Object... args) {
        return assertThrows(Driver.Failure.class, () -> test.launch(kernel, gx, 1, 1, bx, 1, 1, args, false)).getMessage();
    }

    private static void assertHas(String message, String... parts) {
        for (String p : parts) assertTrue(message.contains(p), "expected '" + p + "' in: " + message);
    }

    @Test
    void writesOutsideABufferAreFoundAfterTheLaunch() {
        CUdeviceptr ten = test.alloc(40, "ten floats");
        try {
            String past = failure("write_past_end", 1, 32, ten, 10);
            assertHas(past, "emulator: wrote outside a buffer: it changed bytes 0 to 3 past the end of buffer 'ten floats' (40 bytes at 0x",
                    "(argument 1 points into it)");
            String before = failure("write_before_start", 1, 32, ten);
            assertHas(before, "it changed bytes 1 to 4 before the start of buffer 'ten floats'");
            // The guards were repaired: a correct launch on the same buffer passes.
            test.launch("write_past_end", 1, 1, 1, 32, 1, 1, new Object[] {ten, 9}, false);
            float[] got = new float[10];
            test.download(got, 0, 10, ten);
            for (float v : got) assertEquals(1f, v);
            // And the backend names the kernel and the geometry around the emulator's reason.
            Driver.Failure f = assertThrows(Driver.Failure.class, () -> test.launch("write_past_end", 1, 1, 1, 32, 1, 1,
                    new Object[] {ten, 10}, false));
            assertEquals("CUDA kernel write_past_end (grid 1 × 1, block 32) failed: " + f.getMessage(),
                    CudaBackend.launchFailed("write_past_end", 1, 1, 32, f).getMessage());
        } finally {
            test.free(ten);
        }
    }

    @Test
    void aFaultingKernelEndsItsLaunchNotTheJvm() {
        // Only the x86-64 context switch can send a faulting fiber back to the scheduler; elsewhere a fault ends the JVM.
        assumeTrue(test.library().version().contains("fault recovery") && !test.library().version().contains("no fault recovery"),
                () -> "this build of the emulator cannot recover from faults: " + test.library().version());
        CUdeviceptr out = test.alloc(128, "out");
        try {
            assertHas(failure("far_write", 1, 32, new CUdeviceptr(), 0L),
                    "thread (3, 0, 0): memory access at address 0x0 (a null pointer), outside every device buffer (SIGSEGV; on a GPU: "
                    + "CUDA_ERROR_ILLEGAL_ADDRESS)");
            assertHas(failure("far_write", 1, 32, out, 1L << 40), "thread (3, 0, 0): memory access at address 0x", "outside every device buffer");
            assertHas(failure("int_division", 1, 32, out, 7), "thread (7, 0, 0): integer division by zero (SIGFPE");
            test.launch("vector_load", 1, 1, 1, 4, 1, 1, new Object[] {out, out, 4}, false);
            assertHas(failure("vector_load", 1, 4, out, out, 2), "thread (0, 0, 0): a misaligned memory access",
                    "CUDA_ERROR_MISALIGNED_ADDRESS");
            test.launch("far_write", 1, 1, 1, 32, 1, 1, new Object[] {out, 31L}, false);   // the emulator goes on working
            assertHas(failure("far_write", 1, 32, out, 32L), "it changed bytes 0 to 3 past the end of buffer 'out'");
        } finally {
            test.free(out);
        }
    }

    @Test
    void barriersMustBeReachedByEveryThread() {
        CUdeviceptr out = test.alloc(4096, "out");
        try {
            assertHas(failure("divergent_barrier", 1, 32, out), "emulator: block (0, 0, 0), __syncthreads reached by 16 of 32 threads; "
                    + "threads 16–31 returned without reaching it");
            assertHas(failure("exit_before_barrier", 1, 64, out, 40), "__syncthreads reached by 40 of 64 threads; threads 40–63 returned");
            test.launch("exit_before_barrier", 1, 1, 1, 64, 1, 1, new Object[] {out, 64}, false);   // all reach it: fine
            assertHas(failure("shuffle_against_barrier", 1, 32, out),
                    "deadlock in warp 0: lane 1 waits in __shfl_xor_sync (mask 0xffffffff) for lane 0, which waits in __syncthreads");
            assertHas(failure("diverged_intrinsics", 1, 32, out),
                    "warp 0 diverged: lane 0 is in __ballot_sync (mask 0xffffffff) and lane 8 in __shfl_sync (mask 0xffffffff)");
            assertHas(failure("failing_assert", 1, 32, out), "thread (5, 0, 0): assertion failed: threadIdx.x != 5");
        } finally {
            test.free(out);
        }
    }

    @Test
    void aMissingBarrierReadsTheNanFillOfSharedMemory() {
        CUdeviceptr out = test.alloc(256 * 4, "out");
        try {
            float[] got = new float[256];
            test.launch("shared_neighbour", 2, 1, 1, 128, 1, 1, new Object[] {out, 1}, false);
            test.download(got, 0, 256, out);
            for (int i = 0; i < 256; i++) assertEquals((i / 128) * 1000 + (i + 1) % 128, got[i], 0f, "with the barrier, at " + i);
            // Without it, thread t reads s[t + 1] before thread t + 1 has run: the NaN fill, in every block.
            test.launch("shared_neighbour", 2, 1, 1, 128, 1, 1, new Object[] {out, 0}, false);
            test.download(got, 0, 256, out);
            for (int i = 0; i < 256; i++) {
                if (i % 128 == 127) assertEquals((i / 128) * 1000, got[i], 0f, "the last thread reads thread 0's value");
                else assertEquals(POISON, Float.floatToRawIntBits(got[i]), "without the barrier, at " + i);
            }
        } finally {
            test.free(out);
        }
    }

    /** The test library under another schedule: a driver of its own, its kernels loaded. */
    private static EmuDriver testIn(EmuSchedule s) {
        EmuDriver d = new EmuDriver(test.library(), s);
        d.loadModule("test-kernels", new byte[0], d.library().kernels(), true);
        return d;
    }

    private static float[] run(EmuDriver d, String kernel, int blocks, int threads, CUdeviceptr out, Object... args) {
        float[] got = new float[blocks * threads];
        d.memsetD32(out, 0, got.length);
        d.launch(kernel, blocks, 1, 1, threads, 1, 1, args, false);
        d.download(got, 0, got.length, out);
        return got;
    }

    /**
     * Races that forward order hides: a read of the previous thread's value without a barrier, an overwrite that races
     * the neighbour's read (write after read), a block reading another block's output. Reverse order shows each; with
     * the barrier (or without the dependency) every schedule gives the forward result.
     */
    @Test
    void reverseAndShuffledSchedulesShowWhatForwardOrderHides() {
        CUdeviceptr out = test.alloc(256 * 4, "out");
        try {
            EmuDriver rev = testIn(EmuSchedule.REVERSE), shuf = testIn(EmuSchedule.shuffle(7));
            float[] want = run(test, "shared_previous", 2, 128, out, out, 1);
            for (int i = 0; i < 256; i++) assertEquals((i / 128) * 1000 + Math.max(0, i % 128 - 1), want[i], 0f, "at " + i);
            assertTrue(java.util.Arrays.equals(want, run(test, "shared_previous", 2, 128, out, out, 0)), "forward order hides it");
            float[] r = run(rev, "shared_previous", 2, 128, out, out, 0);
            for (int i = 0; i < 256; i++) {
                if (i % 128 == 0) assertEquals(want[i], r[i], 0f, "thread 0 reads its own value");
                else assertEquals(POISON, Float.floatToRawIntBits(r[i]), "reverse order, at " + i);
            }
            assertTrue(java.util.Arrays.equals(want, run(rev, "shared_previous", 2, 128, out, out, 1)));
            assertTrue(java.util.Arrays.equals(want, run(shuf, "shared_previous", 2, 128, out, out, 1)));
            assertTrue(!java.util.Arrays.equals(want, run(shuf, "shared_previous", 2, 128, out, out, 0)), "a shuffle shows it too");

            float[] want2 = run(test, "shared_overwrite", 2, 128, out, out, 1);
            for (int i = 0; i < 256; i++) assertEquals(i % 128 == 127 ? -3f : i % 128, want2[i], 0f, "at " + i);
            assertTrue(java.util.Arrays.equals(want2, run(test, "shared_overwrite", 2, 128, out, out, 0)), "forward order hides it");
            float[] r2 = run(rev, "shared_overwrite", 2, 128, out, out, 0);
            for (int i = 0; i < 256; i++) assertEquals(i % 128 == 127 ? -3f : -2f, r2[i], 0f, "reverse: the neighbour overwrote first, at " + i);
            assertTrue(java.util.Arrays.equals(want2, run(rev, "shared_overwrite", 2, 128, out, out, 1)));
            assertTrue(java.util.Arrays.equals(want2, run(shuf, "shared_overwrite", 2, 128, out, out, 1)));

            float[] chain = run(test, "block_chain", 200, 1, out, out);
            for (int b = 0; b < 200; b++) assertEquals(b + 1, chain[b], 0f, "forward: blocks in order");
            float[] back = run(rev, "block_chain", 200, 1, out, out);
            for (int b = 0; b < 200; b++) assertEquals(1f, back[b], 0f, "reverse: each block read a 0, at " + b);
            assertTrue(!java.util.Arrays.equals(chain, run(shuf, "block_chain", 200, 1, out, out)), "a shuffle of blocks shows it too");
        } finally {
            test.free(out);
        }
    }

    /**
     * The race check on the real kernels: TwinCheck's quick cases, from one seed, in forward, reverse and shuffled order.
     * Each case must pass and give exactly the same relative error in all three: a kernel whose result depends on which
     * thread or block ran first would change it (or read the NaN pattern and fail).
     */
    @Test
    void everyKernelGivesTheSameResultsInEverySchedule() {
        long seed = System.nanoTime();
        List<TwinCheck.Result> base = null;
        for (EmuSchedule s : List.of(EmuSchedule.FORWARD, EmuSchedule.REVERSE, EmuSchedule.shuffle(seed))) {
            try (CudaBackend be = CudaBackend.openEmulator(1, s)) {
                List<TwinCheck.Result> r = TwinCheck.run(be, seed, true, null);
                for (TwinCheck.Result x : r) assertTrue(x.passed(), "seed " + seed + ", " + s + ": " + x);
                if (base == null) base = r;
                else assertEquals(base, r, "seed " + seed + ": " + s + " order gave other results than forward");
            }
        }
        assertTrue(base.size() > 250, "cases: " + base.size());
    }

    @Test
    void schedulesParseOrSayWhatIsExpected() {
        assertEquals(EmuSchedule.REVERSE, EmuSchedule.parse(" Reverse "));
        assertEquals(EmuSchedule.shuffle(-5), EmuSchedule.parse("shuffle:-5"));
        assertEquals("shuffle:-5", EmuSchedule.shuffle(-5).toString());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EmuSchedule.parse("shuffle:x"));
        assertEquals("emulator schedule 'shuffle:x': expected forward, reverse, shuffle or shuffle:SEED (a long)", e.getMessage());
    }

    @Test
    void launchesTheDriverWouldRefuseAreRefused() {
        CUdeviceptr out = test.alloc(4096, "out");
        try {
            assertHas(failure("too_much_shared", 1, 32, out), "52000 bytes of static and 0 of dynamic shared memory exceed 48 KiB");
            assertHas(failure("bounded", 1, 128, out), "block of 128 threads is more than the kernel's __launch_bounds__(64)");
            test.launch("bounded", 1, 1, 1, 64, 1, 1, new Object[] {out}, false);
            assertHas(failure("bounded", 1, 1025, out), "block 1025 × 1 × 1 is outside the limits");
            assertHas(assertThrows(Driver.Failure.class, () -> test.launch("bounded", 1, 65536, 1, 64, 1, 1, new Object[] {out}, false))
                    .getMessage(), "grid 1 × 65536 × 1 is outside the limits");
            assertHas(failure("add_long", 1, 32, out, 3), "argument 2 is 4 bytes, the kernel's parameter 2 is 8 bytes");
            assertHas(failure("add_long", 1, 32, out), "1 arguments given, the kernel (native-build/cuda-emu/test-kernels.cu) takes 2");
            CUdeviceptr gone = test.alloc(64, "gone");
            test.free(gone);
            assertHas(failure("bounded", 1, 64, gone), "argument 1 is the pointer 0x", "not inside any live device allocation");
            assertHas(assertThrows(IllegalStateException.class, () -> test.free(gone)).getMessage(),
                    "cuMemFree of 0x", "not the start of a live device allocation");
            assertHas(assertThrows(IllegalStateException.class, () -> test.upload(out.withByteOffset(4000), new float[32], 0, 32))
                    .getMessage(), "cuMemcpyHtoD of 128 bytes", "runs 32 bytes past the end of buffer 'out'");
            assertHas(assertThrows(IllegalStateException.class, () -> test.memsetD32(out, 0, 1025)).getMessage(),
                    "cuMemsetD32 of 4100 bytes");
        } finally {
            test.free(out);
        }
    }

    @Test
    void warpIntrinsicsFollowPtxSemantics() {
        CUdeviceptr out = test.alloc(2 * 64 * 16 * 4, "warp_ops out");
        try {
            test.launch("warp_ops", 2, 1, 1, 64, 1, 1, new Object[] {out}, false);
            int[] got = ints(out, 2 * 64 * 16);
            for (int g = 0; g < 128; g++) {
                int t = g % 64, lane = t % 32, wb = t - lane;
                int[] want = {(wb + 3) * 10, (wb + ((lane & ~7) | ((lane + 1) & 7))) * 10, lane >= 2 ? t - 2 : t,
                        lane % 16 + 5 < 16 ? t + 5 : t, t ^ 6, 0x49249249, wb == 32 ? 1 : 0, 0, 32 * wb + 496, 31, 32 * wb + 496, 16,
                        16, 1, 0, (wb + 31) * 4 + 1};
                for (int s = 0; s < 16; s++) assertEquals(want[s], got[g * 16 + s], "thread " + g + ", slot " + s);
            }
            // 48 threads: warp 1 has 16 lanes; lanes >= 20 of warp 0 return first.
            test.launch("partial_warps", 1, 1, 1, 48, 1, 1, new Object[] {out}, false);
            got = ints(out, 48 * 4);
            for (int t = 0; t < 48; t++) {
                int[] want = t < 20 ? new int[] {0xFFFFF, 19, POISON, 0xFFFFF}
                        : t < 32 ? new int[] {-1, -1, -1, -1} : new int[] {0xFFFF, POISON, POISON, 0xFFFF};
                for (int s = 0; s < 4; s++) assertEquals(want[s], got[t * 4 + s], "thread " + t + ", slot " + s);
            }
        } finally {
            test.free(out);
        }
    }

    @Test
    void threeDimensionalIndices() {
        int blocks = 2 * 3 * 2, threads = 4 * 2 * 3;
        CUdeviceptr out = test.alloc(blocks * threads * 4L, "indices out");
        try {
            test.launch("indices", 2, 3, 2, 4, 2, 3, new Object[] {out}, false);
            int[] got = ints(out, blocks * threads);
            for (int bz = 0; bz < 2; bz++) for (int by = 0; by < 3; by++) for (int bx = 0; bx < 2; bx++)
                for (int tz = 0; tz < 3; tz++) for (int ty = 0; ty < 2; ty++) for (int tx = 0; tx < 4; tx++) {
                    int at = (bx + 2 * (by + 3 * bz)) * threads + tx + 4 * (ty + 2 * tz);
                    assertEquals(tx | ty << 4 | tz << 8 | bx << 12 | by << 16 | bz << 20, got[at], "thread at " + at);
                }
        } finally {
            test.free(out);
        }
    }

    private static int[] ints(CUdeviceptr p, int n) {
        float[] f = new float[n];
        test.download(f, 0, n, p);
        int[] r = new int[n];
        for (int i = 0; i < n; i++) r[i] = Float.floatToRawIntBits(f[i]);
        return r;
    }

    @Test
    void kernelListIsCompleteForTheTestLibrary() {
        assertEquals(List.of("write_past_end", "write_before_start", "divergent_barrier", "exit_before_barrier", "shuffle_against_barrier",
                "diverged_intrinsics", "shared_neighbour", "far_write", "vector_load", "int_division", "failing_assert", "too_much_shared", "bounded", "add_long", "warp_ops",
                "partial_warps", "indices", "shared_previous", "shared_overwrite", "block_chain"), test.library().kernels());
        assertEquals(64, test.library().kernelInfo("bounded")[1], "__launch_bounds__ read from the source");
        assertEquals(512, test.library().kernelInfo("shared_neighbour")[2], "static shared bytes");
    }
}
