package policyzip.backend;

import java.util.List;
import policyzip.backend.cpu.CpuBackend;
import policyzip.backend.cpu.KernelsProvider;

/** The CPU backends every backend test runs on: SIMD (when present) and scalar, one and three threads. */
final class TestBackends {
    private TestBackends() {}

    static List<CpuBackend> all() {
        return List.of(new CpuBackend(KernelsProvider.get(), 1), new CpuBackend(KernelsProvider.get(), 3),
                new CpuBackend(KernelsProvider.scalar(), 1), new CpuBackend(KernelsProvider.scalar(), 2));
    }
}
