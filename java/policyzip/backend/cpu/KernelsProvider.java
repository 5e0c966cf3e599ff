package policyzip.backend.cpu;

/**
 * Picks the CPU kernels once per JVM: the Vector API ones when {@code jdk.incubator.vector} is readable (the JVM
 * was started with {@code --add-modules jdk.incubator.vector}) and not disabled with
 * {@code -Dpolicyzip.simd=false}; otherwise the scalar ones. {@link #reason()} says which and why.
 */
public final class KernelsProvider {
    private static final Kernels KERNELS;
    private static final String REASON;

    static {
        Kernels k = null;
        String reason;
        if (!Boolean.parseBoolean(System.getProperty("policyzip.simd", "true"))) {
            reason = "scalar: Vector API disabled by -Dpolicyzip.simd=false";
        } else if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
            reason = "scalar: module jdk.incubator.vector absent; run with --add-modules jdk.incubator.vector (./policyzip does)";
        } else {
            try {
                k = (Kernels) Class.forName("policyzip.backend.cpu.SimdKernels").getDeclaredConstructor().newInstance();
                reason = k.name() + ": Vector API, " + SimdLanes.describe();
            } catch (ReflectiveOperationException | LinkageError e) {
                reason = "scalar: Vector API failed to load (" + e + ")";
                k = null;
            }
        }
        KERNELS = k != null ? k : new ScalarKernels();
        REASON = reason;
    }

    private KernelsProvider() {}

    /** The kernels this JVM uses. */
    public static Kernels get() { return KERNELS; }

    /** The plain kernels, always available. */
    public static Kernels scalar() { return new ScalarKernels(); }

    /** What was picked and why, in one line. */
    public static String reason() { return REASON; }

    /** Indirection so this class never links jdk.incubator.vector itself. */
    private static final class SimdLanes {
        static String describe() {
            try {
                return (String) Class.forName("policyzip.backend.cpu.SimdKernels").getDeclaredMethod("lanesDescription").invoke(null);
            } catch (ReflectiveOperationException e) {
                return "?";
            }
        }
    }
}
