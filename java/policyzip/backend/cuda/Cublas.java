package policyzip.backend.cuda;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * cuBLAS's SGEMM through {@code java.lang.foreign}: the autoencoder's dense-layer GEMMs on NVIDIA's library instead of
 * cuda/dense.cu's kernels ({@code POLICYZIP_CUDA_GEMM=cublas}, {@link CudaBackend.Gemm}). Five functions of cuBLAS's C API
 * ({@code cublasCreate_v2}, {@code cublasSetMathMode}, {@code cublasGetVersion_v2}, {@code cublasSgemm_v2},
 * {@code cublasDestroy_v2}), which are the same in cuBLAS 12 and 13, so this binds whichever the machine has. Not
 * JCublas: its latest release (12.6.0) links {@code libcublas.so.12}, and the CUDA 13 machines have only
 * {@code libcublas.so.13} (TOOLCHAIN.md).
 *
 * <p>The handle runs on the legacy default stream, the one every kernel of {@link CudaBackend} is launched on, so a
 * GEMM is ordered with them; in the primary context, which the backend makes current. Math mode
 * {@code CUBLAS_DEFAULT_MATH}: plain fp32, no TF32. cuBLAS gives the same bits on every run on one GPU model and library
 * version, but not the hand-written kernels' bits (which follow the CPU's order): results match the CPU within
 * TwinCheck's tolerance.
 *
 * <p>On the emulator ({@code --backend cuda-emu}) the same five functions come from the emulator's library: a
 * reference SGEMM with cuBLAS's column-major semantics that also checks every operand lies inside a live allocation,
 * so that the path's transposes and leading dimensions are tested where there is no GPU.
 */
final class Cublas implements AutoCloseable {
    /** cublasOperation_t: CUBLAS_OP_N, CUBLAS_OP_T. */
    enum Op { N, T }

    private static final int CUBLAS_DEFAULT_MATH = 0;

    private final Path file;
    private final boolean emulated;
    private final MethodHandle destroy, sgemm, emuError;
    private final MemorySegment handle;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment one, zero;
    private final int version;
    private boolean closed;

