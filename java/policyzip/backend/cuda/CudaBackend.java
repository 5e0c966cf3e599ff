package policyzip.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import jcuda.CudaException;
import jcuda.driver.CUdeviceptr;
import policyzip.backend.AdamConfig;
import policyzip.backend.Backend;
import policyzip.backend.Buffer;
import policyzip.backend.Shapes;
import policyzip.backend.StateLayout;
import policyzip.backend.cpu.ArrayBuffer;
import policyzip.backend.cpu.CpuBackend;
import policyzip.policy.Activation;
import policyzip.policy.MlpSpec;
import policyzip.policy.PolicyInit;

/**
 * The CUDA backend (DESIGN.md, Backends) over a {@link Driver}: on a GPU, JCuda's driver API ({@link GpuDriver}: one
 * primary context on device 0, the kernels of {@code cuda/} loaded from the fatbins that
 * {@code native-build/build-kernels.sh} committed under {@code resources/policyzip/cuda/}); or, as backend
 * {@code cuda-emu}, the CPU emulator of the same kernels ({@link EmuDriver}: {@code cuda/*.cu} compiled with g++ by
 * {@code native-build/cuda-emu.sh}), which runs this class's launch logic and every kernel on the CPU, to check them
 * where there is no GPU. Device memory is in {@link DeviceBuffer}s that this object owns and frees.
 *
 * <p>On the GPU (issue 7): {@link #mlpForward} (cuda/mlp_forward.cu), {@link #pairwiseSquaredDistances} and
 * {@link #knnSquaredDistances} for k <= 64 (cuda/distances.cu), {@link #initPolicies} (cuda/policy_init.cu). Issue 8,
 * autoencoder training: {@link #mlpBackward} (cuda/mlp_backward.cu: the presets fused, a block per policy; every other
 * architecture as per-layer batched GEMMs), {@link #denseForward} and {@link #denseBackward} (cuda/dense.cu: one tiled
 * GEMM family in the three transpose cases, split-K with an ordered second pass for huge reductions, bias and
 * activation fused), {@link #adamStep}, {@link #columnAffine} and {@link #meanSquaredError} (cuda/elementwise.cu; the
 * loss crosses the bus as one double). The dense layers' GEMMs may instead run on cuBLAS ({@link #gemmChoice()},
 * {@link Cublas}: bound through java.lang.foreign, not JCublas, whose libcublas.so.12 the CUDA 13 GPU machines lack);
 * the hand-written kernels are the default, and keep the CPU twin's summation order. Still on the CPU backend through
 * host copies of their buffers: k-NN with k > 64 (correct, but each call copies its operands across the bus).
 *
 * <p>Errors: JCuda's exceptions are enabled, so every driver call is checked; a failed launch names its kernel.
 * Launches are asynchronous on the default stream; {@link #read} and {@link #synchronize} wait. With
 * {@code -Dpolicyzip.cuda.sync=true} (or {@code POLICYZIP_CUDA_SYNC=1}) every launch is followed by a synchronize,
 * so that a fault inside a kernel is reported with that kernel's name. On the emulator every launch is synchronous
 * and checked (barriers, warp intrinsics, writes outside a buffer). Calls may come from any thread, one at a time
 * ({@link #concurrentCallers()} is 1); each makes the context current first.
 *
 * <p>Profile: with {@code -Dpolicyzip.cuda.profile=true} (or {@code POLICYZIP_CUDA_PROFILE=1}) every launch is timed
 * and {@link #close()} prints one table to stderr ({@link KernelProfile}): per kernel its launches, total ms, mean µs
 * and share of the total, by total time descending, and a total line. On a GPU the time is the GPU's, from CUDA events
 * recorded around each launch (read back in batches of {@link GpuDriver#PENDING_MAX}); on the emulator it is the
 * emulator's wall time, not GPU time, and the header says so. Off (the default), a launch is not timed at all.
 */
public final class CudaBackend implements Backend {
    /** Fused preset kernels in cuda/mlp_forward.cu, by "O_H1_H2_A" (H2 = 0: one hidden layer). */
    static final Set<String> PRESETS = Set.of("2_4_0_1", "2_8_0_1", "2_32_32_1", "3_4_0_1", "3_32_32_1");
    /** Below this many states per policy, the presets use their flat (one thread per policy-state pair) version. */
    static final int PRESET_BLOCK_MIN_STATES = 64;
    /** Largest k of the device k-NN selection (KNN_KMAX in cuda/distances.cu). */
    static final int KNN_KMAX = 64;
    /** Floats of the k-NN's distance block [queries, P] and of the generic forward's workspace: 128 MiB. */
    static final long WORKSPACE_FLOATS = 1L << 25;
    /** {@link #WORKSPACE_FLOATS}, lowered only by tests so that small problems take the chunked paths. */
    long workspaceFloats = WORKSPACE_FLOATS;
    private static final int MAX_GRID_Y = 65535;
    static final String[] MODULES = {"mlp_forward", "mlp_backward", "distances", "policy_init", "dense", "elementwise"};

    private final Driver driver;
    private final Set<DeviceBuffer> live = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
    private final Map<Integer, Scratch> scratch = new HashMap<>();
    private final CpuBackend host;
    private final boolean syncEveryLaunch;
    /** The launch times, or null when not profiling. */
    private final KernelProfile profile;
    /** Where {@link #close()} prints the profile; replaced only by tests. */
    java.io.PrintStream profileOut = System.err;
    private boolean closed;
    /** cuBLAS for the dense layers' GEMMs ({@link #gemmChoice()}), or null: cuda/dense.cu's kernels. */
    private Cublas blas;
    /** Why {@code auto} left cuBLAS out, for {@link #describe()}; null when it was not tried. */
    private String blasUnavailable;

    private CudaBackend(Driver driver, int threads) {
        this.driver = driver;
        this.host = new CpuBackend(threads);
        this.syncEveryLaunch = flag("policyzip.cuda.sync", "POLICYZIP_CUDA_SYNC");
        this.profile = flag("policyzip.cuda.profile", "POLICYZIP_CUDA_PROFILE") ? driver.startProfile() : null;
    }

    /** System property {@code property} is "true", or environment variable {@code env} is "1". */
    private static boolean flag(String property, String env) {
        return Boolean.getBoolean(property) || "1".equals(System.getenv(env));
    }

    /**
     * Opens device 0. Throws {@link IllegalStateException} with a one-line reason when there is no usable GPU (no
     * driver, no device, or a driver error), never a stack trace's worth of text.
     */
    public static CudaBackend open(int threads) {
        Gemm gemm = gemmChoice();   // a bad setting fails before the driver takes the device
        GpuDriver d = GpuDriver.open();
        try {
            return withModules(d, threads, gemm);
        } catch (CudaException e) {
            throw GpuDriver.driverError(e);
        }
    }

