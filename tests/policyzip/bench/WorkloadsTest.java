package policyzip.bench;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import policyzip.backend.cpu.CpuBackend;

/** Every named workload builds, runs and passes its own check against the scalar reference. */
class WorkloadsTest {
    @Test
    void everyWorkloadVerifies() {
        try (CpuBackend be = new CpuBackend(2)) {
            for (String name : Workloads.names()) {
                try (Workload w = Workloads.create(name, be)) {
                    w.verify();
                    assertTrue(w.itemsPerOp() > 0, name);
                }
            }
        }
    }

    @Test
    void gpuSizedForwardVerifiesOnTheCpu() {
        // The smallest of the GPU-sized workloads (B = 65,536 × M = 1024); medium and large are the same code, bigger.
        try (CpuBackend be = new CpuBackend(2); Workload w = Workloads.create("gpu-fwd-small", be)) {
            w.verify();
            assertTrue(w.itemsPerOp() == 65_536.0 * 1024, w.description());
        }
    }

    @Test
    void returnsWorkloadVerifiesOnTheCpu() {
        // returns-medium (1024 policies to the end of an episode, about 0.2 s here); the large ones are the same code.
        try (CpuBackend be = new CpuBackend(2); Workload w = Workloads.create("returns-medium", be)) {
            w.verify();
            assertTrue(w.itemsPerOp() == 1024 && w.unit().equals("policies/s"), w.description());
        }
    }

    @Test
    void backwardWorkloadVerifiesOnTheCpu() {
        try (CpuBackend be = new CpuBackend(2); Workload w = Workloads.create("bwd-medium", be)) {
            w.verify();
            assertTrue(w.itemsPerOp() == 1024.0 * 256 && w.flopsPerOp() > 0, w.description());
        }
    }

    @Test
    void unknownWorkloadIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> Workloads.create("fwd-huge", null));
        assertTrue(e.getMessage().contains("fwd-huge") && e.getMessage().contains("fwd-small"), e.getMessage());
    }
}