    private Cublas(Path file, boolean emulated) {
        this.file = file;
        this.emulated = emulated;
        Linker linker = Linker.nativeLinker();
        SymbolLookup lib = load(file);
        MethodHandle create = linker.downcallHandle(find(lib, "cublasCreate_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        MethodHandle math = linker.downcallHandle(find(lib, "cublasSetMathMode"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
        MethodHandle getVersion = linker.downcallHandle(find(lib, "cublasGetVersion_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        destroy = linker.downcallHandle(find(lib, "cublasDestroy_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS));
        sgemm = linker.downcallHandle(find(lib, "cublasSgemm_v2"), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, JAVA_INT,
                JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
        emuError = emulated ? linker.downcallHandle(find(lib, "pzemu_cublas_error"), FunctionDescriptor.of(ADDRESS)) : null;
        one = arena.allocateFrom(JAVA_FLOAT, 1f);
        zero = arena.allocateFrom(JAVA_FLOAT, 0f);
        MemorySegment h = arena.allocate(ADDRESS);
        try {
            check((int) create.invokeExact(h), "cublasCreate_v2");
        } catch (Throwable t) {
            arena.close();
            throw unchecked(t, "cublasCreate_v2");
        }
        handle = h.get(ADDRESS, 0);
        try {
            check((int) math.invokeExact(handle, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
            MemorySegment v = arena.allocate(JAVA_INT);
            check((int) getVersion.invokeExact(handle, v), "cublasGetVersion_v2");
            version = v.get(JAVA_INT, 0);
        } catch (Throwable t) {
            try {
                int ignored = (int) destroy.invokeExact(handle);   // the handle holds GPU memory: give it back
            } catch (Throwable suppressed) {
                t.addSuppressed(suppressed);
            }
            arena.close();
            throw unchecked(t, "cuBLAS setup");
        }
    }

    private RuntimeException unchecked(Throwable t, String what) {
        if (t instanceof RuntimeException r) return r;
        if (t instanceof Error e) throw e;
        return new IllegalStateException(what + " (" + file + "): " + t, t);
    }

    /** cuBLAS from {@code file}, a handle made (the caller's CUDA context current). One line on any failure. */
    static Cublas open(Path file) {
        return new Cublas(file, false);
    }

    /** The emulator's cuBLAS twin, from the emulator library {@code file}. */
    static Cublas emulated(Path file) {
        return new Cublas(file, true);
    }

    /**
     * Column-major {@code C (m × n, ldc) = op(A) · op(B)} (alpha 1, beta 0: C is not read), op(A) m × k, op(B) k × n; A,
     * B and C are device addresses. Enqueued on the default stream; a non-success status is one line naming it.
     */
    void sgemm(Op ta, Op tb, int m, int n, int k, long a, int lda, long b, int ldb, long c, int ldc) {
        int status;
        if (closed) throw new IllegalStateException("cuBLAS handle already destroyed");
        try {
            status = (int) sgemm.invokeExact(handle, ta.ordinal(), tb.ordinal(), m, n, k, one, a, lda, b, ldb, zero, c, ldc);
        } catch (Throwable t) {
            throw unchecked(t, "cublasSgemm_v2");
        }
        if (status != 0) {
            String detail = "";
            if (emulated) {
                try {
                    detail = ": " + ((MemorySegment) emuError.invokeExact()).reinterpret(4096).getString(0);
                } catch (Throwable t) {
                    throw unchecked(t, "pzemu_cublas_error");
                }
            }
            throw new IllegalStateException("cublasSgemm_v2 (" + ta + ", " + tb + ", m " + m + ", n " + n + ", k " + k + ", lda " + lda
                    + ", ldb " + ldb + ", ldc " + ldc + ") returned " + statusName(status) + detail);
        }
    }

    /** "cuBLAS 13.0.2 (path)", or the emulator's twin. */
    String describe() {
        if (emulated) return "the CUDA emulator's cuBLAS twin (reference SGEMM, " + file.getFileName() + ")";
        return "cuBLAS " + version / 10000 + "." + version / 100 % 100 + "." + version % 100 + " (" + file + ")";
    }

    /** Destroys the handle; a second call does nothing. */
    @Override public void close() {
        if (closed) return;
        closed = true;
        try {
            int status = (int) destroy.invokeExact(handle);
            if (status != 0) throw new IllegalStateException("cublasDestroy_v2 returned " + statusName(status));
        } catch (RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException("cublasDestroy_v2: " + t, t);
        } finally {
            arena.close();
        }
    }

    private static void check(int status, String call) {
        if (status != 0) throw new IllegalStateException(call + " returned " + statusName(status));
    }

    /** cublasStatus_t's names. */
    static String statusName(int s) {
        return switch (s) {
            case 0 -> "CUBLAS_STATUS_SUCCESS";
            case 1 -> "CUBLAS_STATUS_NOT_INITIALIZED (no usable CUDA context or driver)";
            case 3 -> "CUBLAS_STATUS_ALLOC_FAILED";
            case 7 -> "CUBLAS_STATUS_INVALID_VALUE";
            case 8 -> "CUBLAS_STATUS_ARCH_MISMATCH";
            case 11 -> "CUBLAS_STATUS_MAPPING_ERROR";
            case 13 -> "CUBLAS_STATUS_EXECUTION_FAILED";
            case 14 -> "CUBLAS_STATUS_INTERNAL_ERROR";
            case 15 -> "CUBLAS_STATUS_NOT_SUPPORTED";
            case 16 -> "CUBLAS_STATUS_LICENSE_ERROR";
            default -> "cuBLAS status " + s;
        };
    }

    private SymbolLookup load(Path f) {
        try {
            // libcublas needs libcublasLt from its own folder; a wheel's lib folder is not on the loader's path, so
            // load it first by its full name (the loader then finds it by its soname).
            if (!emulated) {
                String lt = f.getFileName().toString().replace("libcublas.", "libcublasLt.");
                Path ltPath = f.resolveSibling(lt);
                if (!lt.equals(f.getFileName().toString()) && Files.isRegularFile(ltPath)) SymbolLookup.libraryLookup(ltPath, Arena.global());
            }
            return SymbolLookup.libraryLookup(f, Arena.global());
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot load cuBLAS from " + f + " (" + CudaBackend.firstLine(e.getMessage()) + ")");
        } catch (IllegalCallerException e) {
            throw new IllegalStateException("native access is disabled: run java with --enable-native-access=ALL-UNNAMED (the launcher does)");
        }
    }

    private MemorySegment find(SymbolLookup lib, String name) {
        return lib.find(name).orElseThrow(() -> new IllegalStateException(file + " has no function " + name + " (not a cuBLAS library"
                + (emulated ? ", or an emulator built before cuBLAS's twin; run native-build/cuda-emu.sh)" : ")")));
    }

    // ---------------------------------------------------------------- where cuBLAS is

    /** The sonames tried, newest first. */
    static final List<String> SONAMES = List.of("libcublas.so.13", "libcublas.so.12");

    /**
     * The cuBLAS library to load: the system property {@code policyzip.cublas.lib} or the environment variable
     * {@code POLICYZIP_CUBLAS_LIB} (a file), else the first of {@link #SONAMES} in the usual places: the CUDA toolkit
     * ({@code /usr/local/cuda/lib64}), the system's library folders, and the {@code nvidia/} folders of Python's
     * site-packages (PyTorch's CUDA wheels bring cuBLAS there). One line saying where it looked when there is none.
     */
    static Path locate() {
        String prop = System.getProperty("policyzip.cublas.lib");
        if (prop != null && !prop.isBlank()) return named(Path.of(prop), "system property policyzip.cublas.lib");
        String env = System.getenv("POLICYZIP_CUBLAS_LIB");
        if (env != null && !env.isBlank()) return named(Path.of(env), "POLICYZIP_CUBLAS_LIB");
        List<Path> roots = new ArrayList<>(List.of(Path.of("/usr/local/cuda/lib64"), Path.of("/usr/local/cuda/targets/x86_64-linux/lib"),
                Path.of("/usr/lib/x86_64-linux-gnu"), Path.of("/usr/lib64")));
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) for (String d : ld.split(":")) if (!d.isBlank()) roots.add(Path.of(d));
        for (Path r : roots) {
            for (String so : SONAMES) if (Files.isRegularFile(r.resolve(so))) return r.resolve(so);
        }
        List<Path> sites = pythonSitePackages();
        for (String so : SONAMES) {
            for (Path site : sites) {
                Path found = findUnder(site.resolve("nvidia"), so);
                if (found != null) return found;
            }
        }
        throw new IllegalStateException("no cuBLAS library (" + String.join(" or ", SONAMES) + ") in " + roots.size() + " library folders or in "
                + "the nvidia/ folders of " + sites.size() + " Python site-packages; set POLICYZIP_CUBLAS_LIB to the file");
    }

    private static Path named(Path p, String source) {
        if (!Files.isRegularFile(p)) throw new IllegalStateException(source + " names " + p + ", which is not a file");
        return p;
    }

    /** site-packages and dist-packages folders of the Python installations in the usual prefixes and the user's home. */
    private static List<Path> pythonSitePackages() {
        List<Path> out = new ArrayList<>();
        String home = System.getProperty("user.home", "");
        for (Path prefix : List.of(Path.of("/usr/local/lib"), Path.of("/usr/lib"), Path.of("/opt/conda/lib"), Path.of(home, ".local/lib"))) {
            if (!Files.isDirectory(prefix)) continue;
            try (Stream<Path> s = Files.list(prefix)) {
                s.filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).startsWith("python3")).sorted().forEach(py -> {
                    for (String sub : List.of("site-packages", "dist-packages")) if (Files.isDirectory(py.resolve(sub))) out.add(py.resolve(sub));
                });
            } catch (IOException | SecurityException ignored) {
                // an unreadable prefix: look elsewhere
            }
        }
        if (Files.isDirectory(Path.of("/usr/lib/python3/dist-packages"))) out.add(Path.of("/usr/lib/python3/dist-packages"));
        return out;
    }

    private static Path findUnder(Path dir, String name) {
        if (!Files.isDirectory(dir)) return null;
        try (Stream<Path> s = Files.walk(dir, 4)) {
            return s.filter(p -> p.getFileName().toString().equals(name) && Files.isRegularFile(p)).sorted().findFirst().orElse(null);
        } catch (IOException | java.io.UncheckedIOException | SecurityException e) {
            return null;
        }
    }
}
