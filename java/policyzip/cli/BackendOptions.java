package policyzip.cli;

import picocli.CommandLine.Option;
import policyzip.backend.Backend;
import policyzip.backend.Backends;

/** {@code --backend} and {@code --threads}, shared by the commands that compute. */
final class BackendOptions {
    @Option(names = "--backend", paramLabel = "KIND",
            description = "auto, cpu, cuda or cuda-emu (default: policyzip.backend property, POLICYZIP_BACKEND, else auto); "
                    + "cuda-emu runs the CUDA kernels on a CPU emulator to check them (slow; auto never picks it)")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all available processors)")
    Integer threads;

    int threads() {
        int t = threads == null ? Backends.defaultThreads() : threads;
        if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        return t;
    }

    private static boolean noticeShown;

    /**
     * The backend asked for. When {@code auto} falls back to the CPU, says why in one line on the process's standard
     * error, once per JVM (DESIGN.md, Backends); {@code policyzip info} shows it too.
     */
    Backend create() {
        String kind = backend == null ? Backends.defaultKind() : backend;
        Backend be = Backends.create(kind, threads());
        String why = Backends.cudaUnavailable();
        if (kind.equalsIgnoreCase("auto") && why != null) {
            synchronized (BackendOptions.class) {
                if (!noticeShown) System.err.println("policyzip: using the CPU backend; CUDA is not available: " + why);
                noticeShown = true;
            }
        }
        return be;
    }
}
