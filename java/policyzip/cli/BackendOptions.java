package policyzip.cli;

import picocli.CommandLine.Option;
import policyzip.backend.Backend;
import policyzip.backend.Backends;

/** {@code --backend} and {@code --threads}, shared by the commands that compute. */
final class BackendOptions {
    @Option(names = "--backend", paramLabel = "KIND",
            description = "auto, cpu or cuda (default: policyzip.backend property, POLICYZIP_BACKEND, else auto)")
    String backend;

    @Option(names = "--threads", paramLabel = "N", description = "CPU threads (default: all available processors)")
    Integer threads;

    int threads() {
        int t = threads == null ? Backends.defaultThreads() : threads;
        if (t < 1) throw new IllegalArgumentException("--threads must be >= 1, got " + t);
        return t;
    }

    Backend create() {
        return Backends.create(backend == null ? Backends.defaultKind() : backend, threads());
    }
}
