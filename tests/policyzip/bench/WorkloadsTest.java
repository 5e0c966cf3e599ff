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
    void unknownWorkloadIsNamed() {
        var e = assertThrows(IllegalArgumentException.class, () -> Workloads.create("fwd-huge", null));
        assertTrue(e.getMessage().contains("fwd-huge") && e.getMessage().contains("fwd-small"), e.getMessage());
    }
}