    /**
     * The backend on the CPU emulator of the kernels (backend {@code cuda-emu}; native/cuda-emu/libpzcudaemu.so, see
     * {@link EmuLibrary}). Throws {@link IllegalStateException} with one line naming native-build/cuda-emu.sh when the
     * library is missing or lacks a kernel.
     */
    public static CudaBackend openEmulator(int threads) {
        Gemm gemm = gemmChoice();
        return withModules(new EmuDriver(EmuLibrary.get()), threads, gemm);
    }

    /** The backend on the emulator library {@code lib} (tests). */
    static CudaBackend openEmulator(int threads, Path lib) {
        return withModules(new EmuDriver(EmuLibrary.load(lib)), threads, Gemm.KERNELS);
    }

    /** The backend on the emulator, its launches run in {@code schedule}'s order (tests: the race check). */
    static CudaBackend openEmulator(int threads, EmuSchedule schedule) {
        return withModules(new EmuDriver(EmuLibrary.get(), schedule), threads, Gemm.KERNELS);
    }

    /** The backend on the emulator with the dense layers' GEMMs on {@code gemm} (tests: cuBLAS's path on its twin). */
    static CudaBackend openEmulator(int threads, Gemm gemm) {
        return withModules(new EmuDriver(EmuLibrary.get()), threads, gemm);
    }

