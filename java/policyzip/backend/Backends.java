package policyzip.backend;

import java.lang.reflect.InvocationTargetException;
import java.util.Locale;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;

/**
 * Picks a backend by name: {@code cpu}, {@code cuda}, {@code cuda-emu} or {@code auto} (DESIGN.md, Backends). The default comes from
 * the system property {@code policyzip.backend} or the environment variable {@code POLICYZIP_BACKEND}, else
 * {@code auto}.
 *
 * <p>{@code auto} tries CUDA once per JVM: when it fails (no driver: a {@link LinkageError}; driver but no device or
 * another driver error: JCuda's {@code CudaException}), {@link #cudaUnavailable()} keeps the one-line reason and every
 * later {@code auto} is the CPU without trying again. {@code cuda} on a machine without a GPU throws
 * {@link IllegalStateException} with that line. The CUDA backend is loaded by name, so the CPU path never links
 * JCuda.
 *
 * <p>{@code cuda-emu} is the CUDA backend on the CPU emulator of its kernels (native-build/cuda-emu.sh builds it): the
 * same launch code and kernels, run on the CPU to check their logic where there is no GPU. It is slow and measures
 * nothing about a GPU, so {@code auto} never picks it; it is there only when asked for by name.
 */
public final class Backends {
    private Backends() {}

    private static final Object PROBE_LOCK = new Object();
    private static String cudaUnavailable;   // null: not tried yet or available
    private static String cudaFailure;       // the first failure to open CUDA in this JVM: never retried

    /** The backend kind an embedder gets without choosing: property, then environment variable, then "auto". */
    public static String defaultKind() {
        String k = System.getProperty("policyzip.backend");
        if (k == null || k.isBlank()) k = System.getenv("POLICYZIP_BACKEND");
        return k == null || k.isBlank() ? "auto" : k;
    }

    /** Threads the CPU backend uses unless told: every available processor. */
    public static int defaultThreads() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** A new backend of {@code kind} on {@code threads} CPU threads (the CUDA backend's CPU fallback uses them). */
    public static Backend create(String kind, int threads) {
        return switch (kind.toLowerCase(Locale.ROOT)) {
            case "cpu" -> new CpuBackend(threads);
            case "cuda" -> openCuda(threads);
            case "cuda-emu" -> openEmulator(threads);
            case "auto" -> auto(threads);
            default -> throw new IllegalArgumentException("unknown backend '" + kind + "': expected auto, cpu, cuda or cuda-emu");
        };
    }

    private static Backend auto(int threads) {
        synchronized (PROBE_LOCK) {
            if (cudaUnavailable == null) {
                try {
                    return openCuda(threads);
                } catch (IllegalStateException e) {
                    cudaUnavailable = e.getMessage().replaceFirst("^backend 'cuda' is not available: ", "");
                }
            }
        }
        return new CpuBackend(threads);
    }

    /** Why {@code auto} fell back to the CPU in this JVM, in one line; null if it has not (yet). */
    public static String cudaUnavailable() {
        synchronized (PROBE_LOCK) {
            return cudaUnavailable;
        }
    }

    /**
     * Opens the CUDA backend by name; any failure becomes one line: "backend 'cuda' is not available: ...". A failure
     * is remembered: JCuda cannot retry a failed native load (later touches give NoClassDefFoundError), so every later
     * attempt in this JVM reports the first cause.
     */
    private static Backend openCuda(int threads) {
        synchronized (PROBE_LOCK) {
            if (cudaFailure != null) throw new IllegalStateException("backend 'cuda' is not available: " + cudaFailure);
            Opened o = tryOpen(threads);
            if (o.backend() != null) return o.backend();
            cudaFailure = o.reason();
            throw new IllegalStateException("backend 'cuda' is not available: " + o.reason());
        }
    }

    /** The CUDA backend on the CPU emulator; any failure becomes one line: "backend 'cuda-emu' is not available: ...". */
    private static Backend openEmulator(int threads) {
        Opened o = open("openEmulator", threads, "JCuda's classes are not on the class path");
        if (o.backend() != null) return o.backend();
        throw new IllegalStateException("backend 'cuda-emu' is not available: " + o.reason());
    }

    private record Opened(Backend backend, String reason) {}

    private static Opened tryOpen(int threads) {
        return open("open", threads, "JCuda is not on the class path or cannot load");
    }

    /** {@code CudaBackend.<factory>(threads)} by reflection (the CPU-only build has no JCuda), or the reason it failed. */
    private static Opened open(String factory, int threads, String linkageReason) {
        String reason;
        try {
            return new Opened((Backend) Class.forName("policyzip.backend.cuda.CudaBackend").getMethod(factory, int.class).invoke(null, threads), null);
        } catch (InvocationTargetException e) {
            Throwable c = e.getCause();
            reason = c instanceof IllegalStateException ? c.getMessage() : oneLine(c);
        } catch (LinkageError e) {
            reason = linkageReason + " (" + oneLine(e) + ")";
        } catch (ReflectiveOperationException e) {
            reason = "the CUDA backend is not in this build (" + oneLine(e) + ")";
        }
        return new Opened(null, reason);
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? "" : t.getMessage().strip();
        int nl = m.indexOf('\n');
        return t.getClass().getSimpleName() + (m.isEmpty() ? "" : ": " + (nl < 0 ? m : m.substring(0, nl).strip()));
    }

    /** One line per backend on what is available here and why (probes CUDA if this JVM has not yet). */
    public static String availability() {
        String cuda;
        try (Backend be = create("cuda", 1)) {
            cuda = "cuda: available (" + be.describe().replaceFirst("; CPU fallback .*", "") + ")";   // probed with 1 thread
        } catch (IllegalStateException e) {
            cuda = "cuda: not available (" + e.getMessage().replaceFirst("^backend 'cuda' is not available: ", "") + ")";
        }
        String emu;
        try (Backend be = create("cuda-emu", 1)) {
            emu = "cuda-emu: available, by name only (" + be.describe().replaceFirst("; CPU fallback .*", "") + ")";
        } catch (IllegalStateException e) {
            emu = "cuda-emu: not available (" + e.getMessage().replaceFirst("^backend 'cuda-emu' is not available: ", "") + ")";
        }
        return "cpu: available (" + KernelsProvider.reason() + ")\n" + cuda + "\n" + emu;
    }
}
