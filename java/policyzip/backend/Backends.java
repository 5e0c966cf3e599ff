package policyzip.backend;

import java.util.Locale;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;

/**
 * Picks a backend by name: {@code cpu}, {@code cuda} or {@code auto} (DESIGN.md, Backends). The default comes from
 * the system property {@code policyzip.backend} or the environment variable {@code POLICYZIP_BACKEND}, else
 * {@code auto}. This build has no CUDA backend yet, so {@code auto} is the CPU and {@code cuda} is refused with
 * one line.
 */
public final class Backends {
    private Backends() {}

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

    /** A new backend of {@code kind} on {@code threads} CPU threads (ignored by GPU backends). */
    public static Backend create(String kind, int threads) {
        return switch (kind.toLowerCase(Locale.ROOT)) {
            case "auto", "cpu" -> new CpuBackend(threads);
            case "cuda" -> throw new IllegalArgumentException(
                    "backend 'cuda' is not available: this build has no CUDA backend yet; use --backend cpu or auto");
            default -> throw new IllegalArgumentException("unknown backend '" + kind + "': expected auto, cpu or cuda");
        };
    }

    /** One line per backend on what is available here and why. */
    public static String availability() {
        return "cpu: available (" + KernelsProvider.reason() + ")\ncuda: not in this build";
    }
}