    private static CudaBackend withModules(Driver d, int threads, Gemm gemm) {
        CudaBackend be = new CudaBackend(d, threads);
        try {
            be.loadModules();
            be.openBlas(gemm);
            return be;
        } catch (RuntimeException e) {
            try {
                be.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    /** JCuda's multi-line UnsatisfiedLinkError reduced to its line about libcuda ("libcuda.so.1: cannot open ..."). */
    static String linkFailure(String message) {
        if (message != null) {
            for (String line : message.split("\n")) {
                int at = line.indexOf("libcuda");
                if (at >= 0) return line.substring(at).strip();
            }
        }
        return firstLine(message);
    }

    static String firstLine(String s) {
        if (s == null) return "no message";
        String t = s.strip();
        int nl = t.indexOf('\n');
        return nl < 0 ? t : t.substring(0, nl).strip();
    }

    private void loadModules() {
        Path dir = kernelsOverride();
        List<String> missing = new ArrayList<>();
        for (String m : MODULES) {
            missing.addAll(driver.loadModule(m, dir == null ? resourceImage(m) : fileImage(dir, m), kernelNames(m), dir == null));
        }
        List<String> needed = missing.stream().filter(k -> !OPTIONAL_KERNELS.contains(k)).toList();
        if (!needed.isEmpty()) {
            throw new IllegalStateException("the kernels in " + dir + " lack " + String.join(", ", needed) + ", which this version of"
                    + " PolicyZip launches (an older build may lack only " + String.join(", ", OPTIONAL_KERNELS) + ")");
        }
        absent.addAll(missing);
    }

    /** Which GEMMs the dense layers run on: {@code POLICYZIP_CUDA_GEMM} or {@code -Dpolicyzip.cuda.gemm}. */
    enum Gemm {
        /** cuda/dense.cu's hand-written kernels (the default). */
        KERNELS,
        /** cuBLAS's SGEMM ({@link Cublas}); an error if it cannot be loaded. */
        CUBLAS,
        /** cuBLAS where it loads, else the kernels ({@link #describe()} says why). */
        AUTO
    }

    /**
     * {@code kernels} (the default), {@code cublas} or {@code auto}, from the system property
     * {@code policyzip.cuda.gemm} or the environment variable {@code POLICYZIP_CUDA_GEMM}. The default stays the
     * hand-written kernels until cuBLAS's path has been measured on a GPU (bench/gpu/README.md, the {@code gemm} step).
     */
    static Gemm gemmChoice() {
        String v = System.getProperty("policyzip.cuda.gemm");
        String source = "system property policyzip.cuda.gemm";
        if (v == null || v.isBlank()) {
            v = System.getenv("POLICYZIP_CUDA_GEMM");
            source = "POLICYZIP_CUDA_GEMM";
        }
        if (v == null || v.isBlank()) return Gemm.KERNELS;
        return switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "kernels" -> Gemm.KERNELS;
            case "cublas" -> Gemm.CUBLAS;
            case "auto" -> Gemm.AUTO;
            default -> throw new IllegalStateException(source + " is '" + v + "': expected kernels, cublas or auto");
        };
    }

    private void openBlas(Gemm choice) {
        if (choice == Gemm.KERNELS) return;
        try {
            enter();
            blas = driver instanceof EmuDriver e ? Cublas.emulated(e.library().file) : Cublas.open(Cublas.locate());
        } catch (RuntimeException e) {
            if (choice == Gemm.CUBLAS) throw new IllegalStateException("POLICYZIP_CUDA_GEMM=cublas: " + firstLine(e.getMessage()), e);
            blasUnavailable = firstLine(e.getMessage());
        }
    }

    /**
     * Kernels that a {@link #kernelsOverride()} build from before them may lack: their work then takes the path that
     * existed before (the thin layers' dW on the GEMM tiles), so that an A/B against such a build runs.
     */
    static final Set<String> OPTIONAL_KERNELS = Set.of("mlp_bwd_dw_thin_out", "mlp_bwd_dw_thin_in");
    /** The {@link #OPTIONAL_KERNELS} that the loaded build lacks; named by {@link #describe()}. */
    final Set<String> absent = new java.util.TreeSet<>();

    /**
     * The folder named by {@code -Dpolicyzip.cuda.kernels} or {@code POLICYZIP_CUDA_KERNELS}, whose
     * {@code <module>.fatbin} files replace the jar's (an A/B of two kernel builds in one process's environment, as
     * bench/gpu/run-device.sh's {@code ab} step does with an earlier commit's fatbins); null when neither is set.
     */
    static Path kernelsOverride() {
        String v = System.getProperty("policyzip.cuda.kernels");
        if (v == null || v.isBlank()) v = System.getenv("POLICYZIP_CUDA_KERNELS");
        return v == null || v.isBlank() ? null : Path.of(v);
    }

    private static byte[] resourceImage(String module) {
        String res = "/policyzip/cuda/" + module + ".fatbin";
        try (InputStream in = CudaBackend.class.getResourceAsStream(res)) {
            if (in == null) throw new IllegalStateException("kernel resource " + res + " is missing from the jar; run native-build/build-kernels.sh");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read kernel resource " + res, e);
        }
    }

    private static byte[] fileImage(Path dir, String module) {
        Path f = dir.resolve(module + ".fatbin");
        try {
            return java.nio.file.Files.readAllBytes(f);
        } catch (IOException e) {
            throw new IllegalStateException("policyzip.cuda.kernels / POLICYZIP_CUDA_KERNELS names " + dir + ", which must hold "
                    + String.join(", ", java.util.Arrays.stream(MODULES).map(x -> x + ".fatbin").toList()) + "; cannot read " + f
                    + " (" + e.getClass().getSimpleName() + ")");
        }
    }

    static List<String> kernelNames(String module) {
        return switch (module) {
            case "mlp_forward" -> {
                List<String> n = new ArrayList<>(List.of("mlp_forward_large", "mlp_forward_large_a1", "mlp_forward_matvec",
                        "mlp_forward_generic"));
                for (String p : PRESETS) {
                    n.add("mlp_fwd_block_" + p);
                    n.add("mlp_fwd_flat_" + p);
                }
                yield n;
            }
            case "mlp_backward" -> {
                List<String> n = new ArrayList<>(List.of("mlp_bwd_out", "mlp_bwd_dw_t2", "mlp_bwd_dw_t10", "mlp_bwd_dw_t10_swap",
                        "mlp_bwd_dx_t2", "mlp_bwd_dx_t8", "mlp_bwd_sum_states", "mlp_bwd_dw_thin_out", "mlp_bwd_dw_thin_in"));
                for (String p : PRESETS) n.add("mlp_bwd_block_" + p);
                yield n;
            }
            case "distances" -> List.of("row_sq_norms", "pairwise_sq_dist", "knn_select");
            case "policy_init" -> List.of("policy_init");
            case "dense" -> List.of("dense_gemm_nt", "dense_gemm_nn", "dense_gemm_tn", "dense_splitk_reduce", "dense_act_grad");
            case "elementwise" -> List.of("adam_step", "column_affine", "mse_partial", "mse_finish");
            default -> throw new IllegalArgumentException(module);
        };
    }

    /** The card's FP32 FMA peak in GFLOP/s (lanes × SMs × 2 × clock), the yardstick of the GPU benchmarks; 0 on the emulator. */
    @Override public double peakGflops() { return driver.peakGflops(); }

    /** The launch times so far, or null when not profiling (tests; the GPU's last launches are added at close). */
    KernelProfile profile() { return profile; }

    /** Root buffers not yet closed (leak checks). */
    public synchronized int liveBuffers() { return live.size(); }

    /** "cuda" on a GPU, "cuda-emu" on the CPU emulator. */
    @Override public String name() { return driver.kind(); }
    @Override public String describe() {
        Path dir = kernelsOverride();
        return driver.describe() + (dir == null || !(driver instanceof GpuDriver) ? "" : "; kernels from " + dir)
                + (absent.isEmpty() ? "" : " (without " + String.join(", ", absent) + ")")
                + (blas != null ? "; dense GEMMs on " + blas.describe() : blasUnavailable != null ? "; dense GEMMs on the kernels (cuBLAS: "
                        + blasUnavailable + ")" : "") + "; CPU fallback " + host.describe();
    }

    // ---------------------------------------------------------------- memory

    @Override public synchronized Buffer allocate(int n) {
        if (n < 0) throw new IllegalArgumentException("buffer length must be >= 0, got " + n);
        enter();
        CUdeviceptr p = new CUdeviceptr();
        if (n > 0) {
            p = driver.alloc((long) n * Float.BYTES, "buffer of " + n + " floats");
            driver.memsetD32(p, 0, n);
        }
        DeviceBuffer b = new DeviceBuffer(this, p, 0, n, true);
        live.add(b);
        return b;
    }

    synchronized void free(DeviceBuffer b) {
        if (closed || !live.remove(b)) return;
        enter();
        if (b.length() > 0) driver.free(b.base());
    }

    @Override public synchronized void write(Buffer dst, float[] hostArray, int off) {
        DeviceBuffer d = cast(dst);
        java.util.Objects.checkFromIndexSize(off, d.length(), hostArray.length);
        if (d.length() == 0) return;
        enter();
        driver.upload(d.ptr(), hostArray, off, d.length());
    }

    @Override public synchronized void read(Buffer src, float[] hostArray, int off) {
        DeviceBuffer s = cast(src);
        java.util.Objects.checkFromIndexSize(off, s.length(), hostArray.length);
        if (s.length() == 0) return;
        enter();
        driver.download(hostArray, off, s.length(), s.ptr());
    }

    @Override public synchronized void synchronize() {
        enter();
        driver.synchronize();
    }

    private DeviceBuffer cast(Buffer b) {
        if (b == null) return null;
        if (b instanceof DeviceBuffer d && d.owner() == this) return d;
        throw new IllegalArgumentException("buffer " + b.getClass().getSimpleName() + " belongs to another backend; the CUDA backend needs its own buffers");
    }

    private static CUdeviceptr ptr(DeviceBuffer b) { return b == null ? new CUdeviceptr() : b.ptr(); }

    private void enter() {
        if (closed) throw new IllegalStateException("the CUDA backend is closed");
        driver.enter();
    }

    /** A growable device scratch area per slot, kept until close. */
    private CUdeviceptr scratch(int slot, long bytes) {
        Scratch s = scratch.get(slot);
        if (s == null || s.bytes < bytes) {
            if (s != null) driver.free(s.ptr);
            scratch.remove(slot);
            long size = Math.max(bytes, 256);
            s = new Scratch(driver.alloc(size, "scratch slot " + slot + " (" + size + " bytes)"), size);
            scratch.put(slot, s);
        }
        return s.ptr;
    }

    private record Scratch(CUdeviceptr ptr, long bytes) {}

    /** The layer sizes last copied to scratch slot 1 (slot 1 holds nothing else), or null. */
    private int[] sizesOnDevice;

    /**
     * {@code sizes} in scratch slot 1 for mlp_forward_matvec and mlp_forward_generic, copied only when they differ from
     * the last ones: a rollout calls the forward once per env step with the same net, and each copy is a synchronous
     * transfer.
     */
    private CUdeviceptr layerSizes(int[] sizes) {
        if (java.util.Arrays.equals(sizes, sizesOnDevice)) return scratch(1, (long) sizes.length * Integer.BYTES);
        CUdeviceptr p = upload(1, sizes);
        sizesOnDevice = sizes.clone();
        return p;
    }

    private CUdeviceptr upload(int slot, int[] values) {
        CUdeviceptr p = scratch(slot, (long) values.length * Integer.BYTES);
        driver.upload(p, values);
        return p;
    }

    private CUdeviceptr upload(int slot, long[] values) {
        CUdeviceptr p = scratch(slot, (long) values.length * Long.BYTES);
        driver.upload(p, values);
        return p;
    }

    private static CUdeviceptr at(CUdeviceptr p, long floats) {
        return floats == 0 ? p : p.withByteOffset(floats * Float.BYTES);
    }

    /** Launches {@code kernel}; args are CUdeviceptr, Integer, Long or Float, in the kernel's parameter order. */
    private void launch(String kernel, long gridX, int gridY, int block, Object... args) {
        if (gridX < 1 || gridY < 1) return;
        if (gridX > Integer.MAX_VALUE) throw new IllegalArgumentException(kernel + ": grid of " + gridX + " blocks is too large");
        try {
            driver.launch(kernel, (int) gridX, gridY, 1, block, 1, 1, args, syncEveryLaunch);
        } catch (Driver.Failure e) {
            throw launchFailed(kernel, gridX, gridY, block, e);
        }
    }

    /** "CUDA kernel K (grid X × Y, block B) failed: " and the driver's reason (a CUDA error, or the emulator's finding). */
    static IllegalStateException launchFailed(String kernel, long gridX, int gridY, int block, Driver.Failure e) {
        return new IllegalStateException("CUDA kernel " + kernel + " (grid " + gridX + " × " + gridY + ", block " + block + ") failed: "
                + e.getMessage(), e);
    }

    // ---------------------------------------------------------------- policy forward, init

    /** The preset kernel suffix "O_H1_H2_A" of a spec, or null. */
    static String presetKey(MlpSpec mlp) {
        if (mlp.layers() == 2) return mlp.obsDim() + "_" + mlp.out(0) + "_0_" + mlp.actDim();
        if (mlp.layers() == 3) return mlp.obsDim() + "_" + mlp.out(0) + "_" + mlp.out(1) + "_" + mlp.actDim();
        return null;
    }

    /** Whether the fused GEMM kernel takes this spec (two hidden layers, H2 <= 320, O <= 32, A <= 4, wide enough). */
    static boolean largeKernelFits(MlpSpec mlp) {
        return mlp.layers() == 3 && mlp.out(1) <= 320 && mlp.obsDim() <= 32 && mlp.actDim() <= 4
                && (long) mlp.out(0) * mlp.out(1) >= 4096;
    }

    /** Widest layer input or output of {@code mlp_forward_matvec} (MV_MAX in cuda/mlp_forward.cu). */
    static final int MATVEC_MAX_WIDTH = 1024;

    /** Whether {@code mlp_forward_matvec} takes this spec: every layer's input and output at most MATVEC_MAX_WIDTH. */
    static boolean matvecFits(MlpSpec mlp) {
        for (int l = 0; l < mlp.layers(); l++) {
            if (mlp.in(l) > MATVEC_MAX_WIDTH || mlp.out(l) > MATVEC_MAX_WIDTH) return false;
        }
        return true;
    }

    @Override
    public synchronized void mlpForward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m,
                                        Buffer actions, Buffer activations) {
        Shapes.mlp(mlp, theta, batch, states, layout, m, actions, activations);
        DeviceBuffer th = cast(theta), st = cast(states), ac = cast(actions), ca = cast(activations);
        enter();
        int p = mlp.paramCount(), o = mlp.obsDim(), a = mlp.actDim(), hu = mlp.hiddenUnits();
        int perPolicy = layout == StateLayout.PER_POLICY ? 1 : 0;
        int act = mlp.hiddenActivation().ordinal();   // PZ_RELU, PZ_TANH, PZ_IDENTITY in cuda/common.cuh
        float scale = mlp.outputScale();
        String preset = presetKey(mlp);
        boolean usePreset = preset != null && PRESETS.contains(preset);
        if (usePreset && m < PRESET_BLOCK_MIN_STATES) {
            int chunk = (int) Math.max(1, Math.min(batch, (1L << 30) / m));
            for (int b0 = 0; b0 < batch; b0 += chunk) {
                int nb = Math.min(chunk, batch - b0);
                launch("mlp_fwd_flat_" + preset, ceilDiv((long) nb * m, 128), 1, 128,
                        at(th.ptr(), (long) b0 * p), at(st.ptr(), (long) perPolicy * b0 * m * o), perPolicy, nb, m,
                        at(ac.ptr(), (long) b0 * m * a), ca == null ? new CUdeviceptr() : at(ca.ptr(), (long) b0 * hu * m), act, scale);
            }
            return;
        }
        // Generic layer sizes (device copy) for mlp_forward_matvec and mlp_forward_generic.
        int[] sizes = new int[mlp.layers() + 1];
        for (int l = 0; l < mlp.layers(); l++) sizes[l] = mlp.in(l);
        sizes[mlp.layers()] = a;
        if (m == 1 && !usePreset && matvecFits(mlp)) {
            CUdeviceptr sizesDev = layerSizes(sizes);
            launch("mlp_forward_matvec", batch, 1, 256, th.ptr(), p, st.ptr(), perPolicy, sizesDev, mlp.layers(), hu, ac.ptr(),
                    ca == null ? new CUdeviceptr() : ca.ptr(), act, scale);
            return;
        }
        if (usePreset || largeKernelFits(mlp)) {
            String kernel = usePreset ? "mlp_fwd_block_" + preset : a == 1 ? "mlp_forward_large_a1" : "mlp_forward_large";
            long gridX = usePreset ? ceilDiv(m, 256) : ceilDiv(m, 64);
            for (int b0 = 0; b0 < batch; b0 += MAX_GRID_Y) {
                int nb = Math.min(MAX_GRID_Y, batch - b0);
                CUdeviceptr t = at(th.ptr(), (long) b0 * p), s = at(st.ptr(), (long) perPolicy * b0 * m * o),
                        out = at(ac.ptr(), (long) b0 * m * a), cache = ca == null ? new CUdeviceptr() : at(ca.ptr(), (long) b0 * hu * m);
                if (usePreset) launch(kernel, gridX, nb, 128, t, s, perPolicy, m, out, cache, act, scale);
                else launch(kernel, gridX, nb, 256, t, p, s, perPolicy, m, o, mlp.out(0), mlp.out(1), a, out, cache, act, scale);
            }
            return;
        }
        // Generic: hidden layers go to the activations buffer, or to a workspace of at most WORKSPACE_FLOATS.
        CUdeviceptr sizesDev = layerSizes(sizes);
        long perPolicyHidden = (long) hu * m;
        int chunk = ca != null || perPolicyHidden == 0 ? batch : (int) Math.max(1, Math.min(batch, workspaceFloats / perPolicyHidden));
        chunk = (int) Math.min(chunk, Math.max(1, (1L << 30) / m));
        CUdeviceptr work = ca == null && perPolicyHidden > 0 ? scratch(0, (long) chunk * perPolicyHidden * Float.BYTES) : null;
        for (int b0 = 0; b0 < batch; b0 += chunk) {
            int nb = Math.min(chunk, batch - b0);
            CUdeviceptr hidden = ca != null ? at(ca.ptr(), (long) b0 * hu * m) : work != null ? work : new CUdeviceptr();
            launch("mlp_forward_generic", ceilDiv((long) nb * m, 128), 1, 128, at(th.ptr(), (long) b0 * p), p,
                    at(st.ptr(), (long) perPolicy * b0 * m * o), perPolicy, nb, m, sizesDev, mlp.layers(), hu,
                    at(ac.ptr(), (long) b0 * m * a), hidden, act, scale);
        }
    }

    @Override
    public synchronized void initPolicies(MlpSpec mlp, long[] seeds, Buffer theta) {
        int p = mlp.paramCount();
        Shapes.initPolicies(mlp, seeds, theta);
        if (seeds.length == 0) return;
        DeviceBuffer th = cast(theta);
        enter();
        int[] layers = new int[2 * mlp.layers()];
        for (int l = 0; l < mlp.layers(); l++) {
            layers[2 * l] = mlp.biasOffset(l) + mlp.out(l);
            layers[2 * l + 1] = Float.floatToRawIntBits(PolicyInit.bound(mlp.in(l)));
        }
        CUdeviceptr layersDev = upload(2, layers);
        CUdeviceptr seedsDev = upload(3, seeds);
        for (int b0 = 0; b0 < seeds.length; b0 += MAX_GRID_Y) {
            int nb = Math.min(MAX_GRID_Y, seeds.length - b0);
            launch("policy_init", ceilDiv(p, 256), nb, 256, seedsDev.withByteOffset((long) b0 * Long.BYTES), p, layersDev,
                    mlp.layers(), at(th.ptr(), (long) b0 * p));
        }
    }

    // ---------------------------------------------------------------- distances

    @Override
    public synchronized void pairwiseSquaredDistances(Buffer x, int rowsX, Buffer y, int rowsY, int dim, Buffer out) {
        Shapes.pairwise(x, rowsX, y, rowsY, dim, out);
        DeviceBuffer xa = cast(x), ya = cast(y), oa = cast(out);
        enter();
        CUdeviceptr xx = norms(4, xa, rowsX, dim), yy = norms(5, ya, rowsY, dim);
        distances(xa.ptr(), rowsX, ya.ptr(), rowsY, dim, xx, yy, oa.ptr(), rowsY, -1);
    }

    /** ‖row‖² of a [rows, D] buffer into scratch slot {@code slot}. */
    private CUdeviceptr norms(int slot, DeviceBuffer a, int rows, int dim) {
        CUdeviceptr n = scratch(slot, (long) rows * Float.BYTES);
        launch("row_sq_norms", ceilDiv(rows, 128), 1, 128, a.ptr(), rows, dim, n);
        return n;
    }

    /** out [R1, ldo] = distances of x rows to y rows, in launches of at most 65535 row tiles of 64. */
    private void distances(CUdeviceptr x, int rowsX, CUdeviceptr y, int rowsY, int dim, CUdeviceptr xx, CUdeviceptr yy,
                           CUdeviceptr out, long ldo, int selfOffset) {
        int maxRows = MAX_GRID_Y * 64;
        for (int i0 = 0; i0 < rowsX; i0 += maxRows) {
            int r = Math.min(maxRows, rowsX - i0);
            launch("pairwise_sq_dist", ceilDiv(rowsY, 64), (int) ceilDiv(r, 64), 256, at(x, (long) i0 * dim), r, y, rowsY, dim,
                    at(xx, i0), yy, at(out, i0 * ldo), ldo, selfOffset < 0 ? -1 : selfOffset + i0);
        }
    }

    /**
     * k-NN as blocks of query rows: the distance block [rows, P] (at most {@link #WORKSPACE_FLOATS}), self entries
     * set to +∞, then a warp per query selects its k smallest. k > {@link #KNN_KMAX} runs on the CPU backend.
     */
    @Override
    public synchronized void knnSquaredDistances(Buffer queries, int rowsQ, Buffer pool, int rowsP, int dim, int k, int selfOffset, Buffer out) {
        Shapes.knn(queries, rowsQ, pool, rowsP, dim, k, selfOffset, out);
        if (k > KNN_KMAX) {
            try (HostMirror h = new HostMirror()) {
                host.knnSquaredDistances(h.of(queries), rowsQ, h.of(pool), rowsP, dim, k, selfOffset, h.of(out));
                h.back(out);
            }
            return;
        }
        DeviceBuffer qa = cast(queries), pa = cast(pool), oa = cast(out);
        enter();
        CUdeviceptr qq = norms(4, qa, rowsQ, dim), pp = norms(5, pa, rowsP, dim);
        int block = (int) Math.max(1, Math.min(rowsQ, workspaceFloats / rowsP));
        CUdeviceptr dist = scratch(6, (long) block * rowsP * Float.BYTES);
        for (int q0 = 0; q0 < rowsQ; q0 += block) {
            int qc = Math.min(block, rowsQ - q0);
            distances(at(qa.ptr(), (long) q0 * dim), qc, pa.ptr(), rowsP, dim, at(qq, q0), pp, dist, rowsP,
                    selfOffset < 0 ? -1 : selfOffset + q0);
            launch("knn_select", ceilDiv(qc * 32L, 128), 1, 128, dist, qc, rowsP, (long) rowsP, k, at(oa.ptr(), (long) q0 * k));
        }
    }

    // ---------------------------------------------------------------- policy backward

    /** A launch of one of the layered backward's GEMMs: its kernel (tile variant) and grid. */
    record BackwardGemm(String kernel, int rowTiles, int colTiles) {
        long blocks() { return (long) rowTiles * colTiles; }
    }

    /** Columns of every backward GEMM tile (8 warps × 8); its rows are 32 · TM for the kernel's TM (mlp_bwd_dw_t10: 320). */
    private static final int BWD_TILE_COLS = 64;
    /** Threads of every layered-backward launch (BG_THREADS in cuda/mlp_backward.cu). */
    private static final int BWD_THREADS = 256;
    /**
     * A layer whose out or in + 1 is at most this (THIN_MAX) takes mlp_bwd_dw_thin_out or _in for its dW: one thread per
     * index of the wide side, the thin side's sums in registers, so no GEMM tile pads 1 to 3 useful rows to 64 or 320.
     */
    static final int BWD_THIN_MAX = 8;

    /**
     * The dW GEMM of a layer, C [out, in + 1] = dz · [x ; 1]^T: a thin kernel where out or in + 1 is at most
     * {@link #BWD_THIN_MAX}; otherwise the TM = 10 tile (320 × 64) in that orientation or
     * transposed ("_swap"), or the TM = 2 tile (64 × 64, square: one orientation pads as well as the other), whichever
     * pads the output least. The small tile's padded outputs count 1.5 times: it loads 4 shared values per 16 FMAs where
     * the large one loads 12 per 80.
     */
    static BackwardGemm dwVariant(int out, int in) {
        return dwVariant(out, in, true);
    }

    /** {@link #dwVariant(int, int)}, with the thin kernels only where {@code thin} (the loaded build has them). */
    static BackwardGemm dwVariant(int out, int in, boolean thin) {
        if (thin && Math.min(out, in + 1) <= BWD_THIN_MAX) {
            boolean wideIsOut = in + 1 <= out;
            return new BackwardGemm(wideIsOut ? "mlp_bwd_dw_thin_out" : "mlp_bwd_dw_thin_in",
                    (int) ceilDiv(wideIsOut ? out : in + 1, BWD_THREADS), 1);
        }
        BackwardGemm best = null;
        double bestCost = Double.POSITIVE_INFINITY;
        for (int tm : new int[] {10, 2}) {
            for (boolean swap : tm == 10 ? new boolean[] {false, true} : new boolean[] {false}) {
                int rows = swap ? in + 1 : out, cols = swap ? out : in + 1;
                BackwardGemm g = new BackwardGemm("mlp_bwd_dw_t" + tm + (swap ? "_swap" : ""), (int) ceilDiv(rows, 32L * tm),
                        (int) ceilDiv(cols, BWD_TILE_COLS));
                double cost = (double) g.rowTiles() * 32 * tm * g.colTiles() * BWD_TILE_COLS * (tm == 2 ? 1.5 : 1);
                if (cost < bestCost) { best = g; bestCost = cost; }
            }
        }
        return best;
    }

    /** The dx GEMM of a layer, C^T [M, in] = dz^T · W: the TM = 8 (256 × 64) or TM = 2 (64 × 64) tile, costed as in {@link #dwVariant}. */
    static BackwardGemm dxVariant(int m, int in) {
        BackwardGemm big = new BackwardGemm("mlp_bwd_dx_t8", (int) ceilDiv(m, 256), (int) ceilDiv(in, BWD_TILE_COLS));
        BackwardGemm small = new BackwardGemm("mlp_bwd_dx_t2", (int) ceilDiv(m, 64), big.colTiles());
        return small.rowTiles() * 64 * 1.5 < big.rowTiles() * 256 ? small : big;
    }

    /**
     * Batched policy backward on the GPU (cuda/mlp_backward.cu). The presets run in one fused kernel, a block per
     * policy. Every other architecture runs layer by layer over chunks of policies: dz of the output layer, then per
     * layer a dW GEMM (with db as its column of ones) and, below the top layer or for dL/d(states), a dx GEMM whose
     * epilogue applies the activation's derivative; dz lives in two workspaces [chunk, max(H, A), M] of at most
     * {@link #WORKSPACE_FLOATS} in all. For shared states, each policy's dL/d(states) goes to parts [B, M, O] that
     * mlp_bwd_sum_states adds up in policy order, as the CPU does.
     */
    @Override
    public synchronized void mlpBackward(MlpSpec mlp, Buffer theta, int batch, Buffer states, StateLayout layout, int m, Buffer actions,
                                         Buffer activations, Buffer dActions, Buffer dTheta, Buffer dStates) {
        Shapes.mlpBackward(mlp, theta, batch, states, layout, m, actions, activations, dActions, dTheta, dStates);
        int o = mlp.obsDim();
        var th = cast(theta);
        var st = cast(states);
        var ac = cast(actions);
        var ca = cast(activations);
        var da = cast(dActions);
        var dth = cast(dTheta);
        var ds = cast(dStates);
        enter();
        int p = mlp.paramCount(), a = mlp.actDim(), hu = mlp.hiddenUnits(), layers = mlp.layers();
        int act = mlp.hiddenActivation().ordinal();   // PZ_RELU, PZ_TANH, PZ_IDENTITY in cuda/common.cuh
        float scale = mlp.outputScale();
        boolean shared = layout == StateLayout.SHARED;
        long perPolicy = shared ? 0 : 1, statesOf = (long) m * o;
        // Each policy's dL/d(states): the output itself (per-policy states) or parts [B, M, O] summed below (shared).
        var dsParts = ds == null ? ptr(ds) : shared ? scratch(10, batch * statesOf * Float.BYTES) : ds.ptr();
        String preset = presetKey(mlp);
        if (preset != null && PRESETS.contains(preset)) {
            for (int b0 = 0; b0 < batch; b0 += MAX_GRID_Y) {
                int nb = Math.min(MAX_GRID_Y, batch - b0);
                launch("mlp_bwd_block_" + preset, 1, nb, 256, at(th.ptr(), (long) b0 * p), at(st.ptr(), perPolicy * b0 * statesOf),
                        (int) perPolicy, m, at(ac.ptr(), (long) b0 * m * a), at(ca.ptr(), (long) b0 * hu * m), at(da.ptr(), (long) b0 * m * a),
                        at(dth.ptr(), (long) b0 * p), ds == null ? dsParts : at(dsParts, b0 * statesOf), act, scale);
            }
        } else {
            int maxUnits = a;
            for (int l = 0; l + 1 < layers; l++) maxUnits = Math.max(maxUnits, mlp.out(l));
            long wsOf = (long) maxUnits * m;   // one policy's dz, in either workspace
            int chunk = (int) Math.max(1, Math.min(Math.min(batch, MAX_GRID_Y), workspaceFloats / (2 * wsOf)));
            var ws = scratch(11, 2 * chunk * wsOf * Float.BYTES);
            for (int b0 = 0; b0 < batch; b0 += chunk) {
                int nb = Math.min(chunk, batch - b0);
                var t = at(th.ptr(), (long) b0 * p);
                var s = at(st.ptr(), perPolicy * b0 * statesOf);
                var cache = at(ca.ptr(), (long) b0 * hu * m);
                var dt = at(dth.ptr(), (long) b0 * p);
                var cur = ws;
                var next = at(ws, chunk * wsOf);
                launch("mlp_bwd_out", ceilDiv((long) nb * m * a, 256), 1, 256, at(ac.ptr(), (long) b0 * m * a), at(da.ptr(), (long) b0 * m * a),
                        nb, m, a, scale, cur, wsOf);
                int unitEnd = hu;   // the input of layer l is hidden units [unitEnd − in, unitEnd) of the cache
                for (int l = layers - 1; l >= 0; l--) {
                    int out = mlp.out(l), in = mlp.in(l);
                    // x_l (i, m): the states (x + b·perPolicy·M·O + m·O + i) or cache rows (x + b·ΣH·M + i·M + m).
                    var x = l == 0 ? s : at(cache, (long) (unitEnd - in) * m);
                    long xB = l == 0 ? perPolicy * statesOf : (long) hu * m;
                    BackwardGemm g = dwVariant(out, in, absent.isEmpty());
                    launch(g.kernel(), g.blocks(), nb, BWD_THREADS, cur, wsOf, x, xB, l == 0 ? 1 : m, l == 0 ? o : 1, out, in, m, g.colTiles(),
                            dt, p, mlp.weightOffset(l), mlp.biasOffset(l));
                    if (l == 0 && ds == null) break;
                    g = dxVariant(m, in);
                    if (l > 0) {
                        // dz_{l-1} = (W_l^T dz_l) ⊙ act'(x_l) into the other workspace.
                        launch(g.kernel(), g.blocks(), nb, BWD_THREADS, t, p, mlp.weightOffset(l), cur, wsOf, out, in, m, g.colTiles(), x, xB,
                                next, wsOf, m, 1, act);
                        var done = cur;
                        cur = next;
                        next = done;
                        unitEnd -= in;
                    } else {
                        // dL/d(states) [M, O] per policy (x unused: no activation).
                        launch(g.kernel(), g.blocks(), nb, BWD_THREADS, t, p, mlp.weightOffset(l), cur, wsOf, out, in, m, g.colTiles(), x, xB,
                                at(dsParts, b0 * statesOf), statesOf, 1, o, -1);
                    }
                }
            }
        }
        if (ds != null && shared) launch("mlp_bwd_sum_states", ceilDiv(statesOf, 256), 1, 256, dsParts, batch, statesOf, ds.ptr());
    }

    // ---------------------------------------------------------------- dense layers (cuda/dense.cu)

    /** y [R, J] = act(x [R, I] · Wᵀ + b): {@code dense_gemm_nt} with bias and activation in its epilogue (or split-K). */
    @Override
    public synchronized void denseForward(Buffer x, int rows, int in, Buffer w, Buffer b, int out, Activation act, Buffer y) {
        Shapes.denseForward(x, rows, in, w, b, out, y);
        DeviceBuffer xa = cast(x), wa = cast(w), ba = cast(b), ya = cast(y);
        enter();
        gemm("dense_gemm_nt", xa.ptr(), in, wa.ptr(), in, ya.ptr(), out, rows, out, in, ba.ptr(), act.ordinal());
    }

    /**
     * dz = dy ⊙ act'(y) into a workspace (none for the identity: dz is dy) with db = its column sums
     * ({@code dense_act_grad}), then dW [J, I] = dzᵀ · x ({@code dense_gemm_tn}) and dx [R, I] = dz · W
     * ({@code dense_gemm_nn}, split-K when J is large and R · I small: the decoder's last layer).
     */
    @Override
    public synchronized void denseBackward(Buffer x, int rows, int in, Buffer w, int out, Activation act, Buffer y, Buffer dy, Buffer dw,
                                           Buffer db, Buffer dx) {
        Shapes.denseBackward(x, rows, in, w, out, y, dy, dw, db, dx);
        DeviceBuffer xa = cast(x), wa = cast(w), ya = cast(y), dya = cast(dy), dwa = cast(dw), dba = cast(db), dxa = cast(dx);
        enter();
        boolean identity = act == Activation.IDENTITY;
        var dz = identity ? dya.ptr() : scratch(20, (long) rows * out * Float.BYTES);
        launch("dense_act_grad", ceilDiv(out, 128), 1, 128, ya.ptr(), dya.ptr(), rows, out, act.ordinal(), identity ? ptr(null) : dz,
                dba.ptr());
        gemm("dense_gemm_tn", dz, out, xa.ptr(), in, dwa.ptr(), in, out, in, rows, ptr(null), IDENTITY);
        if (dxa != null) gemm("dense_gemm_nn", dz, out, wa.ptr(), in, dxa.ptr(), in, rows, in, out, ptr(null), IDENTITY);
    }

    /** Output tile side of cuda/dense.cu's GEMMs (GT) and their k step (GK); 128 threads per block. */
    static final int GEMM_TILE = 64, GEMM_K_STEP = 16, GEMM_THREADS = 128;
    /** Split-K: an output of fewer tiles than this is split along k into about this many blocks in all ... */
    static final int SPLIT_TARGET_BLOCKS = 1024;
    /** ... with at least this many k per slice. */
    static final int SPLIT_MIN_K = 256;
    private static final int IDENTITY = Activation.IDENTITY.ordinal();

    /**
     * The split-K plan {S, kSlice} of an M × N output over K: S = 1 (kSlice = K) when the output has at least
     * {@link #SPLIT_TARGET_BLOCKS} tiles or K is short; otherwise about that many blocks, slices of at least
     * {@link #SPLIT_MIN_K}, kSlice a multiple of the k step. From the shapes alone, never the device, so a result is the
     * same on every GPU. The partials take S · M · N floats: under 2 · 1024 · 64² (32 MiB).
     */
    static int[] splitK(int m, int n, int k) {
        long tiles = ceilDiv(m, GEMM_TILE) * ceilDiv(n, GEMM_TILE);
        long s = tiles >= SPLIT_TARGET_BLOCKS ? 1 : Math.min(ceilDiv(SPLIT_TARGET_BLOCKS, tiles), k / SPLIT_MIN_K);
        if (s <= 1) return new int[] {1, k};
        int slice = (int) (ceilDiv(ceilDiv(k, s), GEMM_K_STEP) * GEMM_K_STEP);
        return new int[] {(int) ceilDiv(k, slice), slice};
    }

    /**
     * C [M, N] (row stride ldc) = A · B in the layout of {@code kernel} (cuda/dense.cu), then act(C + bias[n]) when bias
     * is not null. Unsplit: one launch over the tiles, the epilogue fused. Split: the kernel writes S partials into
     * scratch slot 21, {@code dense_splitk_reduce} adds them in order and applies bias and activation. With cuBLAS
     * ({@link #blasGemm}) the same product runs on cublasSgemm_v2.
     */
    private void gemm(String kernel, CUdeviceptr a, int lda, CUdeviceptr b, int ldb, CUdeviceptr c, int ldc, int m, int n, int k,
                      CUdeviceptr bias, int act) {
        if (blas != null) {
            blasGemm(kernel, a, lda, b, ldb, c, ldc, m, n, k, bias, act);
            return;
        }
        int tilesM = (int) ceilDiv(m, GEMM_TILE), tilesN = (int) ceilDiv(n, GEMM_TILE);
        long tiles = (long) tilesM * tilesN;
        int[] split = splitK(m, n, k);
        if (split[0] == 1) {
            launch(kernel, tiles, 1, GEMM_THREADS, a, lda, b, ldb, c, ldc, 0L, m, n, k, k, tilesM, tilesN, bias, act);
            return;
        }
        long mn = (long) m * n;
        var partials = scratch(21, split[0] * mn * Float.BYTES);
        launch(kernel, tiles * split[0], 1, GEMM_THREADS, a, lda, b, ldb, partials, n, mn, m, n, k, split[1], tilesM, tilesN, ptr(null),
                IDENTITY);
        launch("dense_splitk_reduce", ceilDiv(mn, 256), 1, 256, partials, split[0], m, n, c, ldc, bias, act);
    }

    /**
     * {@link #gemm} on cuBLAS. Row-major C [m, n] is column-major Cᵀ [n, m], so C = A·B is Cᵀ = Bᵀ·Aᵀ: cuBLAS gets B
     * first, op T where B is [n, k] (NT) and A second, op T where A is [k, m] (TN), with m and n swapped. With a bias the
     * product goes to scratch slot 21 and {@code dense_splitk_reduce} (one slice) adds the bias and applies the
     * activation into C, as the split-K path does.
     */
    private void blasGemm(String kernel, CUdeviceptr a, int lda, CUdeviceptr b, int ldb, CUdeviceptr c, int ldc, int m, int n, int k,
                          CUdeviceptr bias, int act) {
        if (m == 0 || n == 0) return;
        Cublas.Op opB = kernel.equals("dense_gemm_nt") ? Cublas.Op.T : Cublas.Op.N;
        Cublas.Op opA = kernel.equals("dense_gemm_tn") ? Cublas.Op.T : Cublas.Op.N;
        boolean epilogue = DevicePointers.address(bias) != 0;
        CUdeviceptr out = epilogue ? scratch(21, (long) m * n * Float.BYTES) : c;
        int ldOut = epilogue ? n : ldc;
        String name = kernel.replace("dense_gemm_", "cublasSgemm_");   // the layout it stands in for: _nt, _tn, _nn
        try {
            driver.call(name, () -> blas.sgemm(opB, opA, n, m, k, DevicePointers.address(b), ldb, DevicePointers.address(a), lda,
                    DevicePointers.address(out), ldOut), syncEveryLaunch);
        } catch (Driver.Failure | IllegalStateException e) {
            throw new IllegalStateException(name + " for " + kernel + " (m " + m + ", n " + n + ", k " + k + ") failed: "
                    + firstLine(e.getMessage()), e);
        }
        if (epilogue) launch("dense_splitk_reduce", ceilDiv((long) m * n, 256), 1, 256, out, 1, m, n, c, ldc, bias, act);
    }

    // ---------------------------------------------------------------- element-wise (cuda/elementwise.cu)

    /** {@code adam_step}, one thread per parameter; the bias corrections computed here as ScalarKernels.adam does. */
    @Override
    public synchronized void adamStep(AdamConfig cfg, int t, Buffer param, Buffer grad, Buffer m, Buffer v) {
        Shapes.adam(t, param, grad, m, v);
        int n = param.length();
        DeviceBuffer pa = cast(param), ga = cast(grad), ma = cast(m), va = cast(v);
        enter();
        float c1 = (float) (1.0 / (1.0 - Math.pow(cfg.beta1(), t)));
        float c2 = (float) (1.0 / (1.0 - Math.pow(cfg.beta2(), t)));
        launch("adam_step", ceilDiv(n, 256), 1, 256, pa.ptr(), ga.ptr(), ma.ptr(), va.ptr(), n, cfg.lr(), cfg.beta1(), cfg.beta2(),
                cfg.eps(), c1, c2);
    }

    /** {@code column_affine}, one thread per element (in place when y is x). */
    @Override
    public synchronized void columnAffine(Buffer x, int rows, int cols, Buffer scale, Buffer shift, Buffer y) {
        Shapes.columnAffine(x, rows, cols, scale, shift, y);
        DeviceBuffer xa = cast(x), ya = cast(y), sc = cast(scale), sh = cast(shift);
        enter();
        launch("column_affine", ceilDiv((long) rows * cols, 256), 1, 256, xa.ptr(), rows, cols, sc.ptr(), ptr(sh), ya.ptr());
    }

    /** Elements per block of {@code mse_partial} (MSE_CHUNK in cuda/elementwise.cu). */
    static final int MSE_CHUNK = 4096;

    /**
     * {@code mse_partial} (the gradient, and one double partial sum per block of {@link #MSE_CHUNK} elements) and
     * {@code mse_finish} (their sum), in scratch slot 22; only that one double is read back.
     */
    @Override
    public synchronized double meanSquaredError(Buffer pred, Buffer target, Buffer grad) {
        Shapes.meanSquaredError(pred, target, grad);
        int n = pred.length();
        DeviceBuffer pa = cast(pred), ta = cast(target), ga = cast(grad);
        enter();
        int blocks = (int) ceilDiv(n, MSE_CHUNK);
        var partials = scratch(22, (blocks + 1L) * Double.BYTES);
        var total = at(partials, 2L * blocks);   // the double after the partials (at() counts floats)
        launch("mse_partial", blocks, 1, 256, pa.ptr(), ta.ptr(), n, ptr(ga), 2f / n, partials);
        launch("mse_finish", 1, 1, 256, partials, blocks, total);
        double[] sum = {0};
        driver.download(sum, total);
        return sum[0] / n;
    }

    /**
     * Host copies of device buffers for an operation that runs on the CPU backend: {@link #of} downloads a buffer
     * once (the same Buffer object maps to one copy, so in-place operations stay in place), {@link #back} uploads
     * the outputs.
     */
    private final class HostMirror implements AutoCloseable {
        private final Map<Buffer, ArrayBuffer> copies = new IdentityHashMap<>();

        ArrayBuffer of(Buffer b) {
            if (b == null) return null;
            return copies.computeIfAbsent(b, key -> {
                float[] a = new float[key.length()];
                read(key, a, 0);
                return ArrayBuffer.wrap(a);
            });
        }

        void back(Buffer... outs) {
            for (Buffer o : outs) {
                if (o != null) write(o, copies.get(o).array(), 0);
            }
        }

        @Override public void close() {}
    }

    private static long ceilDiv(long a, long b) { return (a + b - 1) / b; }

    /**
     * Frees every buffer still open and the scratch areas, then releases the driver and, when profiling, prints the
     * profile; the first failure is rethrown after.
     */
    @Override public synchronized void close() {
        if (closed) return;
        // After a sticky device error every call fails; the context is still released, and the first failure reported.
        RuntimeException failure = null;
        try {
            driver.enter();
            List<CUdeviceptr> memory = new ArrayList<>();
            for (DeviceBuffer b : live) if (b.length() > 0) memory.add(b.base());
            for (Scratch s : scratch.values()) memory.add(s.ptr());
            live.clear();
            scratch.clear();
            for (CUdeviceptr p : memory) {
                try {
                    driver.free(p);
                } catch (RuntimeException e) {
                    if (failure == null) failure = e;
                }
            }
        } catch (RuntimeException e) {
            if (failure == null) failure = e;
        } finally {
            try {
                if (blas != null) {
                    driver.enter();
                    blas.close();
                }
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
            }
            try {
                driver.close();
            } catch (RuntimeException e) {
                if (failure == null) failure = e;
            }
            closed = true;
            if (profile != null) profileOut.print(profile.table());
            host.close();
        }
        if (failure != null) throw failure;
    }
}
